"""Progress reports to the level above (``/progress-reports/``). Thin: reads come
from the scoped selectors in ``training.reports.progress_selectors``, writes from
the services in ``training.reports.progress_services``. ``/reports/`` is kept for
the dashboards (issue 8)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from training.org import selectors
from training.org.models import OrgUnit
from training.reports import progress_services as svc
from training.reports.models import ProgressReport
from training.reports.progress_selectors import (
    REPORTING_KINDS,
    child_report_overview,
    progress_report_data,
    progress_report_get,
    progress_reports_visible_to,
    report_due_on,
    report_period_bounds,
    report_period_label,
    report_submission_get,
)


class NewReportForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=OrgUnit.objects.none()
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=ProgressReport.Period.choices
    )
    day = forms.DateField(
        label=gettext_lazy("Any day in the period"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("For example 2026-07-01 for the third quarter of 2026."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            selectors.units_visible_to(user, manage=True)
            .filter(is_active=True)
            .order_by("path")
        )


class ReportTextForm(forms.Form):
    problems = forms.CharField(
        label=gettext_lazy("Problems and measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    comments = forms.CharField(
        label=gettext_lazy("Comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("What needs to be revised"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
@require_GET
def progress_report_list(request):
    selectors.require_view_role(request.user)
    reports = progress_reports_visible_to(request.user).order_by(
        "-period_start", "unit__path", "period"
    )
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "training/reports/report_list.html",
        {
            "page": page,
            "can_manage": selectors.user_has_role(
                request.user, *selectors.MANAGE_ROLES
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def progress_report_new(request):
    if not selectors.user_has_role(request.user, *selectors.MANAGE_ROLES):
        raise PermissionDenied
    if request.method == "POST":
        form = NewReportForm(request.POST, user=request.user)
        if form.is_valid():
            report = svc.progress_report_get_or_create(
                unit=form.cleaned_data["unit"],
                period=form.cleaned_data["period"],
                period_start=form.cleaned_data["day"],
                actor=request.user,
            )
            return redirect("training:progress_report_detail", pk=report.pk)
    else:
        form = NewReportForm(
            user=request.user,
            initial={
                "period": ProgressReport.Period.QUARTER,
                "day": timezone.localdate(),
            },
        )
    return render(request, "training/reports/report_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def progress_report_detail(request, pk: int):
    try:
        report = progress_report_get(user=request.user, report_id=pk)
    except PermissionDenied:
        raise Http404 from None
    can_manage = selectors.unit_in_scope(request.user, report.unit, manage=True)
    editable = report.status != ProgressReport.Status.SUBMITTED
    form = ReportTextForm(
        initial={"problems": report.problems, "comments": report.comments}
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = ReportTextForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data
            try:
                if request.POST.get("action") == "submit":
                    svc.progress_report_submit(
                        report=report,
                        actor=request.user,
                        problems=text["problems"],
                        comments=text["comments"],
                    )
                    messages.success(request, _("The report was submitted."))
                else:
                    svc.progress_report_update(
                        report=report,
                        actor=request.user,
                        problems=text["problems"],
                        comments=text["comments"],
                    )
                    messages.success(request, _("The draft was saved."))
                return redirect("training:progress_report_detail", pk=report.pk)
            except ValidationError as error:
                form.add_error(None, error)
    submissions = list(
        report.submissions.select_related("submitted_by", "returned_by").order_by(
            "-number"
        )
    )
    live = (
        progress_report_data(
            unit=report.unit,
            period_start=report.period_start,
            period_end=report.period_end,
        )
        if editable
        else None
    )
    return render(
        request,
        "training/reports/report_detail.html",
        {
            "report": report,
            "form": form,
            "live": live,
            "editable": editable,
            "can_manage": can_manage,
            "submissions": submissions,
            "period_label": report_period_label(report.period, report.period_start),
            "parent": report.unit.get_parent(),
        },
    )


@login_required
@require_GET
def progress_report_submission_pdf(request, sid: int):
    try:
        submission = report_submission_get(user=request.user, submission_id=sid)
    except PermissionDenied:
        raise Http404 from None
    report = submission.report
    name = (
        f"progress-report-{report.unit.code}-{report.period_start:%Y%m%d}"
        f"-v{submission.number}.pdf"
    )
    return FileResponse(
        submission.pdf.open("rb"),
        as_attachment=True,
        filename=name,
        content_type="application/pdf",
    )


def _parse_overview_query(request, user) -> tuple[OrgUnit, str, dt.date]:
    units = selectors.units_visible_to(user)
    unit_id = request.GET.get("unit", "")
    if unit_id.isascii() and unit_id.isdigit() and len(unit_id) < 12:
        unit = get_object_or_404(units, pk=int(unit_id))
    else:
        unit = units.order_by("path").first()
        if unit is None:
            raise PermissionDenied
    period = request.GET.get("period", ProgressReport.Period.QUARTER)
    if period not in ProgressReport.Period.values:
        period = ProgressReport.Period.QUARTER
    try:
        day = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        # By default the last period that has ended: the one reports are due for.
        current, _end = report_period_bounds(period, timezone.localdate())
        day = current - dt.timedelta(days=1)
    return unit, period, day


@login_required
@require_GET
def progress_report_children(request):
    selectors.require_view_role(request.user)
    unit, period, day = _parse_overview_query(request, request.user)
    start, end = report_period_bounds(period, day)
    rows = child_report_overview(
        user=request.user, unit=unit, period=period, period_start=start
    )
    return render(
        request,
        "training/reports/children.html",
        {
            "unit": unit,
            "period": period,
            "start": start,
            "end": end,
            "due_on": report_due_on(end),
            "period_label": report_period_label(period, start),
            "periods": ProgressReport.Period.choices,
            "rows": rows,
            "return_form": ReturnForm(),
            "units": selectors.units_visible_to(request.user)
            .filter(is_active=True, kind__in=REPORTING_KINDS)
            .order_by("path")[:500],
        },
    )


@login_required
@require_POST
def progress_report_return(request, sid: int):
    try:
        submission = report_submission_get(user=request.user, submission_id=sid)
    except PermissionDenied:
        raise Http404 from None
    form = ReturnForm(request.POST)
    report = submission.report
    parent = report.unit.get_parent()
    query = {"period": report.period, "start": report.period_start.isoformat()}
    if parent is not None:
        query["unit"] = parent.pk
    back = f"{reverse('training:progress_report_children')}?{urlencode(query)}"
    if form.is_valid():
        try:
            svc.progress_report_return(
                submission=submission,
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("The report was returned for revision."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Say what needs to be revised."))
    return redirect(back)
