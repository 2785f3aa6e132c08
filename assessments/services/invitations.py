"""Who may sit an exam whose audience is "invited people only".

Coordinators pick people in their own units (the picking page lives in ``training``,
which knows the organisation); this service only checks that every id is inside the
actor's scope, so no page or API can invite someone from another unit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from assessments.models import Quiz, QuizInvitation
from cms.scope import visible_user_ids

User = get_user_model()


@transaction.atomic
def quiz_invite(*, actor, quiz: Quiz, user_ids: Iterable[int]) -> int:
    """Invite ``user_ids`` to ``quiz``; returns how many were not invited before.
    Idempotent: inviting someone twice changes nothing."""
    if not actor.has_perm("assessments.add_quizinvitation"):
        raise PermissionDenied
    wanted = {int(pk) for pk in user_ids}
    if not wanted:
        return 0
    scope = visible_user_ids(actor)
    if scope is not None:
        allowed = set(
            User.objects.filter(pk__in=wanted)
            .filter(pk__in=scope)
            .values_list("pk", flat=True)
        )
        if allowed != wanted:
            raise PermissionDenied
    before = QuizInvitation.objects.filter(quiz=quiz).count()
    QuizInvitation.objects.bulk_create(
        [QuizInvitation(quiz=quiz, user_id=pk, invited_by=actor) for pk in wanted],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return QuizInvitation.objects.filter(quiz=quiz).count() - before
