"""Reading a roster workbook and parsing its rows: every cell checked on its own,
each error naming its row, column and reason."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from cms.xlsx import WorkbookUnreadable, open_workbook
from training.org.identity import (
    national_id_hash,
    national_id_is_valid,
    normalize_national_id,
)
from training.org.models import GRADE_ONLY_FOR_PROSECUTORS
from training.org.services.roster.columns import (
    _BY_HEADER,
    _BY_KEY,
    CATEGORY_LABELS,
    GRADE_LABELS,
    LEADERSHIP_LABELS,
    ROSTER_COLUMNS,
    Column,
)

MAX_ROWS = 200_000

_TRUE = {"是", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "n", "no", "false", "0", "×"}
_EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


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
