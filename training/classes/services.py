"""Classes (培训班): creating them, quotas, nominations, sessions and completion.
The scoped reads are in ``training.classes.selectors``, attendance in
``training.classes.attendance`` and its XLSX template and import in
``training.classes.attendance_import``.

Who may do what:

- the *organiser* side: users who manage the class's ``organiser_unit`` (its subtree
  in their manage scope) create and edit the class, set quotas, add sessions, record
  attendance and complete the class;
- the *nominating* side: a coordinator nominates people of their own manage scope,
  within the quota of the unit whose subtree contains the person (the deepest such
  quota) and within the class capacity. The class row is locked while seats are
  counted, so two coordinators nominating at once cannot overfill it.

Completion computes each confirmed member's attendance, decides the result and
credits the passed members in the 学时 ledger (idempotent by ``source_key``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.models import Attempt
from cms.audit import audit_record
from cms.models import AuditEvent
from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassQuota,
    ClassSession,
    TrainingClass,
)
from training.classes.selectors import SEATED, class_may_manage, quota_for
from training.classes.signals import class_completed
from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_entry_create
from training.org.models import OrgUnit, Person
from training.org.selectors import unit_in_scope

MemberStatus = ClassMember.Status
Result = ClassMember.Result
ClassStatus = TrainingClass.Status

# Classes in these states are closed: no new members, sessions or attendance.
CLOSED = frozenset({ClassStatus.COMPLETED, ClassStatus.CANCELLED})

CLASS_FIELDS = (
    "name",
    "kind",
    "programme",
    "place",
    "starts_on",
    "ends_on",
    "capacity",
    "credited_hours",
    "credited_days",
    "min_attendance_percent",
    "final_quiz",
    "description",
    "issues_certificate",
    "certificate_template",
)


# --- permission helpers -------------------------------------------------------


def _require_manager(actor, training_class: TrainingClass) -> None:
    """``actor=None`` is the system (demo seeding, management commands)."""
    if actor is None:
        return
    if not unit_in_scope(actor, training_class.organiser_unit, manage=True):
        raise PermissionDenied


def _require_open(training_class: TrainingClass) -> None:
    if training_class.status in CLOSED:
        raise ValidationError(
            _("This class is closed (%(status)s): it can no longer be changed.")
            % {"status": training_class.get_status_display()}
        )


def _lock(training_class: TrainingClass) -> TrainingClass:
    return (
        TrainingClass.objects.select_for_update(of=("self",))
        .select_related("organiser_unit")
        .get(pk=training_class.pk)
    )


# --- the class ----------------------------------------------------------------


@transaction.atomic
def class_create(*, actor, organiser_unit: OrgUnit, **fields: Any) -> TrainingClass:
    if actor is not None and not unit_in_scope(actor, organiser_unit, manage=True):
        raise PermissionDenied
    unknown = set(fields) - set(CLASS_FIELDS)
    if unknown:
        raise TypeError(f"unknown class fields: {sorted(unknown)}")
    training_class = TrainingClass(
        organiser_unit=organiser_unit,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **fields,
    )
    training_class.full_clean()
    training_class.save()
    return training_class


@transaction.atomic
def class_update(
    *, training_class: TrainingClass, actor, **fields: Any
) -> TrainingClass:
    """Change the class. Moving it to another organiser needs manage rights on both."""
    training_class = _lock(training_class)
    _require_manager(actor, training_class)
    _require_open(training_class)
    organiser = fields.pop("organiser_unit", None)
    unknown = set(fields) - set(CLASS_FIELDS)
    if unknown:
        raise TypeError(f"unknown class fields: {sorted(unknown)}")
    if organiser is not None and organiser.pk != training_class.organiser_unit_id:
        if actor is not None and not unit_in_scope(actor, organiser, manage=True):
            raise PermissionDenied
        training_class.organiser_unit = organiser
    for name, value in fields.items():
        setattr(training_class, name, value)
    seated = training_class.members.filter(status__in=SEATED).count()
    if training_class.capacity is not None and training_class.capacity < seated:
        raise ValidationError(
            {
                "capacity": _(
                    "%(count)d people are already in the class: the capacity "
                    "cannot be lower."
                )
                % {"count": seated}
            }
        )
    quota_total = sum(training_class.quotas.values_list("seats", flat=True))
    if training_class.capacity is not None and training_class.capacity < quota_total:
        raise ValidationError(
            {
                "capacity": _(
                    "The quotas already give out %(count)d seats: the capacity "
                    "cannot be lower."
                )
                % {"count": quota_total}
            }
        )
    training_class.full_clean()
    training_class.save()
    return training_class


@transaction.atomic
def class_quota_set(
    *, training_class: TrainingClass, unit: OrgUnit, seats: int, actor
) -> ClassQuota | None:
    """Give ``unit`` (below the organiser) ``seats`` seats; 0 removes its quota."""
    training_class = _lock(training_class)
    _require_manager(actor, training_class)
    _require_open(training_class)
    organiser = training_class.organiser_unit
    if not unit.path.startswith(organiser.path) or unit.pk == organiser.pk:
        raise ValidationError(
            {"unit": _("Quotas go to units below the organising unit.")}
        )
    if seats < 0:
        raise ValidationError({"seats": _("Seats cannot be negative.")})
    used = training_class.members.filter(
        status__in=SEATED, nominating_unit=unit
    ).count()
    if seats < used:
        raise ValidationError(
            {
                "seats": _(
                    "This unit has already filled %(used)d seats: withdraw people "
                    "first."
                )
                % {"used": used}
            }
        )
    others = sum(
        training_class.quotas.exclude(unit=unit).values_list("seats", flat=True)
    )
    if others + seats > training_class.capacity:
        raise ValidationError(
            {
                "seats": _(
                    "Quotas would total %(total)d seats, more than the capacity of "
                    "%(capacity)d."
                )
                % {"total": others + seats, "capacity": training_class.capacity}
            }
        )
    if seats == 0:
        training_class.quotas.filter(unit=unit).delete()
        return None
    quota = training_class.quotas.filter(unit=unit).first() or ClassQuota(
        training_class=training_class, unit=unit
    )
    quota.seats = seats
    quota.full_clean()
    quota.save()
    return quota


# --- members ------------------------------------------------------------------


@transaction.atomic
def class_nominate(
    *, training_class: TrainingClass, person: Person, actor
) -> ClassMember:
    """Put ``person`` in the class, counted against the quota covering their unit.

    The class row is locked first: every nomination of this class waits for the
    one before it, so the seat counts below are never stale.
    """
    training_class = _lock(training_class)
    person = Person.objects.select_related("unit", "user").get(pk=person.pk)
    if actor is not None and not unit_in_scope(actor, person.unit, manage=True):
        raise PermissionDenied
    _require_open(training_class)
    if not person.is_active:
        raise ValidationError(_("%(person)s is not in service.") % {"person": person})
    existing = training_class.members.filter(person=person).first()
    if existing is not None and existing.status in SEATED:
        raise ValidationError(
            _("%(person)s is already in this class.") % {"person": person}
        )
    quota = quota_for(training_class, person.unit)
    is_organiser = actor is None or unit_in_scope(
        actor, training_class.organiser_unit, manage=True
    )
    if quota is None and not is_organiser:
        raise ValidationError(
            _("The class has no quota for %(unit)s.") % {"unit": person.unit}
        )
    if quota is None and not person.unit.path.startswith(
        training_class.organiser_unit.path
    ):
        raise ValidationError(
            _("%(person)s works outside the organising unit.") % {"person": person}
        )
    seated = training_class.members.filter(status__in=SEATED)
    if seated.count() >= training_class.capacity:
        raise ValidationError(
            _("The class is full (%(capacity)d seats).")
            % {"capacity": training_class.capacity}
        )
    if quota is not None and seated.filter(nominating_unit=quota.unit).count() >= (
        quota.seats
    ):
        raise ValidationError(
            _("The quota of %(unit)s (%(seats)d seats) is used up.")
            % {"unit": quota.unit, "seats": quota.seats}
        )
    member = existing or ClassMember(training_class=training_class, person=person)
    member.status = MemberStatus.CONFIRMED
    member.nominating_unit = quota.unit if quota else None
    member.nominated_by = actor if getattr(actor, "is_authenticated", False) else None
    member.result = Result.PENDING
    member.attendance_percent = None
    member.result_note = ""
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def class_member_withdraw(*, member: ClassMember, actor) -> ClassMember:
    """Free the seat. The organiser or the person's own coordinator may do it."""
    member = (
        ClassMember.objects.select_for_update(of=("self",))
        .select_related("training_class__organiser_unit", "person__unit")
        .get(pk=member.pk)
    )
    training_class = member.training_class
    if actor is not None and not (
        class_may_manage(actor, training_class)
        or unit_in_scope(actor, member.person.unit, manage=True)
    ):
        raise PermissionDenied
    _require_open(training_class)
    member.status = MemberStatus.WITHDRAWN
    member.save(update_fields=["status"])
    return member


