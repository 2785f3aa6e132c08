"""Roster import: an XLSX of staff, inserted or updated by employee number.

All rows or none. Every row is checked first (progress is visible while it runs);
only when no row has an error is anything written, in one transaction, with bulk
inserts and updates. Each error names its row number, column and reason.

Columns present in the file set the value (a blank cell clears an optional field);
columns absent from the file leave the current value alone. A blank ID number never
clears the one on file: it is what later rosters are matched on.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.tasks import task_enqueue_or_defer
from cms.xlsx import WorkbookUnreadable, open_workbook
from training.org.identity import (
    national_id_hash,
    national_id_is_valid,
    normalize_national_id,
)
from training.org.models import (
    GRADE_ONLY_FOR_PROSECUTORS,
    OrgUnit,
    Person,
    RosterImport,
)
from training.org.selectors import (
    MANAGE_ROLES,
    protected_user_ids,
    scope_paths,
    user_has_role,
)
from training.org.signals import people_changed

logger = logging.getLogger(__name__)
User = get_user_model()

PROGRESS_EVERY = 500
UPDATE_BATCH = 500
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the file format is Chinese, whatever the UI language
    required: bool = False
    example: str = ""
    note: str = ""


ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("employee_no", "工号", True, "310100001", "唯一，登录名"),
    Column("full_name", "姓名", True, "张明"),
    Column("unit_code", "单位代码", True, "SH-PD", "须在本人管理范围内"),
    Column("category", "人员类别", True, "检察官", "检察官/检察官助理/书记员/…"),
    Column("is_quota", "员额", False, "是", "是/否"),
    Column("grade", "检察官等级", False, "三级高级检察官", "仅检察官填写"),
    Column(
        "leadership_level", "领导职务级别", False, "县处级", "厅局级/县处级/乡科级/无"
    ),
    Column("position_title", "职务", False, "第一检察部主任"),
    Column("national_id", "身份证号", False, "", "18位，仅保存加密摘要和后四位"),
    Column("email", "电子邮箱", False, "zhangming@example.cn"),
    Column("joined_on", "入职日期", False, "2015-07-01", "YYYY-MM-DD"),
    Column("grade_since", "任现等级日期", False, "2021-01-01"),
    Column("post_since", "任现职务日期", False, "2022-03-15"),
    Column("is_active", "在职", False, "是", "是/否，默认是"),
)
_BY_KEY = {c.key: c for c in ROSTER_COLUMNS}
_BY_HEADER = {c.header: c for c in ROSTER_COLUMNS} | _BY_KEY

CATEGORY_LABELS = {
    "检察官": Person.Category.PROSECUTOR,
    "检察官助理": Person.Category.ASSISTANT,
    "书记员": Person.Category.CLERK,
    "司法警察": Person.Category.JUDICIAL_POLICE,
    "检察技术人员": Person.Category.TECHNICIAN,
    "司法行政人员": Person.Category.ADMINISTRATIVE,
}
GRADE_LABELS = {
    "首席大检察官": Person.Grade.CHIEF,
    "一级大检察官": Person.Grade.GRAND_1,
    "二级大检察官": Person.Grade.GRAND_2,
    "一级高级检察官": Person.Grade.SENIOR_1,
    "二级高级检察官": Person.Grade.SENIOR_2,
    "三级高级检察官": Person.Grade.SENIOR_3,
    "四级高级检察官": Person.Grade.SENIOR_4,
    "一级检察官": Person.Grade.PROSECUTOR_1,
    "二级检察官": Person.Grade.PROSECUTOR_2,
    "三级检察官": Person.Grade.PROSECUTOR_3,
    "四级检察官": Person.Grade.PROSECUTOR_4,
    "五级检察官": Person.Grade.PROSECUTOR_5,
}
LEADERSHIP_LABELS = {
    "厅局级": Person.LeadershipLevel.BUREAU,
    "县处级": Person.LeadershipLevel.COUNTY,
    "乡科级": Person.LeadershipLevel.SECTION,
    "无": Person.LeadershipLevel.NONE,
}
_TRUE = {"是", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "n", "no", "false", "0", "×"}
_EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")

PERSON_FIELDS = (
    "unit_id",
    "category",
    "is_quota",
    "grade",
    "leadership_level",
    "position_title",
    "joined_on",
    "grade_since",
    "post_since",
    "is_active",
)


# Person fields that decide which programmes apply (and event-triggered cycles).
COMPLIANCE_FIELDS = frozenset(PERSON_FIELDS) - {"position_title"}


class FileRejected(Exception):
    """The file as a whole cannot be read (not XLSX, no header, too many rows)."""


@dataclass
class RowResult:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, column: Column | None, message: str) -> None:
        self.errors.append(
            {
                "row": self.row,
                "column": column.header if column else "",
                "message": message,
            }
        )


# --- the template --------------------------------------------------------------


def roster_template_workbook() -> bytes:
    """The downloadable template: headers, an example row and a sheet of codes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "人员名册"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for index, column in enumerate(ROSTER_COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center")
        if column.required:
            cell.fill = required_fill
        ws.column_dimensions[cell.column_letter].width = max(12, len(column.header) * 3)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "必填", "示例", "说明"])
    for column in ROSTER_COLUMNS:
        notes.append(
            [
                column.header,
                "是" if column.required else "",
                column.example,
                column.note,
            ]
        )
    notes.append([])
    notes.append(["人员类别可填", "、".join(CATEGORY_LABELS)])
    notes.append(["检察官等级可填", "、".join(GRADE_LABELS)])
    notes.append(["领导职务级别可填", "、".join(LEADERSHIP_LABELS)])
    for cell in notes[1]:
        cell.font = bold
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 22
    notes.column_dimensions["D"].width = 40
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(path_or_file) -> tuple[list[Column | None], list[tuple[int, tuple]]]:
    try:
        wb = open_workbook(path_or_file)
    except WorkbookUnreadable as exc:
        raise FileRejected(_("The file is not a valid XLSX workbook.")) from exc
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise FileRejected(_("The file is empty."))
        columns = [_BY_HEADER.get(_text(h)) for h in header]
        present = {c.key for c in columns if c}
        missing = [
            c.header for c in ROSTER_COLUMNS if c.required and c.key not in present
        ]
        if missing:
            raise FileRejected(
                _("Required columns are missing: %(columns)s")
                % {"columns": "、".join(missing)}
            )
        data = []
        for number, row in enumerate(rows, start=2):
            if not any(_text(v) for v in row):
                continue  # blank lines at the end of sheets are common
            data.append((number, row))
            if len(data) > MAX_ROWS:
                raise FileRejected(
                    _("The file has more than %(max)d rows; split it.")
                    % {"max": MAX_ROWS}
                )
        return columns, data
    finally:
        wb.close()


