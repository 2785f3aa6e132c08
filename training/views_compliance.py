"""Compliance pages: my status and its explanation, a person's status for their
coordinator or leader, the annual evaluation (考评) and the personal training record
(个人培训档案) with its PDF and XLSX. Thin: reads come from
``training.selectors_compliance`` after ``selectors.person_get`` has scoped the person.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import PDF_CONTENT_TYPE, render_pdf
from cms.xlsx import sheet_with_header, xlsx_response
from training import selectors
from training import selectors_compliance as compliance
from training.forms import UnitChoiceField
from training.models import OrgUnit, Person

EXPORT_CHUNK = 2000


def _year_param(request) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1990 <= int(value) <= 2100 else None


def _own_person(request) -> Person | None:
    return (
        Person.objects.select_related("unit", "user").filter(user=request.user).first()
    )


# --- my compliance / a person's compliance ----------------------------------------


def _compliance_page(request, person: Person | None, *, is_me: bool):
    year = _year_param(request)
    cards, earlier = [], []
    if person is not None:
        statuses = compliance.person_compliance(person=person, year=year)
        seen: set[int] = set()
        for item in compliance.compliance_explanations(statuses=statuses):
            # The first row of a programme is its current (or latest) cycle.
            programme_id = item["programme"].pk
            if programme_id in seen:
                item["card_id"] = (
                    f"compliance-{programme_id}-{item['cycle_start']:%Y%m%d}"
                )
                earlier.append(item)
            else:
                seen.add(programme_id)
                item["card_id"] = f"compliance-{programme_id}"
                cards.append(item)
    return render(
        request,
        "training/compliance/compliance.html",
        {
            "person": person,
            "is_me": is_me,
            "cards": cards,
            "earlier": earlier,
            "year": year,
        },
    )


@login_required
def my_compliance(request):
    return _compliance_page(request, _own_person(request), is_me=True)


@login_required
def person_compliance(request, pk: int):
    person = selectors.person_get(user=request.user, person_id=pk)
    return _compliance_page(request, person, is_me=person.user_id == request.user.pk)


# --- annual evaluation --------------------------------------------------------------


class EvaluationFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Person.Category.choices],
    )
    met = forms.ChoiceField(
        label=_("Met every rule"),
        required=False,
        choices=[("", _("Everyone")), ("yes", _("Yes")), ("no", _("No"))],
    )
    q = forms.CharField(label=_("Name or employee number"), required=False)

    def __init__(self, data, *, units):
        data = data.copy()
        data.setdefault("year", str(timezone.localdate().year))
        super().__init__(data)
        self.fields["unit"].queryset = units.order_by("path")


def _evaluation(request):
    form = EvaluationFilterForm(
        request.GET, units=selectors.units_visible_to(request.user)
    )
    if not form.is_valid():
        return form, None, None
    data = form.cleaned_data
    people = compliance.annual_evaluation(
        user=request.user,
        year=data["year"],
        unit=data.get("unit"),
        category=data.get("category") or "",
        met={"yes": True, "no": False}.get(data.get("met") or ""),
        query=data.get("q") or "",
    )
    return form, data["year"], people


@login_required
def evaluation(request):
    selectors.require_view_role(request.user)
    form, year, people = _evaluation(request)
    page = rows = None
    if people is not None:
        page = Paginator(people, 50).get_page(request.GET.get("page"))
        rows = compliance.evaluation_rows(people=page.object_list, year=year)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "training/compliance/evaluation.html",
        {
            "form": form,
            "year": year,
            "page": page,
            "rows": rows,
            "querystring": query.urlencode(),
        },
    )


EVALUATION_HEADERS = (
    "工号",
    "姓名",
    "单位",
    "人员类别",
    "适用培训项目",
    "是否全部达标",
    "未达标项目",
)


@login_required
def evaluation_export(request):
    selectors.require_view_role(request.user)
    _form, year, people = _evaluation(request)
    if people is None:
        return redirect(f"{reverse('training:evaluation')}?{request.GET.urlencode()}")
    wb = Workbook(write_only=True)
    ws = sheet_with_header(wb, f"{year}年度考评", EVALUATION_HEADERS)
    count = 0
    chunk: list[Person] = []

    def flush():
        for row in compliance.evaluation_rows(people=chunk, year=year):
            person = row.person
            ws.append(
                [
                    person.employee_no,
                    person.user.full_name,
                    person.unit.name,
                    person.get_category_display(),
                    "、".join(s.programme.name for s in row.applied),
                    "是" if row.met_all else "否",
                    "、".join(s.programme.name for s in row.unmet),
                ]
            )

    for person in people.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(person)
        count += 1
        if len(chunk) >= EXPORT_CHUNK:
            flush()
            chunk = []
    flush()
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target_label=f"{year}年度考评",
        detail={"rows": count, "filters": request.GET.dict()},
        request=request,
    )
    return xlsx_response(wb, f"evaluation-{year}")


# --- personal training record --------------------------------------------------------


def _record_context(person: Person, is_me: bool) -> dict:
    return {
        **compliance.personal_record(person=person),
        "is_me": is_me,
        "printed_at": timezone.localtime(),
    }


def _record_html(request, person: Person | None, *, is_me: bool):
    context = {"person": person, "is_me": is_me, "years": []}
    if person is not None:
        context = _record_context(person, is_me)
    return render(request, "training/compliance/training_record.html", context)


def _audit_record_export(request, person: Person, kind: str) -> None:
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target=person,
        target_label=f"个人培训档案 {person.employee_no}",
        detail={"format": kind},
        request=request,
    )


def _record_pdf(request, person: Person | None, *, is_me: bool):
    if person is None:
        raise PermissionDenied
    pdf = render_pdf(
        "training/compliance/training_record_print.html",
        _record_context(person, is_me),
        request=request,
    )
    _audit_record_export(request, person, "pdf")
    return HttpResponse(
        pdf,
        content_type=PDF_CONTENT_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="training-record-{person.employee_no}.pdf"'
            )
        },
    )


RECORD_ENTRY_HEADERS = (
    "年度",
    "日期",
    "培训内容",
    "来源",
    "学时",
    "天数",
    "线上",
    "集中培训",
    "专项计入",
    "说明",
)
RECORD_YEAR_HEADERS = ("年度", "学时合计", "天数合计", "线上学时合计")
RECORD_COMPLIANCE_HEADERS = (
    "培训项目",
    "周期开始",
    "周期结束",
    "截止日期",
    "状态",
    "学时",
    "天数",
    "线上学时",
)
RECORD_CLASS_HEADERS = ("培训班", "开始日期", "结束日期", "结果", "出勤率(%)")
RECORD_CERTIFICATE_HEADERS = (
    "证书编号",
    "证书名称",
    "培训项目/培训班",
    "发证日期",
    "状态",
)
CERTIFICATE_STATUS = {"valid": "有效", "revoked": "已撤销", "superseded": "已换发"}


def _record_xlsx(request, person: Person | None, *, is_me: bool):
    if person is None:
        raise PermissionDenied
    record = compliance.personal_record(person=person)
    wb = Workbook(write_only=True)
    ws = sheet_with_header(wb, "学时记录", RECORD_ENTRY_HEADERS)
    for year in record["years"]:
        for e in year["entries"]:
            ws.append(
                [
                    year["year"],
                    e.occurred_on,
                    e.title,
                    e.get_source_display(),
                    e.hours,
                    e.days,
                    "是" if e.is_online else "否",
                    "是" if e.is_centralised else "否",
                    e.programme.name if e.programme else "",
                    e.reason,
                ]
            )
    ws = sheet_with_header(wb, "年度合计", RECORD_YEAR_HEADERS)
    for year in record["years"]:
        ws.append([year["year"], year["hours"], year["days"], year["online_hours"]])
    ws = sheet_with_header(wb, "达标情况", RECORD_COMPLIANCE_HEADERS)
    for year in record["years"]:
        for s in year["compliance"]:
            ws.append(
                [
                    s.programme.name,
                    s.cycle_start,
                    s.cycle_end,
                    s.due_on,
                    s.get_status_display(),
                    s.hours,
                    s.days,
                    s.online_hours,
                ]
            )
    ws = sheet_with_header(wb, "培训班", RECORD_CLASS_HEADERS)
    for year in record["years"]:
        for m in year["classes"]:
            ws.append(
                [
                    m.training_class.name,
                    m.training_class.starts_on,
                    m.training_class.ends_on,
                    m.get_result_display(),
                    m.attendance_percent,
                ]
            )
    ws = sheet_with_header(wb, "证书", RECORD_CERTIFICATE_HEADERS)
    for c in record["certificates"]:
        ws.append(
            [
                c.number,
                c.fields.get("title", ""),
                c.fields.get("subject", ""),
                timezone.localdate(c.issued_at),
                CERTIFICATE_STATUS[c.status],
            ]
        )
    _audit_record_export(request, person, "xlsx")
    return xlsx_response(wb, f"training-record-{person.employee_no}")


_RECORD_FORMATS = {"html": _record_html, "pdf": _record_pdf, "xlsx": _record_xlsx}


@login_required
def my_training_record(request, fmt: str = "html"):
    return _RECORD_FORMATS[fmt](request, _own_person(request), is_me=True)


@login_required
def person_training_record(request, pk: int, fmt: str = "html"):
    person = selectors.person_get(user=request.user, person_id=pk)
    return _RECORD_FORMATS[fmt](
        request, person, is_me=person.user_id == request.user.pk
    )
