"""Attendance of class sessions: the check-in screen's bulk recording and the
single-record call built on it. The writes lock the class and check the organiser's
rights like the other class services; the first record moves a planned class to
running.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassSession,
    TrainingClass,
)
from training.classes.services import _lock, _require_manager, _require_open

Attendance = AttendanceRecord.Status
MemberStatus = ClassMember.Status
ClassStatus = TrainingClass.Status


def _attendance_error(status: str, reason: str) -> str | None:
    if status not in Attendance.values:
        return _("Choose present, late, on leave or absent.")
    if status == Attendance.LEAVE and not reason.strip():
        return _("Give the reason for the leave.")
    if len(reason.strip()) > 300:
        return _("The reason is longer than 300 characters.")
    return None


def _write_attendance(
    *, session: ClassSession, statuses: dict[int, tuple[str, str]], actor
) -> int:
    """Insert or update one record per member, two queries plus the writes."""
    existing = {
        r.member_id: r
        for r in AttendanceRecord.objects.filter(
            session=session, member_id__in=list(statuses)
        )
    }
    recorder = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    new, changed = [], []
    for member_id, (status, reason) in statuses.items():
        reason = reason.strip() if status == Attendance.LEAVE else ""
        record = existing.get(member_id)
        if record is None:
            new.append(
                AttendanceRecord(
                    session=session,
                    member_id=member_id,
                    status=status,
                    leave_reason=reason,
                    recorded_by=recorder,
                )
            )
        elif record.status != status or record.leave_reason != reason:
            record.status = status
            record.leave_reason = reason
            record.recorded_by = recorder
            record.recorded_at = now
            changed.append(record)
    AttendanceRecord.objects.bulk_create(new)
    AttendanceRecord.objects.bulk_update(
        changed, ["status", "leave_reason", "recorded_by", "recorded_at"]
    )
    training_class = session.training_class
    if training_class.status == ClassStatus.PLANNED and (new or changed):
        training_class.status = ClassStatus.RUNNING
        training_class.save(update_fields=["status"])
    return len(new) + len(changed)


@transaction.atomic
def attendance_bulk_record(
    *, session: ClassSession, statuses: dict[int, tuple[str, str]], actor
) -> int:
    """Record the check-in screen: ``{member_id: (status, leave reason)}``. All or
    nothing; errors come back keyed by member id (as strings)."""
    training_class = _lock(session.training_class)
    session.training_class = training_class
    _require_manager(actor, training_class)
    _require_open(training_class)
    members = set(
        training_class.members.filter(
            pk__in=list(statuses), status=MemberStatus.CONFIRMED
        ).values_list("pk", flat=True)
    )
    errors: dict[str, list[str]] = {}
    for member_id, (status, reason) in statuses.items():
        if member_id not in members:
            errors[str(member_id)] = [_("This person is not enrolled in the class.")]
            continue
        message = _attendance_error(status, reason)
        if message:
            errors[str(member_id)] = [message]
    if errors:
        raise ValidationError(errors)
    return _write_attendance(session=session, statuses=statuses, actor=actor)


def attendance_record(
    *,
    session: ClassSession,
    member: ClassMember,
    status: str,
    leave_reason: str = "",
    actor,
) -> AttendanceRecord:
    try:
        attendance_bulk_record(
            session=session, statuses={member.pk: (status, leave_reason)}, actor=actor
        )
    except ValidationError as exc:
        raise ValidationError(exc.messages) from exc
    return AttendanceRecord.objects.get(session=session, member=member)
