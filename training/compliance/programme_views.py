"""Programme pages (培训项目): list, create, rule versions, preview, publish, who
complies. Coordinators and admins manage programmes owned in their scope; leaders
read. Writes go through training.programmes.services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import sheet_with_header, xlsx_response
from training.compliance.models import ComplianceStatus
from training.compliance.programme_forms import (
    PROGRAMME_FIELDS,
    ProgrammeEditForm,
    ProgrammeForm,
    VersionForm,
)
from training.compliance.recompute import compliance_recompute_enqueue
from training.compliance.selectors import compliance_rows, status_counts
from training.org import selectors
from training.org.forms import add_service_errors
from training.programmes import rules
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.selectors import (
    audience_preview,
    can_manage,
    current_version,
    programme_get,
    programmes_visible_to,
    require_manage,
    rule_summary,
)
from training.programmes.services import (
    programme_archive,
    programme_create,
    programme_publish,
    programme_update,
    programme_version_create,
    programme_version_update,
)

Version = ProgrammeVersion
Status = ComplianceStatus.Status
PAGE_SIZE = 50


# --- reads -------------------------------------------------------------------------


# --- pages -------------------------------------------------------------------------


@login_required
def programme_list(request):
    today = timezone.localdate()
    programmes = (
        programmes_visible_to(request.user)
        .select_related("owner_unit")
        .prefetch_related(
            Prefetch("versions", queryset=ProgrammeVersion.objects.order_by("number"))
        )
        .order_by("owner_unit__path", "name")
    )
    page = Paginator(programmes, PAGE_SIZE).get_page(request.GET.get("page"))
    for programme in page.object_list:
        programme.current = current_version(programme.versions.all(), today)
    return render(
        request,
        "training/programmes/programme_list.html",
        {
            "page": page,
            "can_create": selectors.user_has_role(
                request.user, *selectors.MANAGE_ROLES
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_new(request):
    if not selectors.user_has_role(request.user, *selectors.MANAGE_ROLES):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = ProgrammeForm(data, actor=request.user)
    version_form = VersionForm(
        data,
        actor=request.user,
        initial={"effective_from": timezone.localdate(), "cycle_years": 1},
    )
    if data is not None and form.is_valid() and version_form.is_valid():
        values = {name: form.cleaned_data[name] for name in PROGRAMME_FIELDS}
        try:
            with transaction.atomic():
                programme = programme_create(actor=request.user, **values)
                version = programme_version_create(
                    programme=programme,
                    actor=request.user,
                    **version_form.rule_values(),
                )
        except ValidationError as exc:
            add_service_errors(version_form, exc)
        else:
            messages.success(
                request,
                _("Programme saved as a draft. Check who it covers, then publish it."),
            )
            return redirect("training:programme_version_edit", programme.pk, version.pk)
    return render(
        request,
        "training/programmes/programme_form.html",
        {"form": form, "version_form": version_form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme_edit(request, pk: int):
    programme = programme_get(request.user, pk)
    require_manage(request.user, programme)
    form = ProgrammeEditForm(
        request.POST if request.method == "POST" else None, instance=programme
    )
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            programme_update(
                programme=Programme.objects.get(pk=programme.pk),
                actor=request.user,
                **values,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("training:programme_detail", programme.pk)
    return render(
        request,
        "training/programmes/programme_edit.html",
        {"programme": programme, "form": form},
    )


@login_required
@require_POST
def programme_archive_view(request, pk: int):
    programme = programme_get(request.user, pk)
    require_manage(request.user, programme)
    programme_archive(programme=programme, actor=request.user)
    messages.success(
        request,
        _("Programme archived: it is no longer measured; its history stays."),
    )
    return redirect("training:programme_detail", programme.pk)


@login_required
def programme_detail(request, pk: int):
    programme = programme_get(request.user, pk)
    today = timezone.localdate()
    versions = list(programme.versions.order_by("-number"))
    current = current_version(versions, today)
    rows, cycle = compliance_rows(request.user, programme, today)
    counts = status_counts(rows)
    return render(
        request,
        "training/programmes/programme_detail.html",
        {
            "programme": programme,
            "versions": versions,
            "current": current,
            "summary": rule_summary(current) if current else [],
            "cycle": cycle,
            "counts": counts,
            "counted": sum(c["count"] for c in counts),
            "draft": next((v for v in versions if not v.is_published), None),
            "can_manage": can_manage(request.user, programme),
        },
    )


def _version_get(programme: Programme, vid: int) -> ProgrammeVersion:
    version = (
        ProgrammeVersion.objects.select_related("programme__owner_unit")
        .filter(programme=programme, pk=vid)
        .first()
    )
    if version is None:
        raise Http404
    return version


@login_required
@require_http_methods(["GET", "POST"])
def version_new(request, pk: int):
    programme = programme_get(request.user, pk)
    require_manage(request.user, programme)
    draft = programme.versions.filter(is_published=False).first()
    if draft is not None:
        messages.info(request, _("This programme already has a draft rule; edit it."))
        return redirect("training:programme_version_edit", programme.pk, draft.pk)
    latest = programme.versions.order_by("-number").first()
    initial = {"cycle_years": 1}
    if latest is not None:
        initial = model_to_dict(latest, fields=VersionForm.Meta.fields)
        initial["change_note"] = ""
    initial["effective_from"] = timezone.localdate()
    form = VersionForm(
        request.POST if request.method == "POST" else None,
        actor=request.user,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = programme_version_create(
                programme=programme, actor=request.user, **form.rule_values()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft rule saved. Check it, then publish."))
            return redirect("training:programme_version_edit", programme.pk, version.pk)
    return render(
        request,
        "training/programmes/version_form.html",
        {"programme": programme, "form": form, "version": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request, pk: int, vid: int):
    programme = programme_get(request.user, pk)
    version = _version_get(programme, vid)
    manage = can_manage(request.user, programme)
    if version.is_published or not manage:
        if request.method == "POST":
            if not manage:
                raise PermissionDenied
            messages.error(
                request, _("A published rule cannot be changed; make a new version.")
            )
            return redirect("training:programme_version_edit", programme.pk, version.pk)
        return render(
            request,
            "training/programmes/version_detail.html",
            {
                "programme": programme,
                "version": version,
                "summary": rule_summary(version),
                "preview": audience_preview(request.user, version),
                "can_manage": manage,
            },
        )
    form = VersionForm(
        request.POST if request.method == "POST" else None,
        instance=version,
        actor=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            programme_version_update(
                version=version, actor=request.user, **form.rule_values()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft rule saved."))
            return redirect("training:programme_version_edit", programme.pk, version.pk)
        version.refresh_from_db()
    return render(
        request,
        "training/programmes/version_form.html",
        {
            "programme": programme,
            "form": form,
            "version": version,
            "summary": rule_summary(version),
            "preview": audience_preview(request.user, version),
        },
    )


@login_required
@require_POST
def version_publish(request, pk: int, vid: int):
    programme = programme_get(request.user, pk)
    require_manage(request.user, programme)
    version = _version_get(programme, vid)
    try:
        programme_publish(version=version, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("training:programme_version_edit", programme.pk, version.pk)
    messages.success(
        request,
        _("Rule published. Compliance is being recomputed in the background."),
    )
    return redirect("training:programme_detail", programme.pk)


@login_required
@require_POST
def programme_recompute(request, pk: int):
    programme = programme_get(request.user, pk)
    require_manage(request.user, programme)
    if programme.status != Programme.Status.PUBLISHED:
        messages.error(request, _("Only a published programme can be recomputed."))
    else:
        transaction.on_commit(lambda: compliance_recompute_enqueue([programme.pk]))
        messages.success(
            request,
            _(
                "Recomputing compliance in the background; the figures update "
                "when it finishes."
            ),
        )
    return redirect("training:programme_detail", programme.pk)


def _people_rows(request, programme: Programme):
    rows, _cycle = compliance_rows(request.user, programme, timezone.localdate())
    status = request.GET.get("status", "")
    if status in Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    rows = rows.select_related("person__user", "person__unit").order_by(
        "person__unit__path", "person__employee_no"
    )
    return rows, status


def _required_names(programme: Programme) -> dict[str, dict[int, str]]:
    """Titles of everything any version requires, for "what's missing"."""
    versions = programme.versions.prefetch_related(
        "required_courses", "required_quizzes", "required_classes"
    )
    names: dict[str, dict[int, str]] = {"courses": {}, "quizzes": {}, "classes": {}}
    for version in versions:
        names["courses"].update({c.pk: c.title for c in version.required_courses.all()})
        names["quizzes"].update({q.pk: q.title for q in version.required_quizzes.all()})
        names["classes"].update({c.pk: c.name for c in version.required_classes.all()})
    return names


@login_required
def programme_people(request, pk: int):
    programme = programme_get(request.user, pk)
    rows, status = _people_rows(request, programme)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    names = _required_names(programme)
    for row in page.object_list:
        row.missing_text = rules.missing_phrases(row.missing, names)
    return render(
        request,
        "training/programmes/programme_people.html",
        {
            "programme": programme,
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "querystring": f"status={status}" if status else "",
        },
    )


EXPORT_HEADERS = (
    "工号",
    "姓名",
    "单位",
    "周期开始",
    "截止日期",
    "状态",
    "学时",
    "天数",
    "网络学时",
    "集中培训天数",
    "尚缺",
)


@login_required
def programme_people_export(request, pk: int):
    programme = programme_get(request.user, pk)
    rows, status = _people_rows(request, programme)
    names = _required_names(programme)
    wb = Workbook(write_only=True)
    ws = sheet_with_header(wb, "达标情况", EXPORT_HEADERS)
    count = 0
    for row in rows.iterator(chunk_size=2000):
        ws.append(
            [
                row.person.employee_no,
                row.person.user.full_name,
                row.person.unit.name,
                row.cycle_start,
                row.due_on,
                str(row.get_status_display()),
                row.hours,
                row.days,
                row.online_hours,
                row.centralised_days,
                "；".join(str(p) for p in rules.missing_phrases(row.missing, names)),
            ]
        )
        count += 1
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target=programme,
        detail={"rows": count, "status": status, "what": "programme compliance"},
        request=request,
    )
    return xlsx_response(wb, f"programme-{programme.pk}")
