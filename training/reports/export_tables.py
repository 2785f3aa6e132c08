"""Dashboard exports (报表导出): the small tables as XLSX right away, the big ones
(every person of a subtree, every unit of a subtree) as background exports.

This module holds the workbook pieces every export shares (columns and number
formats, the header row, file names, the sheet describing the filters) and the
small tables written while the browser waits. The background exports are queued
by ``training.reports.export_requests`` and written by ``training.reports.export_run``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from training.org.models import Person
from training.reports.dashboard import Counts, Dashboard, DashboardFilter
from training.reports.forms import FOCUS_CHOICES

# Tables small enough to write while the browser waits.
SYNC_TABLES = {
    "units": gettext_lazy("Unit ranking"),
    "breakdown": gettext_lazy("Breakdowns"),
    "trend": gettext_lazy("Monthly trend"),
}
STATUS_LABELS = {
    "compliant": gettext_lazy("Compliant"),
    "in_progress": gettext_lazy("In progress"),
    "overdue": gettext_lazy("Not compliant"),
    "exempt": gettext_lazy("Exempt"),
    "not_compliant": gettext_lazy("Not yet compliant (in progress or overdue)"),
}

PERCENT = "0.0%"
HOURS = "0.00"
INTEGER = "0"
DATE = "yyyy-mm-dd"
MONTH = "yyyy-mm"


@dataclass(frozen=True)
class Column:
    label: str
    width: float
    number_format: str | None = None


# --- workbook helpers -----------------------------------------------------------------

_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_FILENAME_BAD = re.compile(r'[\\/:*?"<>|\r\n\t]+')


def _sheet(wb: Workbook, title: str, columns: list[Column]):
    """A write-only sheet with widths set and a bold, frozen header row."""
    ws = wb.create_sheet(_SHEET_TITLE_BAD.sub("-", str(title))[:31])
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=str(column.label))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    return ws


def _append(ws, columns: list[Column], values: Iterable) -> None:
    """One formatted row (small tables only: a styled cell per value)."""
    row = []
    for column, value in zip(columns, values, strict=True):
        if column.number_format and value is not None:
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = column.number_format
            row.append(cell)
        else:
            row.append(value)
    ws.append(row)


def _percent(value) -> Decimal | None:
    """A rate in percent ("87.3") as the fraction a percent-formatted cell shows."""
    if value is None:
        return None
    return Decimal(str(value)) / 100


def _naive(moment: dt.datetime) -> dt.datetime:
    # Spreadsheet cells have no time zone: write Beijing time.
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _safe_name_part(text: str, limit: int = 40) -> str:
    return _FILENAME_BAD.sub("_", text).strip("_")[:limit]


def export_filename(kind_label: str, f: DashboardFilter, when: dt.datetime) -> str:
    """人员达标情况-<单位>-<项目>-<YYYYMMDD-HHMM>.xlsx"""
    parts = [str(kind_label), f.unit.name]
    if f.programme is not None:
        parts.append(f.programme.name)
    parts.append(timezone.localtime(when).strftime("%Y%m%d-%H%M"))
    return "-".join(_safe_name_part(p) for p in parts if p) + ".xlsx"


# --- describing the filters -----------------------------------------------------------


def cycle_label(dash: Dashboard) -> str:
    f = dash.filter
    if f.programme is None:
        return "—"
    if f.cycle_start is None:
        return _("Counted from each person's event")
    end = dash.classes.get("end") if dash.classes else None
    if end:
        return f"{f.cycle_start:%Y-%m-%d} — {end:%Y-%m-%d}"
    return f"{f.cycle_start:%Y-%m-%d}"


def filter_description(
    f: DashboardFilter, *, status: str = "", at_risk: bool = False
) -> list[tuple[str, str]]:
    """The person filters in force, as (label, value) pairs for titles and notes."""
    found: list[tuple[str, str]] = []
    if f.category:
        found.append((_("Category"), str(Person.Category(f.category).label)))
    if f.grade:
        found.append((_("Grade"), str(Person.Grade(f.grade).label)))
    if f.leadership_level:
        level = (
            _("No leadership post")
            if f.leadership_level == "-"
            else str(Person.LeadershipLevel(f.leadership_level).label)
        )
        found.append((_("Leadership level"), level))
    if f.focus:
        found.append((_("Focus group"), str(dict(FOCUS_CHOICES)[f.focus])))
    if status:
        found.append((_("Status"), str(STATUS_LABELS[status])))
    if at_risk:
        found.append((_("At risk"), _("Yes")))
    return found


def filters_text(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return _("None (everyone in the unit)")
    return "；".join(f"{label}：{value}" for label, value in pairs)


def _about_sheet(
    wb: Workbook,
    *,
    title: str,
    f: DashboardFilter,
    cycle: str,
    filters: list[tuple[str, str]],
    generated_at: dt.datetime,
    user,
    rows: int,
) -> None:
    """A last sheet saying what the table is: unit, programme, cycle, filters, when."""
    columns = [Column(_("Item"), 16), Column(_("Value"), 60)]
    ws = _sheet(wb, _("About this export"), columns)
    when = WriteOnlyCell(ws, value=_naive(generated_at))
    when.number_format = "yyyy-mm-dd hh:mm"
    for label, value in (
        (_("Report"), title),
        (_("Unit"), f.unit.name),
        (_("Programme"), f.programme.name if f.programme else "—"),
        (_("Cycle"), cycle),
        (_("Filters"), filters_text(filters)),
        (_("Rows"), rows),
        (_("Generated at"), when),
        (_("Generated by"), user.get_full_name() if user else ""),
    ):
        ws.append([label, value])


# --- the small tables (synchronous) ---------------------------------------------------


def _count_columns() -> list[Column]:
    return [
        Column(_("People"), 10, INTEGER),
        Column(_("Compliant"), 10, INTEGER),
        Column(_("In progress"), 10, INTEGER),
        Column(_("Not compliant"), 10, INTEGER),
        Column(_("Exempt"), 10, INTEGER),
        Column(_("At risk"), 10, INTEGER),
        Column(_("Compliance rate"), 12, PERCENT),
        Column(_("Online 学时 per head"), 14, HOURS),
    ]


def _count_values(counts: Counts) -> list:
    return [
        counts.total,
        counts.compliant,
        counts.in_progress,
        counts.overdue,
        counts.exempt,
        counts.at_risk,
        _percent(counts.rate),
        counts.online_hours_per_head,
    ]


def breakdown_tables(dash: Dashboard) -> list[tuple[str, list[tuple[str, Counts]]]]:
    """The four breakdowns with readable group names, for the XLSX and the PDF."""
    leadership = {
        value: (str(label) if value else _("No leadership post"))
        for value, label in Person.LeadershipLevel.choices
    }
    focus = dict(FOCUS_CHOICES)
    return [
        (
            _("By category"),
            [
                (str(Person.Category(k).label), c)
                for k, c in dash.by_category.items()
                if k in Person.Category.values
            ],
        ),
        (
            _("By grade"),
            [(str(Person.Grade(k).label), c) for k, c in dash.by_grade.items()],
        ),
        (
            _("By leadership level"),
            [(leadership.get(k, k), c) for k, c in dash.by_leadership.items()],
        ),
        (
            _("By focus group"),
            [(str(focus.get(k, k)), c) for k, c in dash.by_focus.items()],
        ),
    ]


def unit_rows(dash: Dashboard) -> list[tuple]:
    """The child-unit ranking, then the unit's own staff, then the total:
    (rank, code, name, Counts)."""
    f = dash.filter
    rows = [(c["rank"], c["code"], c["name"], c["counts"]) for c in dash.children]
    rows.append(
        (
            None,
            f.unit.code,
            _("%(unit)s (own staff)") % {"unit": f.unit.display_name},
            dash.own,
        )
    )
    rows.append((None, "", _("Total"), dash.summary))
    return rows


def _write_units(wb: Workbook, dash: Dashboard) -> int:
    columns = [
        Column(_("Rank"), 7, INTEGER),
        Column(_("Code"), 12),
        Column(_("Unit"), 32),
        *_count_columns(),
    ]
    ws = _sheet(wb, _("Unit ranking"), columns)
    rows = unit_rows(dash)
    for rank, code, name, counts in rows:
        _append(ws, columns, [rank, code, name, *_count_values(counts)])
    return len(rows)


def _write_breakdown(wb: Workbook, dash: Dashboard) -> int:
    written = 0
    for title, groups in breakdown_tables(dash):
        columns = [Column(_("Group"), 28), *_count_columns()]
        ws = _sheet(wb, title, columns)
        for label, counts in groups:
            _append(ws, columns, [label, *_count_values(counts)])
        written += len(groups)
    return written


def _write_trend(wb: Workbook, dash: Dashboard) -> int:
    columns = [
        Column(_("Month"), 10, MONTH),
        Column(_("Met in the month"), 14, INTEGER),
        Column(_("Met so far"), 14, INTEGER),
        Column(_("Compliance rate so far"), 16, PERCENT),
    ]
    ws = _sheet(wb, _("Monthly trend"), columns)
    for row in dash.trend:
        month = dt.date.fromisoformat(f"{row['month']}-01")
        _append(
            ws,
            columns,
            [month, row["met"], row["cumulative"], _percent(row["rate"])],
        )
    return len(dash.trend)


_TABLE_WRITERS = {
    "units": _write_units,
    "breakdown": _write_breakdown,
    "trend": _write_trend,
}


def table_workbook(dash: Dashboard, table: str, *, user) -> tuple[Workbook, int]:
    """One dashboard table as a workbook (and how many rows it has)."""
    if table not in _TABLE_WRITERS:
        raise ValueError(table)
    wb = Workbook(write_only=True)
    rows = _TABLE_WRITERS[table](wb, dash)
    _about_sheet(
        wb,
        title=str(SYNC_TABLES[table]),
        f=dash.filter,
        cycle=cycle_label(dash),
        filters=filter_description(dash.filter),
        generated_at=timezone.now(),
        user=user,
        rows=rows,
    )
    return wb, rows


def report_pdf_filename(f: DashboardFilter, when: dt.datetime) -> str:
    return export_filename(_("Training compliance report"), f, when)[:-5] + ".pdf"


def table_filename_stem(table: str, f: DashboardFilter) -> str:
    parts = [str(SYNC_TABLES[table]), f.unit.name]
    if f.programme is not None:
        parts.append(f.programme.name)
    return "-".join(_safe_name_part(p) for p in parts)
