"""Compliance pages: my status and its explanation, a person's status for their
coordinator or leader, the annual evaluation (考评) and the personal training record
(个人培训档案) with its PDF and XLSX. Thin: reads come from
``training.compliance.selectors`` after ``selectors.person_get`` has scoped the person.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import sheet_with_header, xlsx_response
from training.compliance import selectors as compliance
from training.org import selectors
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit, Person

EXPORT_CHUNK = 2000


def _year_param(request) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1990 <= int(value) <= 2100 else None


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
    return _compliance_page(request, selectors.person_of_user(request.user), is_me=True)


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