def _parse_bool(result: RowResult, column: Column, raw: str, default: bool) -> bool:
    if raw == "":
        return default
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    result.error(column, _("“%(value)s” is not 是 or 否.") % {"value": raw})
    return default


def _parse_date(result: RowResult, column: Column, value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = _text(value)
    match = _DATE_RE.match(raw)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    result.error(
        column, _("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": raw}
    )
    return None


def _parse_choice(result: RowResult, column: Column, raw: str, labels: dict) -> str:
    if raw == "":
        return ""
    if raw in labels:
        return labels[raw]
    if raw in labels.values():
        return raw
    result.error(
        column,
        _("“%(value)s” is not allowed; use one of: %(choices)s")
        % {"value": raw, "choices": "、".join(labels)},
    )
    return ""


def _parse_row(number: int, row: tuple, columns: list[Column | None]) -> RowResult:
    result = RowResult(row=number)
    cells: dict[str, Any] = {}
    for column, value in zip(columns, row, strict=False):
        if column is not None:
            cells[column.key] = value
    values = result.values
    for key in ("employee_no", "full_name", "unit_code", "category"):
        raw = _text(cells.get(key))
        if not raw:
            result.error(_BY_KEY[key], _("This field is required."))
        values[key] = raw
    if values["employee_no"] and not _EMPLOYEE_NO_RE.match(values["employee_no"]):
        result.error(
            _BY_KEY["employee_no"],
            _("Employee numbers use letters, digits, “-”, “_” or “.” (2–32)."),
        )
    if len(values["full_name"]) > 100:
        result.error(_BY_KEY["full_name"], _("The name is too long."))
    if values["category"]:
        values["category"] = _parse_choice(
            result, _BY_KEY["category"], values["category"], CATEGORY_LABELS
        )
    if "is_quota" in cells:
        values["is_quota"] = _parse_bool(
            result, _BY_KEY["is_quota"], _text(cells["is_quota"]), False
        )
    if "is_active" in cells:
        values["is_active"] = _parse_bool(
            result, _BY_KEY["is_active"], _text(cells["is_active"]), True
        )
    if "grade" in cells:
        grade = _parse_choice(
            result, _BY_KEY["grade"], _text(cells["grade"]), GRADE_LABELS
        )
        if grade and values["category"] and values["category"] != "prosecutor":
            result.error(_BY_KEY["grade"], str(GRADE_ONLY_FOR_PROSECUTORS))
        values["grade"] = grade
    if "leadership_level" in cells:
        values["leadership_level"] = _parse_choice(
            result,
            _BY_KEY["leadership_level"],
            _text(cells["leadership_level"]),
            LEADERSHIP_LABELS,
        )
    if "position_title" in cells:
        title = _text(cells["position_title"])
        if len(title) > 100:
            result.error(_BY_KEY["position_title"], _("The position is too long."))
        values["position_title"] = title
    for key in ("joined_on", "grade_since", "post_since"):
        if key in cells:
            values[key] = _parse_date(result, _BY_KEY[key], cells[key])
    if "email" in cells:
        email = _text(cells["email"]).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                result.error(
                    _BY_KEY["email"],
                    _("“%(value)s” is not an e-mail address.") % {"value": email},
                )
        values["email"] = email
    raw_id = _text(cells.get("national_id"))
    if raw_id:
        national_id = normalize_national_id(raw_id)
        if national_id_is_valid(national_id):
            values["national_id_hash"] = national_id_hash(national_id)
            values["national_id_last4"] = national_id[-4:]
        else:
            # Never echo the number back: error lists are shown and stored.
            result.error(
                _BY_KEY["national_id"],
                _("The ID number is not a valid 18-character number."),
            )
    return result


# --- checking against the database -------------------------------------------------


def _check_rows(results: list[RowResult], actor) -> dict[str, Person]:
    paths = scope_paths(actor, MANAGE_ROLES) if actor is not None else None

    def in_scope(path: str) -> bool:
        return paths is None or any(path.startswith(p) for p in paths)

    codes = {r.values["unit_code"] for r in results if r.values.get("unit_code")}
    units = {
        u.code: u
        for u in OrgUnit.objects.filter(code__in=codes).only(
            "id", "code", "path", "is_active", "name"
        )
    }
    numbers = [r.values["employee_no"] for r in results if r.values.get("employee_no")]
    existing = {
        p.employee_no: p
        for p in Person.objects.filter(employee_no__in=numbers).select_related("unit")
    }
    hashes = [
        r.values["national_id_hash"] for r in results if "national_id_hash" in r.values
    ]
    hash_owner = dict(
        Person.objects.filter(national_id_hash__in=hashes).values_list(
            "national_id_hash", "employee_no"
        )
    )
    taken_usernames = set(
        User.objects.filter(username__in=numbers, person__isnull=True).values_list(
            "username", flat=True
        )
    )
    protected = protected_user_ids(actor, [p.user_id for p in existing.values()])
    emails = [r.values["email"] for r in results if r.values.get("email")]
    # E-mail login is case-insensitive, so the uniqueness check must be too.
    email_owner = dict(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "username")
    )

    seen_numbers: dict[str, int] = {}
    seen_hashes: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for result in results:
        values = result.values
        number = values.get("employee_no")
        if number:
            if number in seen_numbers:
                result.error(
                    _BY_KEY["employee_no"],
                    _("Employee number %(no)s already appears in row %(row)d.")
                    % {"no": number, "row": seen_numbers[number]},
                )
            else:
                seen_numbers[number] = result.row
            if number in taken_usernames:
                result.error(
                    _BY_KEY["employee_no"],
                    _("Login name %(no)s is already used by another account.")
                    % {"no": number},
                )
            current = existing.get(number)
            if current is not None and not in_scope(current.unit.path):
                result.error(
                    _BY_KEY["employee_no"],
                    _("Employee %(no)s belongs to a unit outside your scope.")
                    % {"no": number},
                )
            elif current is not None and current.user_id in protected:
                result.error(
                    _BY_KEY["employee_no"],
                    _(
                        "Employee %(no)s has an administrator account; only an "
                        "administrator can change it."
                    )
                    % {"no": number},
                )
        code = values.get("unit_code")
        if code:
            unit = units.get(code)
            if unit is None:
                result.error(
                    _BY_KEY["unit_code"],
                    _("Unknown unit code %(code)s.") % {"code": code},
                )
            elif not unit.is_active:
                result.error(
                    _BY_KEY["unit_code"],
                    _("Unit %(code)s is no longer active.") % {"code": code},
                )
            elif not in_scope(unit.path):
                result.error(
                    _BY_KEY["unit_code"],
                    _("Unit %(code)s (%(name)s) is outside your scope.")
                    % {"code": code, "name": unit.name},
                )
            else:
                values["unit_id"] = unit.pk
        id_hash = values.get("national_id_hash")
        if id_hash:
            if id_hash in seen_hashes:
                result.error(
                    _BY_KEY["national_id"],
                    _("The same ID number already appears in row %(row)d.")
                    % {"row": seen_hashes[id_hash]},
                )
            else:
                seen_hashes[id_hash] = result.row
            owner = hash_owner.get(id_hash)
            if owner is not None and owner != number:
                result.error(
                    _BY_KEY["national_id"],
                    _("This ID number is on file for employee %(no)s.") % {"no": owner},
                )
        email = values.get("email")
        if email:
            if email in seen_emails:
                result.error(
                    _BY_KEY["email"],
                    _("The e-mail address already appears in row %(row)d.")
                    % {"row": seen_emails[email]},
                )
            else:
                seen_emails[email] = result.row
            owner = email_owner.get(email)
            if owner is not None and owner != number:
                result.error(
                    _BY_KEY["email"],
                    _("The e-mail address belongs to another account."),
                )
    return existing


