"""Attendance by XLSX: the template workbook to fill in (one row per enrolled
member and session) and its import, checked row by row and written all or nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from cms.xlsx import WorkbookUnreadable, open_workbook
from training.classes.attendance import _write_attendance
from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassSession,
    TrainingClass,
)
from training.classes.services import _lock, _require_manager, _require_open

Attendance = AttendanceRecord.Status
MemberStatus = ClassMember.Status

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
