"""Notices to learners about their results (a regrade changed a score)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from assessments.models import LearnerNotice


@transaction.atomic
def notices_mark_read(*, user, notice_ids: Iterable[int], now=None) -> int:
    """Mark the learner's own notices read once a page has shown them. Notices of
    other users among ``notice_ids`` are left alone."""
    ids = list(notice_ids)
    if not ids:
        return 0
    return LearnerNotice.objects.filter(
        pk__in=ids, user=user, read_at__isnull=True
    ).update(read_at=now or timezone.now())