# --- writing -------------------------------------------------------------------------


def _write(
    results: list[RowResult], existing: dict[str, Person]
) -> tuple[int, int, list[int]]:
    new_rows = [r for r in results if r.values["employee_no"] not in existing]
    update_rows = [r for r in results if r.values["employee_no"] in existing]

    users = []
    for r in new_rows:
        user = User(
            username=r.values["employee_no"],
            full_name=r.values["full_name"],
            email=r.values.get("email", ""),
            is_active=r.values.get("is_active", True),
        )
        # Roster accounts start without a password: people set one through
        # "forgot password" or an administrator; nobody shares a default password.
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=1000)
    created_users = {
        u.username: u.pk
        for u in User.objects.filter(
            username__in=[r.values["employee_no"] for r in new_rows]
        ).only("id", "username")
    }
    people = []
    for r in new_rows:
        person = Person(
            user_id=created_users[r.values["employee_no"]],
            employee_no=r.values["employee_no"],
        )
        _apply(person, r.values)
        people.append(person)
    Person.objects.bulk_create(people, batch_size=1000)
    created_people = list(
        Person.objects.filter(
            employee_no__in=[r.values["employee_no"] for r in new_rows]
        ).values_list("pk", flat=True)
    )

    changed_people, changed_users = [], []
    person_fields: set[str] = set()
    user_fields: set[str] = set()
    user_ids = [existing[r.values["employee_no"]].user_id for r in update_rows]
    user_by_id = User.objects.in_bulk(user_ids)
    now = timezone.now()
    for r in update_rows:
        person = existing[r.values["employee_no"]]
        changed = _apply(person, r.values)
        if changed:
            person.updated_at = now
            changed_people.append(person)
            person_fields |= changed | {"updated_at"}
        user = user_by_id[person.user_id]
        new_user_values = {"full_name": r.values["full_name"]}
        for name in ("email", "is_active"):
            if name in r.values:
                new_user_values[name] = r.values[name]
        changed = {k for k, v in new_user_values.items() if getattr(user, k) != v}
        if changed:
            for key in changed:
                setattr(user, key, new_user_values[key])
            changed_users.append(user)
            user_fields |= changed
    # Only the rows and columns that really changed are written: bulk_update builds
    # one CASE expression per row and column, which dominates the cost of an update.
    if changed_people:
        Person.objects.bulk_update(
            changed_people, sorted(person_fields), batch_size=UPDATE_BATCH
        )
    if changed_users:
        User.objects.bulk_update(
            changed_users, sorted(user_fields), batch_size=UPDATE_BATCH
        )
    # "Updated" means really changed: a re-import of the same file reports 0.
    updated = {p.user_id for p in changed_people} | {u.pk for u in changed_users}
    # Compliance depends on unit, category, grade, dates…: re-evaluate those people.
    touched = created_people + [
        p.pk for p in changed_people if person_fields & COMPLIANCE_FIELDS
    ]
    return len(new_rows), len(updated), touched


