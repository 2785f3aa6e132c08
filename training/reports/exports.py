"""Dashboard exports (报表导出): the small tables as XLSX right away, the big ones
(every person of a subtree, every unit of a subtree) as background exports.

A background export stores the dashboard filters it was asked with; the run
rebuilds the filter *as the requester*, so someone who lost their role since gets
a failed export, not the data. The people table is streamed: ``values_list`` over
a server-side cursor into a write-only workbook, progress written every
``PROGRESS_EVERY`` rows, so memory stays flat for 300,000 rows.

Each run claims its row by moving it from queued to running and stamping
``started_at``; every later write of that run is conditional on that stamp, so a
run restarted after its worker died cannot be overwritten by the old one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cms.audit import audit_record
from cms.tasks import task_enqueue_or_defer
from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup
from training.org.models import OrgUnit, Person
from training.reports.dashboard import (
    PEOPLE_STATUSES,
    SUMS,
    Counts,
    Dashboard,
    DashboardFilter,
    dashboard_people,
)
from training.reports.export_models import ReportExport
from training.reports.forms import FOCUS_CHOICES, dashboard_filter_from, filter_params

logger = logging.getLogger(__name__)

Status = ReportExport.Status

KIND_PEOPLE = "people"
KIND_UNITS_ALL = "units_all"
KINDS = {
    KIND_PEOPLE: gettext_lazy("People compliance"),
    KIND_UNITS_ALL: gettext_lazy("All subordinate units"),
}
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
PROGRESS_EVERY = 5000
STALE_AFTER = dt.timedelta(minutes=5)

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


# --- background exports: request, restart ---------------------------------------------


def _truthy(value) -> bool:
    return str(value or "").lower() in ("1", "true", "on", "yes")


def report_export_request(
    *, user, kind: str, params, request=None, enqueue: bool = True
) -> ReportExport:
    """Queue a background export of ``kind`` for the dashboard filters in
    ``params`` (a QueryDict or a dict). PermissionDenied for a unit outside the
    user's scope, ValidationError for anything else wrong."""
    if kind not in KINDS:
        raise ValidationError(_("There is no such export."))
    form, f = dashboard_filter_from(user, params)  # PermissionDenied: out of scope
    if f is None:
        raise ValidationError(
            [str(e) for errors in form.errors.values() for e in errors]
        )
    if f.programme is None:
        raise ValidationError(_("There is no published programme to export."))
    stored = filter_params(f)
    if kind == KIND_PEOPLE:
        status = params.get("status") or ""
        if status and status not in PEOPLE_STATUSES:
            raise ValidationError(_("Unknown status filter."))
        if status:
            stored["status"] = status
        if _truthy(params.get("at_risk")):
            stored["at_risk"] = "1"
    # The run has no request: it writes headers in the language asked in.
    stored["lang"] = translation.get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        export = ReportExport(kind=kind, params=stored, unit=f.unit, requested_by=user)
        export.full_clean()
        export.save()
        audit_record(
            action="report.export.request",
            actor=user,
            target=export,
            target_label=f"{KINDS[kind]} · {f.unit.name}",
            detail={"kind": kind, "params": stored},
            request=request,
        )
        if enqueue:
            transaction.on_commit(lambda: report_export_enqueue(export_id=export.pk))
    return export


def report_export_enqueue(*, export_id: int) -> None:
    from training.reports.exports import report_export_task

    task_enqueue_or_defer(report_export_task, export_id)


