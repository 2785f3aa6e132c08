"""Programme pages (培训项目): list, create, rule versions, preview, publish, who
complies. Coordinators and admins manage programmes owned in their scope; leaders
read. Writes go through training.services.programmes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import sheet_with_header, xlsx_response
from training import rules, selectors
from training.forms_programmes import (
    PROGRAMME_FIELDS,
    ProgrammeForm,
    VersionForm,
    related_units_q,
)
from training.models import ComplianceStatus, Person, Programme, ProgrammeVersion
from training.services.compliance import (
    audience_queryset,
    cycle_and_rule,
    programme_rules,
)
from training.services.programmes import (
    audience_count,
    compliance_recompute_enqueue,
    programme_create,
    programme_publish,
    programme_version_create,
    programme_version_update,
)

Version = ProgrammeVersion
Status = ComplianceStatus.Status
PAGE_SIZE = 50


# --- reads -------------------------------------------------------------------------


def _require_view_role(user) -> None:
    if not selectors.user_has_role(user, *selectors.VIEW_ROLES):
        raise PermissionDenied


def programmes_visible_to(user) -> QuerySet[Programme]:
    """Programmes owned above or below the user's scope roots: a province's rules
    apply to its cities, and a city sees what its districts define."""
    _require_view_role(user)
    return Programme.objects.filter(related_units_q(user, "owner_unit__path"))


def programme_get(user, pk: int) -> Programme:
    programme = (
        programmes_visible_to(user).select_related("owner_unit").filter(pk=pk).first()
    )
    if programme is None:
        raise Http404
    return programme


def can_manage(user, programme: Programme) -> bool:
    return selectors.unit_in_scope(user, programme.owner_unit, manage=True)


def _require_manage(user, programme: Programme) -> None:
    if not can_manage(user, programme):
        raise PermissionDenied


def current_version(versions, today: dt.date) -> ProgrammeVersion | None:
    """The version in force today: the newest published one already effective,
    else the first published one, else the newest draft."""
    published = sorted(
        (v for v in versions if v.is_published),
        key=lambda v: (v.effective_from, v.number),
    )
    in_force = [v for v in published if v.effective_from <= today]
    if in_force:
        return in_force[-1]
    if published:
        return published[0]
    return max(versions, key=lambda v: v.number, default=None)


def current_cycle(programme: Programme, today: dt.date) -> rules.Cycle | None:
    """The cycle measured today (``None`` for unpublished and event programmes)."""
    versions = programme_rules([programme.pk]).get(programme.pk)
    if not versions or versions[0].cycle.kind == Version.CycleKind.EVENT:
        return None
    found = cycle_and_rule(versions, today)
    return found[0] if found else None


def compliance_rows(
    user, programme: Programme, today: dt.date
) -> tuple[QuerySet[ComplianceStatus], rules.Cycle | None]:
    """Compliance rows of the current period for the people the user may see.

    For event-triggered programmes everyone has their own window; "current" means
    windows that started by today and end this year or later."""
    rows = ComplianceStatus.objects.filter(
        programme=programme,
        person__in=selectors.people_visible_to(user).values("pk"),
    )
    cycle = current_cycle(programme, today)
    if cycle is not None:
        return rows.filter(cycle_start=cycle.start), cycle
    return rows.filter(
        cycle_start__lte=today, cycle_end__gte=dt.date(today.year, 1, 1)
    ), None


def status_counts(rows: QuerySet[ComplianceStatus]) -> list[dict]:
    counts = dict(
        rows.order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Status.choices
    ]


# --- plain-language rule -----------------------------------------------------------


def _num(value: Decimal) -> str:
    value = Decimal(value).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return number_format(value)


def _labels(values: list[str], choices) -> str:
    names = dict(choices)
    return "、".join(str(names.get(v, v)) for v in values)


def _cycle_phrase(version: ProgrammeVersion) -> str:
    kind = version.cycle_kind
    if kind == Version.CycleKind.MULTI_YEAR:
        return _("Every %(years)s years (cycles counted from %(anchor)s)") % {
            "years": version.cycle_years,
            "anchor": version.cycle_anchor_year,
        }
    if kind == Version.CycleKind.EVENT:
        return _("Within %(months)s months of %(event)s") % {
            "months": version.window_months,
            "event": version.get_trigger_event_display().lower(),
        }
    if kind == Version.CycleKind.ONCE:
        deadline = version.programme.deadline
        return _("Once, by %(deadline)s") % {
            "deadline": date_format(deadline, "DATE_FORMAT") if deadline else "—"
        }
    return _("Each calendar year")


def rule_summary(version: ProgrammeVersion) -> list[str]:
    """The rule in a few plain sentences ("Each calendar year: ≥ 90 学时 or ≥ 12
    days", "of which online 学时 ≥ 50", "Audience: Prosecutor, …")."""
    lines: list[str] = []
    hours, days = version.hours_required, version.days_required
    if hours is not None and days is not None:
        amount = _("≥ %(hours)s 学时 or ≥ %(days)s days") % {
            "hours": _num(hours),
            "days": _num(days),
        }
    elif hours is not None:
        amount = _("≥ %(hours)s 学时") % {"hours": _num(hours)}
    elif days is not None:
        amount = _("≥ %(days)s days") % {"days": _num(days)}
    else:
        amount = ""
    cycle = _cycle_phrase(version)
    lines.append(f"{cycle}: {amount}" if amount else cycle)
    if version.online_hours_required is not None:
        lines.append(
            _("online 学时 ≥ %(hours)s")
            % {"hours": _num(version.online_hours_required)}
        )
    if version.centralised_days_required is not None:
        lines.append(
            _("days in centralised classes ≥ %(days)s")
            % {"days": _num(version.centralised_days_required)}
        )
    for label, items in (
        (_("Required courses: %(items)s"), version.required_courses.all()),
        (_("Required exams: %(items)s"), version.required_quizzes.all()),
        (_("Required classes: %(items)s"), version.required_classes.all()),
    ):
        names = [getattr(i, "title", None) or getattr(i, "name", str(i)) for i in items]
        if names:
            lines.append(label % {"items": "、".join(names)})
    if version.credit_scope == Version.CreditScope.EARMARKED:
        lines.append(_("Only training earmarked for this programme counts."))
    programme = version.programme
    if programme.deadline and version.cycle_kind != Version.CycleKind.ONCE:
        lines.append(
            _("Deadline: %(date)s")
            % {"date": date_format(programme.deadline, "DATE_FORMAT")}
        )
    lines.append(_("Audience: %(who)s") % {"who": _audience_phrase(version)})
    return lines


def _audience_phrase(version: ProgrammeVersion) -> str:
    units = [u.name for u in version.audience_units.all()]
    parts = [
        "、".join(units)
        if units
        else _("everyone in %(unit)s and below")
        % {"unit": version.programme.owner_unit}
    ]
    if version.categories:
        parts.append(_labels(version.categories, Person.Category.choices))
    if version.grades:
        parts.append(_labels(version.grades, Person.Grade.choices))
    if version.leadership_levels:
        parts.append(
            _labels(
                version.leadership_levels,
                [
                    (v, label if v else _("No leadership post"))
                    for v, label in Person.LeadershipLevel.choices
                ],
            )
        )
    if version.quota:
        parts.append(str(version.get_quota_display()))
    return "; ".join(str(p) for p in parts)


def audience_preview(user, version: ProgrammeVersion) -> dict:
    """Who a draft would cover: everyone, those in the user's scope, by category."""
    people = audience_queryset(version)
    in_scope = people
    if selectors.scope_paths(user, selectors.VIEW_ROLES) is not None:
        in_scope = people.filter(pk__in=selectors.people_visible_to(user).values("pk"))
    categories = dict(Person.Category.choices)
    by_category = [
        {"label": categories.get(row["category"], row["category"]), "n": row["n"]}
        for row in in_scope.order_by()
        .values("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
    ]
    return {
        "total": audience_count(version),
        "in_scope": in_scope.count(),
        "by_category": by_category,
    }


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


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


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
            _add_errors(version_form, exc)
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
    _require_manage(request.user, programme)
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
            _add_errors(form, exc)
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
            _add_errors(form, exc)
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
    _require_manage(request.user, programme)
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
    _require_manage(request.user, programme)
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
