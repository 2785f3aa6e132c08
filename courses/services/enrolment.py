"""Self-enrolment and assignment by coordinators."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from cms.scope import visible_user_ids
from cms.tasks import task_enqueue_or_defer
from courses.models import Assignment, CoursePage, Enrollment

logger = logging.getLogger(__name__)

ASSIGNMENT_BATCH_SIZE = 2000


class EnrollmentError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@transaction.atomic
def enrollment_create(*, user, course: CoursePage) -> Enrollment:
    """Enrol ``user`` in ``course`` of their own accord; returns the existing
    enrolment when there is one (assigned or not)."""
    existing = Enrollment.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing
    if not course.live:
        raise EnrollmentError("not_live", _("This course is not published."))
    if not course.self_enrol:
        raise EnrollmentError(
            "not_self_enrol",
            _("This course is assigned by training coordinators only."),
        )
    enrollment = Enrollment(user=user, course=course, source=Enrollment.Source.SELF)
    enrollment.full_clean(validate_constraints=False)
    enrollment.save()
    return enrollment


@transaction.atomic
def assignment_create(
    *,
    actor,
    course: CoursePage,
    user_ids: Iterable[int],
    target_kind: str,
    target_label: str,
    due_on: dt.date | None = None,
    required: bool = True,
    reason: str = "",
) -> Assignment:
    """Store an assignment and enrol its people in a background task.

    The caller chooses the people within the actor's scope; this re-checks that
    scope (defence in depth) with one query, so a forged id list is refused whole.
    """
    if not actor.has_perm("courses.add_assignment"):
        raise PermissionDenied
    ids = list(dict.fromkeys(int(pk) for pk in user_ids))
    if not ids:
        raise ValidationError(_("Choose at least one person."))
    if not course.live:
        raise ValidationError(_("Only published courses can be assigned."))
    visible = visible_user_ids(actor)
    if visible is not None:
        # ``visible`` is a one-column values() queryset of user ids.
        allowed = {next(iter(row.values())) for row in visible}
        if not allowed.issuperset(ids):
            raise PermissionDenied
    assignment = Assignment(
        course=course,
        created_by=actor,
        target_kind=target_kind,
        target_label=target_label,
        user_ids=ids,
        due_on=due_on,
        required=required,
        reason=reason,
        total=len(ids),
    )
    assignment.full_clean()
    assignment.save()

    transaction.on_commit(
        lambda: task_enqueue_or_defer(assignment_run_task, assignment.pk)
    )
    return assignment


# Queued this long and never started: the queue was down when it was created, or
# lost the job. Long enough that a busy queue is not given a second copy (which
# would be harmless anyway: a run is idempotent).
ASSIGNMENT_RESUME_AFTER = dt.timedelta(minutes=15)


def assignments_resume_stale() -> list[int]:
    """Queue again the assignments that never started: for the scheduler."""
    waiting = list(
        Assignment.objects.filter(
            status=Assignment.Status.QUEUED,
            created_at__lt=timezone.now() - ASSIGNMENT_RESUME_AFTER,
        ).values_list("pk", flat=True)
    )
    for assignment_id in waiting:
        if task_enqueue_or_defer(assignment_run_task, assignment_id) is None:
            break  # still down; the next run tries again
    return waiting


def assignment_run(
    *, assignment_id: int, batch_size: int = ASSIGNMENT_BATCH_SIZE
) -> Assignment:
    """Enrol an assignment's people, ``batch_size`` per transaction.

    Idempotent and resumable: each batch commits together with the ``processed``
    count, so a re-run continues where a crash stopped, and an enrolment that
    exists already is updated instead of duplicated (see ``_upgrade_existing``).
    """
    assignment = Assignment.objects.get(pk=assignment_id)
    if assignment.status == Assignment.Status.DONE:
        return assignment
    Assignment.objects.filter(pk=assignment.pk).update(
        status=Assignment.Status.RUNNING, error=""
    )
    ids: list[int] = assignment.user_ids
    start = assignment.processed
    try:
        while start < len(ids):
            batch = ids[start : start + batch_size]
            with transaction.atomic():
                created, updated = _enrol_batch(assignment, batch)
                start += len(batch)
                Assignment.objects.filter(pk=assignment.pk).update(
                    processed=start,
                    created=F("created") + created,
                    updated=F("updated") + updated,
                )
    except Exception as exc:
        logger.exception("Assignment %s failed", assignment.pk)
        Assignment.objects.filter(pk=assignment.pk).update(
            status=Assignment.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    Assignment.objects.filter(pk=assignment.pk).update(
        status=Assignment.Status.DONE, finished_at=timezone.now()
    )
    assignment.refresh_from_db()
    return assignment


def _enrol_batch(assignment: Assignment, batch: list[int]) -> tuple[int, int]:
    user_model = get_user_model()
    valid = set(
        user_model.objects.filter(pk__in=batch, is_active=True).values_list(
            "pk", flat=True
        )
    )
    existing = set(
        Enrollment.objects.filter(
            course_id=assignment.course_id, user_id__in=batch
        ).values_list("user_id", flat=True)
    )
    new = [
        Enrollment(
            user_id=user_id,
            course_id=assignment.course_id,
            source=Enrollment.Source.ASSIGNED,
            assignment=assignment,
            assigned_by_id=assignment.created_by_id,
            reason=assignment.reason,
            required=assignment.required,
            due_on=assignment.due_on,
        )
        for user_id in batch
        if user_id in valid and user_id not in existing
    ]
    Enrollment.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    updated = _upgrade_existing(assignment, existing & valid) if existing else 0
    return len(new), updated


def _upgrade_existing(assignment: Assignment, user_ids: set[int]) -> int:
    """An enrolment the person already has becomes this assignment's: source
    "assigned", this assigner and reason; required is never switched off and the
    earlier due date wins. Completed enrolments are history and stay as they are."""
    changes = {
        "source": Enrollment.Source.ASSIGNED,
        "assignment": assignment,
        "assigned_by_id": assignment.created_by_id,
        "reason": assignment.reason,
    }
    if assignment.required:
        changes["required"] = True
    if assignment.due_on is not None:
        changes["due_on"] = Case(
            When(due_on__isnull=True, then=Value(assignment.due_on)),
            When(due_on__gt=assignment.due_on, then=Value(assignment.due_on)),
            default=F("due_on"),
        )
    return (
        Enrollment.objects.filter(
            course_id=assignment.course_id,
            user_id__in=user_ids,
            completed_at__isnull=True,
        )
        .exclude(assignment_id=assignment.pk)
        .update(**changes)
    )


@task()
def assignment_run_task(assignment_id: int) -> int:
    """Enrol an assignment's people in batches; safe to run again."""
    return assignment_run(assignment_id=assignment_id).created