def _stale_q(now: dt.datetime | None = None) -> Q:
    """Running without a heartbeat for STALE_AFTER, or queued that long and never
    picked up (the queue lost it)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return (
        Q(status=Status.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=Status.QUEUED, heartbeat_at__lt=cutoff)
        | Q(status=Status.QUEUED, heartbeat_at__isnull=True, created_at__lt=cutoff)
    )


def report_export_is_stale(export: ReportExport) -> bool:
    if export.status not in (Status.QUEUED, Status.RUNNING):
        return False
    last = export.heartbeat_at or export.created_at
    return timezone.now() - last > STALE_AFTER


def report_export_restart(*, export: ReportExport, actor, request=None) -> bool:
    """Queue a stalled export again (a new run from the first row). Idempotent:
    only a stale export is requeued, and requeueing makes it fresh, so a second
    press does nothing. True when it was queued again."""
    if export.requested_by_id != getattr(actor, "pk", None):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        requeued = (
            ReportExport.objects.filter(_stale_q(now), pk=export.pk).update(
                status=Status.QUEUED,
                done=0,
                started_at=None,
                heartbeat_at=now,
                error="",
            )
            == 1
        )
        if requeued:
            audit_record(
                action="report.export.restart",
                actor=actor,
                target=export,
                detail={"kind": export.kind},
                request=request,
            )
            transaction.on_commit(lambda: report_export_enqueue(export_id=export.pk))
    export.refresh_from_db()
    return requeued


def report_exports_resume_stale() -> list[int]:
    """Requeue every stalled export (for a scheduler or the management command)."""
    now = timezone.now()
    stale = list(
        ReportExport.objects.filter(_stale_q(now)).values_list("pk", flat=True)
    )
    with transaction.atomic():
        ReportExport.objects.filter(_stale_q(now), pk__in=stale).update(
            status=Status.QUEUED, done=0, started_at=None, heartbeat_at=now
        )
        for export_id in stale:
            transaction.on_commit(
                lambda export_id=export_id: report_export_enqueue(export_id=export_id)
            )
    return stale


# --- background exports: the run ------------------------------------------------------


class _Superseded(Exception):
    """Another run of the same export took over (this one was declared dead)."""


class _Progress:
    """Cheap progress writes for one run (conditional on the run's stamp)."""

    def __init__(self, export_id: int, started_at: dt.datetime):
        self.rows = ReportExport.objects.filter(pk=export_id, started_at=started_at)

    def update(self, **fields) -> None:
        if not self.rows.update(heartbeat_at=timezone.now(), **fields):
            raise _Superseded


def _people_columns() -> list[Column]:
    return [
        Column(_("Full name"), 12),
        Column(_("Employee number"), 14),
        Column(_("Unit"), 30),
        Column(_("Category"), 14),
        Column(_("Grade"), 16),
        Column(_("Leadership level"), 14),
        Column(_("Quota prosecutor (员额)"), 10),
        Column(_("Status"), 10),
        Column(_("学时"), 9),
        Column(_("学时 required"), 10),
        Column(_("学时 still missing"), 10),
        Column(_("Days"), 8),
        Column(_("online 学时"), 10),
        Column(_("online 学时 required"), 12),
        Column(_("Due on"), 12),
        Column(_("Met on"), 12),
    ]


# Only these columns are read: no model instances for 300,000 rows.
PEOPLE_FIELDS = (
    "person__user__full_name",
    "person__employee_no",
    "unit__name",
    "person__category",
    "person__grade",
    "person__leadership_level",
    "person__is_quota",
    "status",
    "hours",
    "version__hours_required",
    "missing__hours",
    "days",
    "online_hours",
    "version__online_hours_required",
    "due_on",
    "met_on",
)


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def _write_people(wb, f: DashboardFilter, export: ReportExport, progress) -> int:
    params = export.params
    rows = dashboard_people(
        export.requested_by,
        f,
        status=params.get("status", ""),
        at_risk=params.get("at_risk") == "1",
    ).values_list(*PEOPLE_FIELDS)
    total = rows.count()
    progress.update(total=total)
    category = {k: str(v) for k, v in Person.Category.choices}
    grade = {k: str(v) for k, v in Person.Grade.choices}
    level = {k: str(v) for k, v in Person.LeadershipLevel.choices if k}
    status_label = {k: str(v) for k, v in ComplianceStatus.Status.choices}
    yes, no = _("Yes"), _("No")
    ws = _sheet(wb, _("People compliance"), _people_columns())
    written = 0
    for (
        name,
        employee_no,
        unit_name,
        cat,
        grd,
        lead,
        quota,
        status,
        hours,
        hours_required,
        hours_missing,
        days,
        online,
        online_required,
        due_on,
        met_on,
    ) in rows.iterator(chunk_size=2000):
        ws.append(
            [
                name,
                employee_no,
                unit_name,
                category.get(cat, cat),
                grade.get(grd, grd),
                level.get(lead, ""),
                yes if quota else no,
                status_label.get(status, status),
                hours,
                hours_required,
                _decimal(hours_missing),
                days,
                online,
                online_required,
                due_on,
                met_on,
            ]
        )
        written += 1
        if written % PROGRESS_EVERY == 0:
            progress.update(done=written)
    return written


def units_all_rows(f: DashboardFilter) -> list[tuple[int, OrgUnit | dict, Counts]]:
    """Every unit of ``f``'s subtree with its whole subtree's figures, in tree
    order: (level below the unit, unit values, Counts). One grouped query over the
    roll-ups, summed up the tree in Python (a province has a few thousand units)."""
    steplen = OrgUnit.steplen
    root_depth = f.unit.depth
    totals: dict[str, Counts] = {}
    for row in (
        UnitRollup.objects.filter(
            f.cycle_q(), f.person_q(), unit__path__startswith=f.unit.path
        )
        .values("unit__path")
        .annotate(**SUMS)
        .order_by()
    ):
        path = row["unit__path"]
        for depth in range(root_depth, len(path) // steplen + 1):
            totals.setdefault(path[: depth * steplen], Counts()).add(row)
    result = []
    for unit in (
        OrgUnit.objects.filter(path__startswith=f.unit.path)
        .order_by("path")
        .values("path", "depth", "code", "name", "short_name", "is_active")
    ):
        counts = totals.get(unit["path"])
        if counts is None and not unit["is_active"]:
            continue
        result.append((unit["depth"] - root_depth, unit, counts or Counts()))
    return result


def _write_units_all(wb, f: DashboardFilter, export: ReportExport, progress) -> int:
    rows = units_all_rows(f)
    progress.update(total=len(rows))
    columns = [
        Column(_("Level"), 6, INTEGER),
        Column(_("Code"), 12),
        Column(_("Unit"), 40),
        *_count_columns(),
    ]
    ws = _sheet(wb, _("All subordinate units"), columns)
    for written, (level, unit, counts) in enumerate(rows, start=1):
        name = "\u3000" * level + unit["name"]  # ideographic space: 全角缩进
        _append(ws, columns, [level, unit["code"], name, *_count_values(counts)])
        if written % PROGRESS_EVERY == 0:
            progress.update(done=written)
    return len(rows)


_RUN_WRITERS = {KIND_PEOPLE: _write_people, KIND_UNITS_ALL: _write_units_all}


def _export_filter(export: ReportExport) -> DashboardFilter:
    """The stored filters rebuilt as the requester, scope checked again."""
    user = export.requested_by
    if not user.is_active:
        raise PermissionDenied
    form, f = dashboard_filter_from(user, export.params)  # PermissionDenied
    if f is None:
        raise ValidationError(
            [str(e) for errors in form.errors.values() for e in errors]
        )
    if f.unit.pk != export.unit_id or f.programme is None:
        raise ValidationError(_("The filters of this export are no longer valid."))
    return f


def report_export_run(*, export_id: int) -> ReportExport:
    """Write the export's file; marks it done, or failed with the reason."""
    export = ReportExport.objects.select_related("unit", "requested_by").get(
        pk=export_id
    )
    started = timezone.now()
    claimed = ReportExport.objects.filter(pk=export.pk, status=Status.QUEUED).update(
        status=Status.RUNNING,
        started_at=started,
        heartbeat_at=started,
        done=0,
        error="",
    )
    if not claimed:  # done, failed, or another worker has it
        export.refresh_from_db()
        return export
    progress = _Progress(export.pk, started)
    language = export.params.get("lang") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            _run(export, progress, started)
    except _Superseded:
        logger.info("report export %s: superseded by a newer run", export.pk)
    except PermissionDenied:
        with translation.override(language):
            _fail(
                progress,
                _("You may no longer see this unit's figures; nothing was exported."),
            )
    except ValidationError as exc:
        _fail(progress, "；".join(exc.messages))
    except Exception as exc:
        logger.exception("report export %s failed", export.pk)
        _fail(progress, f"{type(exc).__name__}: {exc}"[:1000])
    export.refresh_from_db()
    return export


def _fail(progress: _Progress, error: str) -> None:
    with contextlib.suppress(_Superseded):
        progress.update(status=Status.FAILED, error=error, finished_at=timezone.now())


def _run(export: ReportExport, progress: _Progress, started: dt.datetime) -> None:
    if export.kind not in _RUN_WRITERS:
        raise ValidationError(_("There is no such export."))
    f = _export_filter(export)
    wb = Workbook(write_only=True)
    rows = _RUN_WRITERS[export.kind](wb, f, export, progress)
    params = export.params
    title = str(KINDS[export.kind])
    _about_sheet(
        wb,
        title=title,
        f=f,
        cycle=_cycle_text(f),
        filters=filter_description(
            f,
            status=params.get("status", ""),
            at_risk=params.get("at_risk") == "1",
        ),
        generated_at=started,
        user=export.requested_by,
        rows=rows,
    )
    filename = export_filename(title, f, started)
    stamp = timezone.localtime(started).strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
        wb.save(tmp)
        tmp.seek(0)
        # An ASCII name on disk; the Chinese one is given at download.
        export.file.save(f"report-{export.pk}-{stamp}.xlsx", File(tmp), save=False)
    try:
        progress.update(
            status=Status.DONE,
            done=rows,
            total=rows,
            file=export.file.name,
            filename=filename[:200],
            finished_at=timezone.now(),
        )
    except _Superseded:
        export.file.delete(save=False)
        raise


def _cycle_text(f: DashboardFilter) -> str:
    if f.cycle_start is None:
        return _("Counted from each person's event")
    end = (
        f.programme.compliance.filter(cycle_start=f.cycle_start)
        .values_list("cycle_end", flat=True)
        .first()
    )
    if end:
        return f"{f.cycle_start:%Y-%m-%d} — {end:%Y-%m-%d}"
    return f"{f.cycle_start:%Y-%m-%d}"


@task()
def report_export_task(export_id: int) -> dict:
    """A background dashboard export (XLSX); progress on the ReportExport row."""
    from training.reports.exports import report_export_run

    export = report_export_run(export_id=export_id)
    return {"status": export.status, "rows": export.done}
