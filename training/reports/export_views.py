"""Dashboard exports (/reports/export…, /reports/exports/…): the small tables as
XLSX and the dashboard as a PDF report while the browser waits, the big tables as
background exports with a progress page.

Thin: the filters come from ``forms_dashboard``, the figures from
``selectors_dashboard``, the files from ``training.reports.export_tables`` (tables
now) and ``training.reports.export_requests`` (background exports). A unit
outside the requester's scope is a 404, like a unit that does not exist; an
export is only ever shown to the person who asked for it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cms.audit import audit_record
from cms.pdf import PDF_CONTENT_TYPE, render_pdf
from cms.xlsx import XLSX_CONTENT_TYPE, xlsx_response
from training.reports.dashboard import (
    PEOPLE_STATUSES,
    DashboardFilter,
    dashboard_get,
    dashboard_programmes,
)
from training.reports.export_models import ReportExport
from training.reports.export_requests import (
    report_export_is_stale,
    report_export_request,
    report_export_restart,
)
from training.reports.export_run import KINDS
from training.reports.export_tables import (
    SYNC_TABLES,
    breakdown_tables,
    cycle_label,
    filter_description,
    filters_text,
    report_pdf_filename,
    table_filename_stem,
    table_workbook,
    unit_rows,
)
from training.reports.forms import dashboard_filter_from, filter_params

EXPORTS_PER_PAGE = 25
_FINISHED = {ReportExport.Status.DONE, ReportExport.Status.FAILED}


def _bad_request(form) -> HttpResponseBadRequest:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return HttpResponseBadRequest(
        "\n".join(errors or [_("The filters are not valid.")]),
        content_type="text/plain; charset=utf-8",
    )


def _dashboard_for(request):
    """(form, dashboard) for the request's filters; 404 outside the scope."""
    try:
        form, f = dashboard_filter_from(request.user, request.GET)
        if f is None:
            return form, None
        return form, dashboard_get(request.user, f)
    except PermissionDenied as exc:
        raise Http404 from exc


def _audit_export(request, dash, what: str, rows: int) -> None:
    audit_record(
        action="report.export",
        actor=request.user,
        target=dash.filter.unit,
        detail={"table": what, "params": filter_params(dash.filter), "rows": rows},
        request=request,
    )


@login_required
@require_GET
def table_xlsx(request, table: str):
    if table not in SYNC_TABLES:
        raise Http404
    form, dash = _dashboard_for(request)
    if dash is None:
        return _bad_request(form)
    wb, rows = table_workbook(dash, table, user=request.user)
    _audit_export(request, dash, table, rows)
    return xlsx_response(wb, table_filename_stem(table, dash.filter))


def _report_context(dash, user) -> dict:
    f = dash.filter
    children = [
        {
            "rank": rank,
            "code": code,
            "name": name,
            "counts": counts,
            "subtotal": index >= len(dash.children),  # own staff, total
        }
        for index, (rank, code, name, counts) in enumerate(unit_rows(dash))
    ]
    peak = max((row["met"] for row in dash.trend), default=0)
    trend = [
        {
            **row,
            "bar": round(row["met"] * 100 / peak, 1) if peak else 0,
        }
        for row in dash.trend
    ]
    return {
        "dash": dash,
        "f": f,
        "summary": dash.summary,
        "children": children,
        "breakdowns": breakdown_tables(dash),
        "trend": trend,
        "classes": dash.classes,
        "cycle": cycle_label(dash),
        "filters": filter_description(f),
        "filters_text": filters_text(filter_description(f)),
        "generated_at": timezone.localtime(),
        "generated_by": user.get_full_name(),
    }


@login_required
@require_GET
def dashboard_pdf(request):
    form, dash = _dashboard_for(request)
    if dash is None:
        return _bad_request(form)
    pdf = render_pdf(
        "training/dashboard/report_pdf.html",
        _report_context(dash, request.user),
        request=request,
    )
    _audit_export(request, dash, "pdf", len(dash.children))
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    # Opens in the browser; saved under a readable name.
    response.headers["Content-Disposition"] = content_disposition_header(
        False, report_pdf_filename(dash.filter, timezone.now())
    )
    return response


# --- background exports ---------------------------------------------------------------


