"""Classes (培训班): creating them, quotas, nominations, sessions, attendance and
completion, plus the scoped reads the class pages need.

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
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from assessments.models import Attempt
from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import WorkbookUnreadable, open_workbook
from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassQuota,
    ClassSession,
    TrainingClass,
)
from training.classes.signals import class_completed
from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_entry_create
from training.org.models import OrgUnit, Person
from training.org.selectors import (
    MANAGE_ROLES,
    VIEW_ROLES,
    people_visible_to,
    scope_paths,
    unit_in_scope,
)

Attendance = AttendanceRecord.Status
MemberStatus = ClassMember.Status
Result = ClassMember.Result
ClassStatus = TrainingClass.Status

# Classes in these states are closed: no new members, sessions or attendance.
CLOSED = frozenset({ClassStatus.COMPLETED, ClassStatus.CANCELLED})
# Members who hold a seat.
SEATED = (MemberStatus.NOMINATED, MemberStatus.CONFIRMED)

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


# --- reads --------------------------------------------------------------------


def _path_q(paths: list[str], field_name: str) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q


def _ancestor_paths(paths: list[str]) -> list[str]:
    """Every path above (and including) the given ones: a quota on an ancestor of a
    coordinator's unit covers that coordinator's people too."""
    step = OrgUnit.steplen
    found = set()
    for path in paths:
        for end in range(step, len(path) + 1, step):
            found.add(path[:end])
    return sorted(found)


def classes_visible_to(user) -> QuerySet[TrainingClass]:
    """Classes organised within the user's scope, classes with a quota for a unit in
    (or above) the user's scope, classes with members from the user's scope (their
    rosters show only those members), and the classes the user is a member of."""
    classes = TrainingClass.objects.all()
    paths = scope_paths(user, VIEW_ROLES)
    if paths is None:
        return classes
    q = Q(members__person__user_id=user.pk)
    if paths:
        q |= _path_q(paths, "organiser_unit__path")
        q |= _path_q(paths, "quotas__unit__path")
        q |= Q(quotas__unit__path__in=_ancestor_paths(paths))
        q |= _path_q(paths, "members__person__unit__path")
    # The joins may repeat a class; filtering by id keeps the outer query plain.
    return classes.filter(pk__in=TrainingClass.objects.filter(q).values("pk"))


def class_list_for(user) -> QuerySet[TrainingClass]:
    """The class list page: one query, counts annotated."""
    return (
        classes_visible_to(user)
        .select_related("organiser_unit", "programme")
        .annotate(
            seated=Count(
                "members", filter=Q(members__status__in=SEATED), distinct=True
            ),
            session_count=Count("sessions", distinct=True),
        )
        .order_by("-starts_on", "name")
    )


def class_get(*, user, pk: int) -> TrainingClass:
    """A class the user may read, or PermissionDenied (also for unknown ids)."""
    training_class = (
        classes_visible_to(user)
        .select_related("organiser_unit", "programme", "final_quiz")
        .filter(pk=pk)
        .first()
    )
    if training_class is None:
        raise PermissionDenied
    return training_class


def class_may_manage(user, training_class: TrainingClass) -> bool:
    return user is not None and unit_in_scope(
        user, training_class.organiser_unit, manage=True
    )


def class_get_managed(*, user, pk: int) -> TrainingClass:
    """A class whose organiser unit the user manages, or PermissionDenied."""
    training_class = class_get(user=user, pk=pk)
    if not class_may_manage(user, training_class):
        raise PermissionDenied
    return training_class


def class_may_nominate(user, training_class: TrainingClass) -> bool:
    """Organiser managers, and coordinators whose scope a quota reaches."""
    if class_may_manage(user, training_class):
        return True
    paths = scope_paths(user, MANAGE_ROLES)
    if not paths:
        return False
    quota_paths = [q.unit.path for q in _quotas(training_class)]
    return any(
        qp.startswith(p) or p.startswith(qp) for qp in quota_paths for p in paths
    )


def class_roster(*, user, training_class: TrainingClass) -> list[ClassMember]:
    """Members the user may see (people in their scope, or themselves), each with
    ``attended`` / ``recorded`` counts. Three queries whatever the size."""
    visible = people_visible_to(user).values("pk")
    members = list(
        training_class.members.filter(person__in=visible)
        .select_related("person__user", "person__unit", "nominating_unit")
        .annotate(
            attended=Count(
                "attendance", filter=Q(attendance__status__in=AttendanceRecord.ATTENDED)
            ),
            recorded=Count("attendance"),
        )
        .order_by("person__unit__path", "person__employee_no")
    )
    return members


def classes_of_learner(user) -> list[ClassMember]:
    """The user's own memberships, with the class, its sessions and their own
    attendance. Three queries."""
    return list(
        ClassMember.objects.filter(person__user_id=user.pk)
        .select_related("training_class__organiser_unit", "training_class__programme")
        .prefetch_related(
            "training_class__sessions",
            Prefetch(
                "attendance",
                queryset=AttendanceRecord.objects.only(
                    "id", "member_id", "session_id", "status", "leave_reason"
                ),
            ),
        )
        .order_by("-training_class__starts_on")
    )


def quota_usage(training_class: TrainingClass) -> list[dict[str, Any]]:
    """Each quota with the seats its unit has filled."""
    used = dict(
        training_class.members.filter(status__in=SEATED, nominating_unit__isnull=False)
        .values("nominating_unit")
        .annotate(n=Count("id"))
        .values_list("nominating_unit", "n")
    )
    return [
        {
            "quota": q,
            "used": used.get(q.unit_id, 0),
            "free": q.seats - used.get(q.unit_id, 0),
        }
        for q in training_class.quotas.select_related("unit").order_by("unit__path")
    ]


def _quotas(training_class: TrainingClass) -> list[ClassQuota]:
    cached = getattr(training_class, "_quota_cache", None)
    if cached is None:
        cached = list(training_class.quotas.select_related("unit"))
        training_class._quota_cache = cached
    return cached


def quota_for(training_class: TrainingClass, unit: OrgUnit) -> ClassQuota | None:
    """The quota whose unit's subtree contains ``unit``: the deepest one."""
    matches = [q for q in _quotas(training_class) if unit.path.startswith(q.unit.path)]
    return max(matches, key=lambda q: len(q.unit.path), default=None)


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


