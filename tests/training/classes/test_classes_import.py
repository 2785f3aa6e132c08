"""Attendance import: XLSX with 工号 / 日期 / 状态 / 请假事由, all rows or none."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from tests.factories.training import make_class
from training.classes.attendance_import import (
    AttendanceImportError,
    attendance_import,
    attendance_template_workbook,
)
from training.classes.models import AttendanceRecord
from training.classes.services import class_nominate

HEADER = ["工号", "日期", "状态", "请假事由"]


def _xlsx(rows, header=HEADER) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "attendance.xlsx"
    return buffer


@pytest.fixture
def klass(tree, coordinator, people):
    training_class = make_class(tree.city_a, actor=coordinator, sessions=2)
    for code in ("A1", "A2"):
        class_nominate(
            training_class=training_class, person=people[code], actor=coordinator
        )
    return training_class


def test_import_writes_every_row(klass, coordinator):
    written = attendance_import(
        training_class=klass,
        file=_xlsx(
            [
                ["P-A1", "2026-05-11", "出勤", ""],
                ["P-A2", dt.datetime(2026, 5, 11), "请假", "出庭"],
                ["P-A1", "2026/5/12", "迟到", ""],
                ["P-A2", "2026-05-12", "", ""],  # blank status: skipped
            ]
        ),
        actor=coordinator,
    )
    assert written == 3
    records = {
        (r.member.person.employee_no, r.session.date): (r.status, r.leave_reason)
        for r in AttendanceRecord.objects.select_related("member__person", "session")
    }
    assert records == {
        ("P-A1", dt.date(2026, 5, 11)): ("present", ""),
        ("P-A2", dt.date(2026, 5, 11)): ("leave", "出庭"),
        ("P-A1", dt.date(2026, 5, 12)): ("late", ""),
    }


def test_import_all_or_nothing_with_row_errors(klass, coordinator):
    with pytest.raises(AttendanceImportError) as exc:
        attendance_import(
            training_class=klass,
            file=_xlsx(
                [
                    ["P-A1", "2026-05-11", "出勤", ""],  # fine
                    ["P-B1", "2026-05-11", "出勤", ""],  # not a member
                    ["P-A2", "2026-06-01", "出勤", ""],  # no session that day
                    ["P-A2", "2026-05-11", "请假", ""],  # leave without reason
                    ["P-A1", "2026-05-12", "早退", ""],  # unknown status
                    ["P-A1", "2026-05-11", "缺勤", ""],  # duplicate of row 2
                    ["P-A2", "不是日期", "出勤", ""],  # bad date
                ]
            ),
            actor=coordinator,
        )
    errors = {(e["row"], e["column"]) for e in exc.value.errors}
    assert errors == {
        (3, "工号"),
        (4, "日期"),
        (5, "请假事由"),
        (6, "状态"),
        (7, "工号"),
        (8, "日期"),
    }
    assert all(e["message"] for e in exc.value.errors)
    assert not AttendanceRecord.objects.exists()


def test_import_rejects_missing_columns_and_bad_files(klass, coordinator):
    with pytest.raises(AttendanceImportError) as exc:
        attendance_import(
            training_class=klass,
            file=_xlsx([["P-A1", "出勤"]], header=["工号", "状态"]),
            actor=coordinator,
        )
    assert "日期" in exc.value.errors[0]["message"]
    not_xlsx = io.BytesIO(b"not a workbook")
    with pytest.raises(AttendanceImportError):
        attendance_import(training_class=klass, file=not_xlsx, actor=coordinator)


def test_import_refused_to_other_unit(klass, coordinator_b):
    with pytest.raises(PermissionDenied):
        attendance_import(
            training_class=klass,
            file=_xlsx([["P-A1", "2026-05-11", "出勤", ""]]),
            actor=coordinator_b,
        )
    assert not AttendanceRecord.objects.exists()


def test_template_lists_members_per_session(klass, coordinator):
    wb = load_workbook(io.BytesIO(attendance_template_workbook(klass)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:5] == ("工号", "姓名", "日期", "状态", "请假事由")
    assert len(rows) == 1 + 2 * 2
    # The untouched template imports nothing (every status is blank).
    buffer = io.BytesIO(attendance_template_workbook(klass))
    assert attendance_import(training_class=klass, file=buffer, actor=coordinator) == 0
