"""Grades set by people: a grader marking a short answer, an editor regrading past
attempts after correcting a key. Each change is a ``GradeChange`` row with its author
and reason, and an audit event; learners whose result moved get a notice."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import signals
from assessments.models import (
    Attempt,
    AttemptItem,
    GradeChange,
    LearnerNotice,
    Question,
)
from assessments.scoring import quantize
from assessments.selectors import attempts_visible_to
from assessments.services.closing import attempt_total, item_auto_score
from cms.audit import audit_record
from cms.models import AuditEvent


@transaction.atomic
def item_grade(
    *, actor, item_id: int, score, feedback: str = "", reason: str = ""
) -> AttemptItem:
    """A grader marks one short answer (or changes a mark already given, with a
    reason). Only items of attempts in the grader's scope."""
    item = (
        # Lock the item and its attempt only: the quiz stays free for other graders.
        AttemptItem.objects.select_for_update(of=("self", "attempt"))
        .select_related("attempt__quiz")
        .filter(
            pk=item_id,
            attempt__in=attempts_visible_to(actor, grade=True).values("pk"),
        )
        .first()
    )
    if item is None:
        raise PermissionDenied
    attempt = item.attempt
    if attempt.status == Attempt.Status.IN_PROGRESS:
        raise ValidationError(_("The attempt has not been submitted yet."))
    try:
        new_score = quantize(Decimal(str(score)))
        if not new_score.is_finite():  # "NaN" parses, then fails every comparison
            raise ValueError(score)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"score": _("Enter a number.")}) from None
    if not (Decimal("0") <= new_score <= item.marks):
        raise ValidationError(
            {"score": _("The mark is between 0 and %(max)s.") % {"max": item.marks}}
        )
    if item.score is not None and not reason.strip():
        raise ValidationError(
            {"reason": _("Say why an existing mark is being changed.")}
        )
    old_score = item.score
    GradeChange.objects.create(
        item=item,
        kind=GradeChange.Kind.MANUAL,
        old_score=old_score,
        new_score=new_score,
        reason=reason.strip() or _("First marking"),
        author=actor,
    )
    item.score = new_score
    item.feedback = feedback
    item.graded_by = actor
    item.graded_at = timezone.now()
    item.save(update_fields=["score", "feedback", "graded_by", "graded_at"])
    was_passed = attempt.passed
    was_finished = attempt.status == Attempt.Status.FINISHED
    attempt_total(attempt=attempt)
    if was_finished and attempt.passed != was_passed:
        signals.attempt_result_changed.send(
            sender=Attempt, attempt=attempt, was_passed=was_passed
        )
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=item,
        target_label=str(attempt),
        detail={
            "kind": "grade",
            "attempt": str(attempt.public_id),
            "position": item.position,
            "old": str(old_score) if old_score is not None else None,
            "new": str(new_score),
            "reason": reason.strip(),
        },
    )
    return item


@transaction.atomic
def question_regrade(*, actor, question: Question, reason: str) -> int:
    """Rescore every submitted answer to ``question`` against its current key (after
    the key was corrected). Returns how many items changed score.

    Only versions whose options carry the same letters as the current one are
    regraded: a changed option list means learners saw a different question.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the question is regraded.")})
    current = question.current
    if current is None or question.qtype == Question.Type.SHORT:
        return 0
    current_keys = sorted(current.option_keys)
    items = list(
        # Items and their attempts only, in one fixed order (attempt, item) so a
        # grader marking an answer of the same attempt waits instead of deadlocking.
        AttemptItem.objects.select_for_update(of=("self", "attempt"))
        .select_related("attempt__quiz", "version")
        .filter(version__question=question)
        .exclude(attempt__status=Attempt.Status.IN_PROGRESS)
        .order_by("attempt_id", "pk")
    )
    changed_attempts: dict[int, Attempt] = {}
    changes = []
    for item in items:
        if sorted(item.version.option_keys) != current_keys:
            continue
        item.version = current  # grade against the corrected key …
        new_score = item_auto_score(item, item.attempt.quiz)
        if new_score == item.score:
            continue
        changes.append(
            GradeChange(
                item=item,
                kind=GradeChange.Kind.REGRADE,
                old_score=item.score,
                new_score=new_score,
                reason=reason.strip(),
                author=actor,
            )
        )
        AttemptItem.objects.filter(pk=item.pk).update(score=new_score)
        changed_attempts[item.attempt_id] = item.attempt
    # … but the item keeps pointing at the version its learner saw.
    GradeChange.objects.bulk_create(changes)
    for attempt in changed_attempts.values():
        was_passed = attempt.passed
        old_score = attempt.score
        attempt_total(attempt=attempt)
        LearnerNotice.objects.create(
            user_id=attempt.user_id,
            attempt=attempt,
            message=_(
                "A question in “%(quiz)s” was corrected and your attempt regraded: "
                "score %(old)s → %(new)s."
            )
            % {"quiz": attempt.quiz.title, "old": old_score, "new": attempt.score},
        )
        if attempt.passed != was_passed:
            signals.attempt_result_changed.send(
                sender=Attempt, attempt=attempt, was_passed=was_passed
            )
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=question,
        target_label=str(question),
        detail={
            "kind": "regrade",
            "version": current.number,
            "items_changed": len(changes),
            "attempts_changed": len(changed_attempts),
            "reason": reason.strip(),
        },
    )
    return len(changes)