# --- sessions -----------------------------------------------------------------


@transaction.atomic
def class_session_add(
    *,
    training_class: TrainingClass,
    actor,
    date: dt.date,
    starts_at: dt.time,
    ends_at: dt.time,
    title: str,
) -> ClassSession:
    training_class = _lock(training_class)
    _require_manager(actor, training_class)
    _require_open(training_class)
    errors = {}
    if not training_class.starts_on <= date <= training_class.ends_on:
        errors["date"] = _("The session must fall between %(start)s and %(end)s.") % {
            "start": training_class.starts_on.isoformat(),
            "end": training_class.ends_on.isoformat(),
        }
    if ends_at <= starts_at:
        errors["ends_at"] = _("The session must end after it starts.")
    if errors:
        raise ValidationError(errors)
    session = ClassSession(
        training_class=training_class,
        date=date,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
    )
    session.full_clean()
    session.save()
    return session


# --- completion ---------------------------------------------------------------


@dataclass
class Outcome:
    member: ClassMember
    attended: int
    sessions: int
    percent: Decimal
    passed: bool
    note: str


def _percent(attended: int, sessions: int) -> Decimal:
    if not sessions:
        return Decimal("0.0")
    return (Decimal(attended) * 100 / sessions).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def class_outcomes(training_class: TrainingClass) -> list[Outcome]:
    """What completing the class would decide for each enrolled member. Four
    queries: sessions, members with attendance counts, passed final-exam attempts."""
    sessions = training_class.sessions.count()
    members = list(
        training_class.members.filter(status=MemberStatus.CONFIRMED)
        .select_related("person__user", "person__unit")
        .annotate(
            attended=Count(
                "attendance", filter=Q(attendance__status__in=AttendanceRecord.ATTENDED)
            )
        )
        .order_by("person__unit__path", "person__employee_no")
    )
    quiz_passers: set[int] = set()
    if training_class.final_quiz_id:
        quiz_passers = set(
            Attempt.objects.filter(
                quiz_id=training_class.final_quiz_id,
                user_id__in=[m.person.user_id for m in members],
                passed=True,
            ).values_list("user_id", flat=True)
        )
    required = training_class.min_attendance_percent
    outcomes = []
    for member in members:
        percent = _percent(member.attended, sessions)
        notes = []
        # Integer arithmetic: 4 of 5 sessions is exactly 80 %, never 79.99.
        if not sessions or member.attended * 100 < required * sessions:
            notes.append(
                _("Attendance %(percent)s%% is below the required %(required)s%%.")
                % {"percent": percent, "required": required}
            )
        if training_class.final_quiz_id and member.person.user_id not in quiz_passers:
            notes.append(_("The final exam has not been passed."))
        outcomes.append(
            Outcome(
                member=member,
                attended=member.attended,
                sessions=sessions,
                percent=percent,
                passed=not notes,
                note="；".join(notes),
            )
        )
    return outcomes


