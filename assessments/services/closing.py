"""Attempts: submit, close when time runs out, grade.

``attempt_submit`` grades exactly once however many times it is called; the
scheduled sweep closes attempts whose time ran out and nobody submitted. The grace
after a deadline is decided here: starting and autosaving ask ``attempt_is_overdue``
too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import signals
from assessments.models import Attempt, AttemptItem, Question, Quiz
from assessments.scoring import ZERO, quantize, score_response
from assessments.services.attempt_errors import AttemptError

Status = Attempt.Status
Type = Question.Type

# Answers may arrive this long after the deadline (a save sent at 59:59 on a slow
# line); after it they are refused and the attempt is closed.
GRACE = timedelta(seconds=settings.ASSESSMENTS_GRACE_SECONDS)


def attempt_is_overdue(attempt: Attempt, *, now=None) -> bool:
    now = now or timezone.now()
    return attempt.deadline is not None and now > attempt.deadline + GRACE


# --- submit and close ------------------------------------------------------------


def attempt_submit(*, attempt_public_id, user, now=None) -> Attempt:
    """Submit the learner's attempt. Idempotent: the first call grades it, any later
    or concurrent call returns the graded attempt unchanged."""
    try:
        attempt = Attempt.objects.get(public_id=attempt_public_id, user=user)
    except (Attempt.DoesNotExist, ValidationError, ValueError, TypeError):
        raise AttemptError(_("No such attempt."), "not_found") from None
    closed_by = Attempt.ClosedBy.LEARNER
    if attempt_is_overdue(attempt, now=now):
        closed_by = Attempt.ClosedBy.TIMEOUT
    return attempt_close(attempt=attempt, closed_by=closed_by, now=now)


@transaction.atomic
def attempt_close(*, attempt: Attempt, closed_by: str, now=None) -> Attempt:
    now = now or timezone.now()
    # The conditional update is the lock: of two concurrent closers exactly one
    # moves the attempt out of "in progress" and grades it.
    won = Attempt.objects.filter(pk=attempt.pk, status=Status.IN_PROGRESS).update(
        status=Status.GRADING, submitted_at=now, closed_by=closed_by
    )
    attempt = Attempt.objects.select_related("quiz").get(pk=attempt.pk)
    if won:
        attempt_grade(attempt=attempt, now=now)
    return attempt


def attempt_grade(*, attempt: Attempt, now=None) -> Attempt:
    """Score every automatically gradable item, then total the attempt."""
    items = list(attempt.items.select_related("version"))
    for item in items:
        if item.qtype == Type.SHORT and item.score is not None:
            continue
        item.score = item_auto_score(item, attempt.quiz)
    AttemptItem.objects.bulk_update(items, ["score"])
    return attempt_total(attempt=attempt, items=items, now=now)


def item_auto_score(item: AttemptItem, quiz: Quiz) -> Decimal | None:
    version = item.version
    return score_response(
        qtype=item.qtype,
        key=version.answer,
        response=item.response,
        marks=item.marks,
        partial_credit=version.partial_credit,
        option_count=len(version.options),
        negative_marking=quiz.negative_marking,
    )


def attempt_total(
    *, attempt: Attempt, items: list[AttemptItem] | None = None, now=None
) -> Attempt:
    """Add up the items. Finished when nothing waits for a grader; a pass is told to
    the training app (the first pass at a quiz only)."""
    now = now or timezone.now()
    if items is None:
        items = list(attempt.items.all())
    pending = any(i.score is None for i in items)
    was_passed = attempt.passed
    attempt.score = quantize(sum((i.score or ZERO for i in items), ZERO))
    if attempt.max_score:
        attempt.percent = quantize(attempt.score * 100 / attempt.max_score)
    else:
        attempt.percent = ZERO
    if pending:
        attempt.status = Status.GRADING
        attempt.passed = None
    else:
        attempt.status = Status.FINISHED
        attempt.passed = attempt.percent >= attempt.quiz.pass_percent
        attempt.graded_at = now
    attempt.save(update_fields=["score", "percent", "status", "passed", "graded_at"])
    if attempt.status == Status.FINISHED:
        signals.attempt_finished.send(sender=Attempt, attempt=attempt)
        if attempt.passed and not was_passed:
            earlier_pass = (
                Attempt.objects.filter(
                    quiz=attempt.quiz, user=attempt.user, passed=True
                )
                .exclude(pk=attempt.pk)
                .exists()
            )
            if not earlier_pass:
                signals.quiz_passed.send(
                    sender=Attempt,
                    attempt=attempt,
                    user_id=attempt.user_id,
                    quiz=attempt.quiz,
                )
    return attempt


def attempts_close_overdue(*, now=None, limit: int = 500) -> int:
    """Close and grade attempts whose time ran out (the scheduled sweep). Each is
    closed in its own transaction, so one bad attempt does not hold up the rest."""
    now = now or timezone.now()
    overdue = Attempt.objects.filter(
        status=Status.IN_PROGRESS, deadline__lt=now - GRACE
    ).order_by("deadline")[:limit]
    closed = 0
    for attempt in overdue:
        attempt_close(attempt=attempt, closed_by=Attempt.ClosedBy.TIMEOUT, now=now)
        closed += 1
    return closed
