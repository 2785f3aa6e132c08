"""Builders for the catalogue, search and My learning tests (E2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from courses.models import CoursePage, Enrollment
from courses.services import assignment_create, assignment_run, enrollment_create
from tests.courses.conftest import make_course


def published_course(index, title, *, subjects=(), **fields) -> CoursePage:
    """A course published the way an editor does it (revision → publish), so
    subjects are stored and first_published_at is set."""
    course = make_course(index, title, live=False, **fields)
    course.subjects.set(subjects)
    course.save_revision().publish()
    course.refresh_from_db()
    return course


def enrol(user, course, *, progress: int = 0) -> Enrollment:
    enrollment = enrollment_create(user=user, course=course)
    if progress:
        Enrollment.objects.filter(pk=enrollment.pk).update(progress_percent=progress)
    enrollment.refresh_from_db()
    return enrollment


def complete(enrollment, *, at=None, hours="1.00") -> Enrollment:
    """Mark an enrolment complete as the progress service would have."""
    Enrollment.objects.filter(pk=enrollment.pk).update(
        completed_at=at or timezone.now(),
        credit_hours=Decimal(hours),
        progress_percent=100,
    )
    enrollment.refresh_from_db()
    return enrollment


def assign(actor, course, users, *, due_on=None, reason="年度必修", required=True):
    """Assign through the service and run the task body at once (the test's
    transaction never commits, so on_commit would never enqueue it)."""
    assignment = assignment_create(
        actor=actor,
        course=course,
        user_ids=[u.pk for u in users],
        target_kind="people",
        target_label="测试",
        due_on=due_on,
        required=required,
        reason=reason,
    )
    return assignment_run(assignment_id=assignment.pk)


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)