@transaction.atomic
def class_complete(*, training_class: TrainingClass, actor) -> list[Outcome]:
    """Decide every enrolled member's result and credit those who passed."""
    training_class = _lock(training_class)
    _require_manager(actor, training_class)
    if training_class.status == ClassStatus.COMPLETED:
        raise ValidationError(_("This class has already been completed."))
    _require_open(training_class)
    if not training_class.sessions.exists():
        raise ValidationError(_("Add the sessions before completing the class."))
    # Stored titles and notes are read by everyone: keep them in the site language.
    with translation.override(settings.LANGUAGE_CODE):
        outcomes = class_outcomes(training_class)
        title = _("Class: %(name)s") % {"name": training_class.name}
    members = []
    for outcome in outcomes:
        member = outcome.member
        member.result = Result.PASSED if outcome.passed else Result.FAILED
        member.attendance_percent = outcome.percent
        member.result_note = outcome.note[:300]
        members.append(member)
    ClassMember.objects.bulk_update(
        members, ["result", "attendance_percent", "result_note"]
    )
    credited_by = actor if getattr(actor, "is_authenticated", False) else None
    for outcome in outcomes:
        if not outcome.passed:
            continue
        ledger_entry_create(
            person=outcome.member.person,
            source=LedgerEntry.Source.CLASS,
            title=title,
            hours=training_class.credited_hours,
            days=training_class.credited_days,
            is_centralised=training_class.kind == TrainingClass.Kind.CENTRALISED,
            programme=training_class.programme,
            occurred_on=training_class.ends_on,
            source_key=f"class:{training_class.pk}:{outcome.member.person_id}",
            actor=credited_by,
        )
    training_class.status = ClassStatus.COMPLETED
    training_class.completed_at = timezone.now()
    training_class.completed_by = credited_by
    training_class.save(update_fields=["status", "completed_at", "completed_by"])
    passed = sum(1 for o in outcomes if o.passed)
    audit_record(
        action=AuditEvent.Action.CLASS_COMPLETED,
        actor=credited_by,
        target=training_class,
        detail={
            "members": len(outcomes),
            "passed": passed,
            "failed": len(outcomes) - passed,
            "hours": str(training_class.credited_hours),
            "days": str(training_class.credited_days),
        },
    )
    class_completed.send(sender=TrainingClass, training_class=training_class)
    return outcomes
