"""Background dashboard exports, the run (on a worker): the big tables (every
person of a subtree, every unit of a subtree) written to a file, and the task.

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
import tempfile
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task
from openpyxl import Workbook

from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup
from training.org.models import OrgUnit, Person
from training.reports.dashboard import SUMS, Counts, DashboardFilter, dashboard_people
from training.reports.export_models import ReportExport
from training.reports.export_tables import (
    INTEGER,
    Column,
    _about_sheet,
    _append,
    _count_columns,
    _count_values,
    _sheet,
    export_filename,
    filter_description,
)
from training.reports.forms import dashboard_filter_from

logger = logging.getLogger(__name__)

Status = ReportExport.Status

KIND_PEOPLE = "people"
KIND_UNITS_ALL = "units_all"
KINDS = {
    KIND_PEOPLE: gettext_lazy("People compliance"),
    KIND_UNITS_ALL: gettext_lazy("All subordinate units"),
}
PROGRESS_EVERY = 5000


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
    export = report_export_run(export_id=export_id)
    return {"status": export.status, "rows": export.done}