# --- sessions and attendance --------------------------------------------------


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


# --- attendance import --------------------------------------------------------

IMPORT_COLUMNS = ("工号", "日期", "状态", "请假事由")
NAME_COLUMN = "姓名"  # in the template for the reader's sake; ignored on import
STATUS_LABELS = {
    "出勤": Attendance.PRESENT,
    "迟到": Attendance.LATE,
    "请假": Attendance.LEAVE,
    "缺勤": Attendance.ABSENT,
}
STATUS_NAMES = {value: label for label, value in STATUS_LABELS.items()}
MAX_IMPORT_ROWS = 20_000


class AttendanceImportError(Exception):
    """The file was rejected; ``errors`` lists ``{"row", "column", "message"}``."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class _Row:
    number: int
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append({"row": self.number, "column": column, "message": message})


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _cell_text(value).replace("/", "-").replace(".", "-")
    raw = raw.replace("年", "-").replace("月", "-").replace("日", "")
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in raw.split("-")))
    except ValueError:
        return None


def attendance_template_workbook(training_class: TrainingClass) -> bytes:
    """One row per enrolled member and session, 状态 left blank to fill in."""
    wb = Workbook()
    ws = wb.active
    ws.title = "考勤"
    headers = [IMPORT_COLUMNS[0], NAME_COLUMN, *IMPORT_COLUMNS[1:]]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    sessions = list(training_class.sessions.all())
    members = (
        training_class.members.filter(status=MemberStatus.CONFIRMED)
        .select_related("person__user")
        .order_by("person__employee_no")
    )
    for session in sessions:
        for member in members:
            ws.append(
                [
                    member.person.employee_no,
                    member.person.user.full_name,
                    session.date.isoformat(),
                    "",
                    "",
                ]
            )
    for letter, width in zip("ABCDE", (14, 12, 12, 8, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["状态可填", "、".join(STATUS_LABELS)])
    notes.append(["请假事由", "状态为请假时必填"])
    notes.append(
        ["日期", "培训班课程日期，YYYY-MM-DD；同一天有多节课时适用于当天全部课程"]
    )
    notes.append(["空白状态", "状态留空的行不导入"])
    notes.append(["全部或全不", "任何一行有错误时，整个文件都不导入"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _import_rows(file) -> list[tuple[int, dict[str, Any]]]:
    try:
        wb = open_workbook(file)
    except WorkbookUnreadable as exc:
        raise AttendanceImportError(
            [
                {
                    "row": 0,
                    "column": "",
                    "message": _("The file is not a valid XLSX workbook."),
                }
            ]
        ) from exc
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [_cell_text(h) for h in (next(rows, None) or ())]
        missing = [c for c in IMPORT_COLUMNS[:3] if c not in header]
        if missing:
            raise AttendanceImportError(
                [
                    {
                        "row": 1,
                        "column": "",
                        "message": _("Required columns are missing: %(columns)s")
                        % {"columns": "、".join(missing)},
                    }
                ]
            )
        index = {name: header.index(name) for name in IMPORT_COLUMNS if name in header}
        data = []
        for number, row in enumerate(rows, start=2):
            cells = {
                name: (row[i] if i < len(row) else None) for name, i in index.items()
            }
            if not any(_cell_text(v) for v in cells.values()):
                continue
            data.append((number, cells))
            if len(data) > MAX_IMPORT_ROWS:
                raise AttendanceImportError(
                    [
                        {
                            "row": number,
                            "column": "",
                            "message": _(
                                "The file has more than %(max)d rows; split it."
                            )
                            % {"max": MAX_IMPORT_ROWS},
                        }
                    ]
                )
        return data
    finally:
        wb.close()


@transaction.atomic
def attendance_import(*, training_class: TrainingClass, file, actor) -> int:
    """Attendance from an XLSX (工号 / 日期 / 状态 / 请假事由). Every row is checked
    first; any error rejects the whole file. Rows with a blank 状态 are skipped.
    Returns the number of attendance records written or changed."""
    training_class = _lock(training_class)
    _require_manager(actor, training_class)
    _require_open(training_class)
    data = _import_rows(file)
    members = {
        m.person.employee_no: m
        for m in training_class.members.filter(
            status=MemberStatus.CONFIRMED
        ).select_related("person")
    }
    sessions_by_date: dict[dt.date, list[ClassSession]] = {}
    for session in training_class.sessions.all():
        sessions_by_date.setdefault(session.date, []).append(session)
    errors: list[dict[str, Any]] = []
    per_session: dict[int, dict[int, tuple[str, str]]] = {}
    seen: dict[tuple[str, dt.date], int] = {}
    for number, cells in data:
        row = _Row(number)
        employee_no = _cell_text(cells.get("工号"))
        raw_status = _cell_text(cells.get("状态"))
        reason = _cell_text(cells.get("请假事由"))
        if not raw_status:
            continue
        member = members.get(employee_no)
        if not employee_no:
            row.error("工号", _("This field is required."))
        elif member is None:
            row.error(
                "工号",
                _("“%(value)s” is not enrolled in this class.")
                % {"value": employee_no},
            )
        day = _cell_date(cells.get("日期"))
        if day is None:
            row.error(
                "日期",
                _("“%(value)s” is not a date (use YYYY-MM-DD).")
                % {"value": _cell_text(cells.get("日期"))},
            )
        elif day not in sessions_by_date:
            row.error(
                "日期",
                _("The class has no session on %(date)s.") % {"date": day.isoformat()},
            )
        status = STATUS_LABELS.get(raw_status)
        if status is None:
            row.error(
                "状态",
                _("“%(value)s” is not allowed; use one of: %(choices)s")
                % {"value": raw_status, "choices": "、".join(STATUS_LABELS)},
            )
        elif status == Attendance.LEAVE and not reason:
            row.error("请假事由", _("Give the reason for the leave."))
        elif len(reason) > 300:
            row.error("请假事由", _("The reason is longer than 300 characters."))
        if member is not None and day is not None:
            first = seen.setdefault((employee_no, day), number)
            if first != number:
                row.error(
                    "工号",
                    _(
                        "Row %(row)d already gives this person's attendance "
                        "on this date."
                    )
                    % {"row": first},
                )
        if row.errors:
            errors.extend(row.errors)
            continue
        for session in sessions_by_date[day]:
            per_session.setdefault(session.pk, {})[member.pk] = (status, reason)
    if errors:
        raise AttendanceImportError(errors)
    sessions = {s.pk: s for day in sessions_by_date.values() for s in day}
    written = 0
    for session_id, statuses in per_session.items():
        session = sessions[session_id]
        session.training_class = training_class
        written += _write_attendance(session=session, statuses=statuses, actor=actor)
    return written


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