def _apply(person: Person, values: dict[str, Any]) -> set[str]:
    """Set the row's values on the person; return the names of fields that changed."""
    changed = set()
    for name in PERSON_FIELDS:
        if name in values and getattr(person, name) != values[name]:
            setattr(person, name, values[name])
            changed.add(name)
    if values.get("national_id_hash") and (
        person.national_id_hash != values["national_id_hash"]
    ):
        person.national_id_hash = values["national_id_hash"]
        person.national_id_last4 = values["national_id_last4"]
        changed |= {"national_id_hash", "national_id_last4"}
    return changed


# --- entry points --------------------------------------------------------------------


def _may_import(actor) -> bool:
    return actor is None or user_has_role(actor, *MANAGE_ROLES)


def roster_import_create(
    *, actor, uploaded_file: UploadedFile, language: str | None = None
) -> RosterImport:
    """Store an uploaded roster and import it now (small) or in a task (large)."""
    if not _may_import(actor):
        raise PermissionDenied
    record = RosterImport.objects.create(
        uploaded_by=actor,
        file=uploaded_file,
        original_name=uploaded_file.name[:255],
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    try:
        columns, rows = _read_rows(record.file.path)
    except FileRejected as exc:
        return _reject_file(record, str(exc))
    record.total_rows = len(rows)
    record.save(update_fields=["total_rows"])
    if len(rows) > settings.ROSTER_IMPORT_SYNC_MAX_ROWS:
        from training.org.services.roster import roster_import_task

        def enqueue() -> None:
            result = task_enqueue_or_defer(roster_import_task, import_id=record.pk)
            if result is not None:
                RosterImport.objects.filter(pk=record.pk).update(task_id=str(result.id))

        transaction.on_commit(enqueue)
        return record
    # Small files are imported now, from the rows already read (no second parse).
    with translation.override(record.language):
        return _run(record, parsed=(columns, rows))


def _discard_upload(record: RosterImport) -> None:
    """The uploaded workbook carries national ID numbers in clear: once the import
    has finished (either way) only its outcome is kept, never the file."""
    if record.file:
        record.file.delete(save=False)
        RosterImport.objects.filter(pk=record.pk).update(file="")


def _reject_file(record: RosterImport, message: str) -> RosterImport:
    _discard_upload(record)
    record.status = RosterImport.Status.REJECTED
    record.errors = [{"row": 1, "column": "", "message": message}]
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "errors", "finished_at"])
    audit_record(
        action=AuditEvent.Action.ROSTER_REJECTED,
        actor=record.uploaded_by,
        target=record,
        detail={"errors": 1},
    )
    return record