def _export_for(user, pk: int) -> ReportExport:
    """The requester's own export; anybody else's (admins too) is a 404."""
    export = (
        ReportExport.objects.select_related("unit", "requested_by")
        .filter(pk=pk, requested_by=user)
        .first()
    )
    if export is None:
        raise Http404
    return export


@login_required
@require_POST
def export_create(request):
    kind = request.POST.get("kind", "")
    if kind not in KINDS:
        return HttpResponseBadRequest(_("There is no such export."))
    status = request.POST.get("status", "")
    if status and status not in PEOPLE_STATUSES:
        return HttpResponseBadRequest(_("Unknown status filter."))
    try:
        export = report_export_request(
            user=request.user, kind=kind, params=request.POST, request=request
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        return HttpResponseBadRequest(
            "\n".join(exc.messages), content_type="text/plain; charset=utf-8"
        )
    messages.success(
        request,
        _("The export was started. It is ready to download from this page when done."),
    )
    return redirect("training:export_detail", pk=export.pk)


@login_required
@require_GET
def export_list(request):
    page = Paginator(
        ReportExport.objects.filter(requested_by=request.user)
        .select_related("unit")
        .order_by("-created_at", "-pk"),
        EXPORTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    rows = []
    for export in page.object_list:
        size = None
        if export.status == ReportExport.Status.DONE and export.file:
            try:
                size = export.file.size
            except OSError:
                size = None
        rows.append(
            {"export": export, "size": size, "label": KINDS.get(export.kind, "")}
        )
    # The "all subordinate units" form takes the dashboard's filters from the URL.
    units_all = None
    try:
        form, f = dashboard_filter_from(request.user, request.GET)
    except PermissionDenied:
        form = f = None
    if f is not None and f.programme is not None:
        units_all = {
            "params": filter_params(f),
            "unit": f.unit,
            "programme": f.programme,
            "cycle": f.cycle_start,
            "filters": filters_text(filter_description(f)),
        }
    return render(
        request,
        "training/exports/export_list.html",
        {"page": page, "rows": rows, "units_all": units_all, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def export_detail(request, pk: int):
    export = _export_for(request.user, pk)
    if request.method == "POST":
        # The only action here: start a stalled export again.
        if report_export_restart(export=export, actor=request.user, request=request):
            messages.success(request, _("The export was started again."))
        else:
            messages.info(request, _("This export is not stalled; nothing to restart."))
        return redirect("training:export_detail", pk=export.pk)
    finished = export.status in _FINISHED
    programme, filters = _stored_filters(export)
    return render(
        request,
        "training/exports/export_detail.html",
        {
            "export": export,
            "label": KINDS.get(export.kind, export.kind),
            "finished": finished,
            "stale": report_export_is_stale(export),
            "programme": programme,
            "filters": filters,
            "status_url": reverse("training:export_status", args=[export.pk]),
        },
    )


def _stored_filters(export: ReportExport):
    """(programme, filters text) of the stored parameters, for the page."""
    params = export.params
    programme = next(
        (
            p
            for p in dashboard_programmes()
            if str(p.pk) == str(params.get("programme", ""))
        ),
        None,
    )
    f = DashboardFilter(
        unit=export.unit,
        programme=programme,
        category=params.get("category", ""),
        grade=params.get("grade", ""),
        leadership_level=params.get("leadership", ""),
        focus=params.get("focus", ""),
    )
    text = filters_text(
        filter_description(
            f, status=params.get("status", ""), at_risk=params.get("at_risk") == "1"
        )
    )
    return programme, text


@login_required
@require_GET
def export_status(request, pk: int):
    export = _export_for(request.user, pk)
    return JsonResponse(
        {
            "status": export.status,
            "status_display": export.get_status_display(),
            "finished": export.status in _FINISHED,
            "total": export.total,
            "processed": export.done,
            "percent": export.percent,
        }
    )


@login_required
@require_GET
def export_download(request, pk: int):
    export = _export_for(request.user, pk)
    if export.status != ReportExport.Status.DONE or not export.file:
        raise Http404
    try:
        handle = export.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    audit_record(
        action="report.export.download",
        actor=request.user,
        target=export,
        detail={"kind": export.kind, "rows": export.done, "file": export.filename},
        request=request,
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export.filename or export.file.name.rsplit("/", 1)[-1],
        content_type=XLSX_CONTENT_TYPE,
    )
