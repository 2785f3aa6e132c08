"""Pages for coordinators and leaders: people, units, roster import. Thin: every
query comes from training.org.selectors, every write from training.org.services."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import XLSX_CONTENT_TYPE as XLSX
from cms.xlsx import sheet_with_header, xlsx_response
from training.org import selectors, services
from training.org.forms import PeopleFilterForm, RosterUploadForm
from training.org.models import Person, RosterImport


def _filtered_people(request):
    form = PeopleFilterForm(
        request.GET or None, units=selectors.units_visible_to(request.user)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    people = selectors.people_search(
        user=request.user,
        query=filters.get("q") or "",
        unit=filters.get("unit"),
        category=filters.get("category") or "",
    )
    return form, people


@login_required
def people_list(request):
    selectors.require_view_role(request.user)
    form, people = _filtered_people(request)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "training/people_list.html",
        {
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "can_manage": selectors.user_has_role(
                request.user, *selectors.MANAGE_ROLES
            ),
        },
    )


@login_required
def person_detail(request, pk: int):
    person = selectors.person_get(user=request.user, person_id=pk)
    return render(
        request,
        "training/person_detail.html",
        {"person": person, "grants": selectors.role_grants_of(person.user)},
    )


@login_required
def my_record(request):
    person = Person.objects.select_related("unit", "user").filter(user=request.user)
    return render(
        request,
        "training/person_detail.html",
        {
            "person": person.first(),
            "grants": selectors.role_grants_of(request.user),
            "is_me": True,
        },
    )


EXPORT_COLUMNS = (
    ("工号", lambda p: p.employee_no),
    ("姓名", lambda p: p.user.full_name),
    ("单位代码", lambda p: p.unit.code),
    ("单位", lambda p: p.unit.name),
    ("人员类别", lambda p: p.get_category_display()),
    ("员额", lambda p: "是" if p.is_quota else "否"),
    ("检察官等级", lambda p: p.get_grade_display()),
    ("领导职务级别", lambda p: p.get_leadership_level_display()),
    ("职务", lambda p: p.position_title),
    ("身份证号后四位", lambda p: p.national_id_last4),
    ("入职日期", lambda p: p.joined_on),
    ("在职", lambda p: "是" if p.is_active else "否"),
)


@login_required
def people_export(request):
    """The filtered list as XLSX, within scope, logged. (Large national exports run
    as background tasks in the reporting module.)"""
    selectors.require_view_role(request.user)
    _form, people = _filtered_people(request)
    wb = Workbook(write_only=True)
    ws = sheet_with_header(wb, "人员名册", [title for title, _get in EXPORT_COLUMNS])
    count = 0
    for person in people.iterator(chunk_size=2000):
        ws.append([getter(person) for _title, getter in EXPORT_COLUMNS])
        count += 1
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target_label="人员名册",
        detail={"rows": count, "filters": request.GET.dict()},
        request=request,
    )
    return xlsx_response(wb, "people")


@login_required
def unit_list(request):
    selectors.require_view_role(request.user)
    rows = selectors.unit_tree_with_headcounts(request.user)
    return render(request, "training/unit_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request):
    selectors.require_manage_role(request.user)
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            record = services.roster_import_create(
                actor=request.user,
                uploaded_file=form.cleaned_data["file"],
                language=request.LANGUAGE_CODE,
            )
            return redirect("training:roster_import_detail", pk=record.pk)
    else:
        form = RosterUploadForm()
    imports = RosterImport.objects.filter(uploaded_by=request.user)[:20]
    return render(
        request, "training/roster_upload.html", {"form": form, "imports": imports}
    )


@login_required
def roster_template(request):
    selectors.require_manage_role(request.user)
    return HttpResponse(
        services.roster_template_workbook(),
        content_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


def _own_import(request, pk: int) -> RosterImport:
    selectors.require_manage_role(request.user)
    imports = RosterImport.objects.all()
    if not request.user.is_superuser:
        imports = imports.filter(uploaded_by=request.user)
    return get_object_or_404(imports, pk=pk)


@login_required
def roster_import_detail(request, pk: int):
    record = _own_import(request, pk)
    return render(
        request,
        "training/roster_import_detail.html",
        {
            "record": record,
            "status_url": reverse("training:roster_import_status", args=[record.pk]),
        },
    )


@login_required
def roster_import_status(request, pk: int):
    record = _own_import(request, pk)
    return JsonResponse(
        {
            "status": record.status,
            "status_display": record.get_status_display(),
            "finished": record.is_finished,
            "percent": record.percent,
            "processed_rows": record.processed_rows,
            "total_rows": record.total_rows,
            # The names every task progress page reads (task-progress.js).
            "processed": record.processed_rows,
            "total": record.total_rows,
            "error_count": len(record.errors),
            "message": _("Refresh the page to see the result.")
            if record.is_finished
            else "",
        }
    )