def roster_import_run(*, import_id: int) -> RosterImport:
    """Check every row, then write all of them or none. Safe to call again: a
    finished import is returned as it is."""
    record = RosterImport.objects.select_related("uploaded_by").get(pk=import_id)
    if record.is_finished:
        return record
    with translation.override(record.language):
        return _run(record)


# A large import's task is queued right after its upload commits; one still
# without a task id this long after the upload never reached the queue.
RESUME_AFTER = dt.timedelta(minutes=1)


def roster_imports_resume_stale() -> list[int]:
    """Queue the large imports that never reached the queue (it was down at upload
    time): for the scheduler. Returns their ids."""
    from training.org.services.roster import roster_import_task

    waiting = list(
        RosterImport.objects.filter(
            status=RosterImport.Status.PENDING,
            task_id="",
            total_rows__gt=settings.ROSTER_IMPORT_SYNC_MAX_ROWS,
            created_at__lt=timezone.now() - RESUME_AFTER,
        ).values_list("pk", flat=True)
    )
    for import_id in waiting:
        result = task_enqueue_or_defer(roster_import_task, import_id=import_id)
        if result is None:
            break  # still down; the next run tries again
        RosterImport.objects.filter(pk=import_id).update(task_id=str(result.id))
    return waiting


def _run(record: RosterImport, parsed=None) -> RosterImport:
    actor = record.uploaded_by
    RosterImport.objects.filter(pk=record.pk).update(
        status=RosterImport.Status.RUNNING, processed_rows=0
    )
    if parsed is None:
        try:
            parsed = _read_rows(record.file.path)
        except FileRejected as exc:
            return _reject_file(record, str(exc))
    columns, rows = parsed

    results = []
    for index, (number, row) in enumerate(rows, start=1):
        results.append(_parse_row(number, row, columns))
        if index % PROGRESS_EVERY == 0:
            RosterImport.objects.filter(pk=record.pk).update(processed_rows=index)
    existing = _check_rows(results, actor)
    errors = [error for result in results for error in result.errors]
    record.total_rows = len(rows)
    record.processed_rows = len(rows)
    if not rows:
        errors = [{"row": 2, "column": "", "message": _("The file has no data rows.")}]
    if errors:
        _discard_upload(record)
        record.status = RosterImport.Status.REJECTED
        record.errors = errors
        record.finished_at = timezone.now()
        record.save(
            update_fields=[
                "status",
                "errors",
                "finished_at",
                "total_rows",
                "processed_rows",
            ]
        )
        audit_record(
            action=AuditEvent.Action.ROSTER_REJECTED,
            actor=actor,
            target=record,
            detail={"rows": len(rows), "errors": len(errors)},
        )
        return record

    RosterImport.objects.filter(pk=record.pk).update(
        status=RosterImport.Status.WRITING, processed_rows=len(rows)
    )
    try:
        with transaction.atomic():
            created, updated, touched = _write(results, existing)
            people_changed.send(sender=Person, person_ids=touched)
            record.status = RosterImport.Status.SUCCEEDED
            record.created_count = created
            record.updated_count = updated
            record.errors = []
            record.finished_at = timezone.now()
            record.save(
                update_fields=[
                    "status",
                    "created_count",
                    "updated_count",
                    "errors",
                    "finished_at",
                    "total_rows",
                    "processed_rows",
                ]
            )
            audit_record(
                action=AuditEvent.Action.ROSTER_IMPORTED,
                actor=actor,
                target=record,
                detail={"rows": len(rows), "created": created, "updated": updated},
            )
    except IntegrityError:
        # Another import or an admin edit took an employee number or e-mail between
        # the check and the write. Nothing was written; the user can simply retry.
        logger.exception("roster import %s: conflict while writing", record.pk)
        record.status = RosterImport.Status.FAILED
        record.errors = [
            {
                "row": 1,
                "column": "",
                "message": _(
                    "Someone changed the same people while this file was imported; "
                    "nothing was written. Upload the file again."
                ),
            }
        ]
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "errors", "finished_at"])
    _discard_upload(record)
    return record


@task()
def roster_import_task(import_id: int) -> int:
    """Background roster import for large files; progress is on the RosterImport row."""
    record = roster_import_run(import_id=import_id)
    return record.pk
