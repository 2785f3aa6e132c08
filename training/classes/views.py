"""Class pages (培训班): list, create and edit, quotas, nominations, sessions,
completion, roster export, and "my classes". The attendance pages (check-in, import,
template) are in ``training.classes.attendance_views``.

Thin: reads come from ``training.classes.selectors`` (``class_get`` and friends are
scoped), writes go through ``training.classes.services``, which check permissions
once more.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import sheet_with_header, xlsx_response
from training.classes import services as svc
from training.classes.attendance_import import STATUS_LABELS
from training.classes.forms import ClassForm, QuotaForm, SessionForm
from training.classes.models import AttendanceRecord, ClassMember
from training.classes.selectors import (
    SEATED,
    class_get,
    class_get_managed,
    class_list_for,
    class_may_manage,
    class_may_nominate,
    class_roster,
    classes_of_learner,
    quota_usage,
)
from training.org import selectors
from training.org.forms import add_service_errors
from training.org.models import Person

NOMINATE_SEARCH_LIMIT = 30


# --- list, create, edit -------------------------------------------------------


@login_required
@require_GET
def class_list(request):
    user = request.user
    if not selectors.user_has_role(user, *selectors.VIEW_ROLES):
        return redirect("training:class_mine")
    page = Paginator(class_list_for(user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "training/classes/class_list.html",
        {
            "page": page,
            "can_create": selectors.user_has_role(user, *selectors.MANAGE_ROLES),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_create(request):
    selectors.require_manage_role(request.user)
    form = ClassForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        organiser = fields.pop("organiser_unit")
        try:
            training_class = svc.class_create(
                actor=request.user, organiser_unit=organiser, **fields
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The class was created."))
            return redirect("training:class_detail", pk=training_class.pk)
    return render(
        request, "training/classes/class_form.html", {"form": form, "is_new": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_edit(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    form = ClassForm(request.POST or None, instance=training_class, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            svc.class_update(
                training_class=training_class,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The class was saved."))
            return redirect("training:class_detail", pk=pk)
    return render(
        request,
        "training/classes/class_form.html",
        {"form": form, "training_class": training_class, "is_new": False},
    )


@login_required
@require_GET
def class_detail(request, pk: int):
    user = request.user
    training_class = class_get(user=user, pk=pk)
    may_manage = class_may_manage(user, training_class)
    sessions = list(training_class.sessions.all())
    return render(
        request,
        "training/classes/class_detail.html",
        {
            "training_class": training_class,
            "may_manage": may_manage,
            "may_nominate": class_may_nominate(user, training_class),
            "is_open": training_class.status not in svc.CLOSED,
            "sessions": sessions,
            "quotas": quota_usage(training_class),
            "roster": class_roster(user=user, training_class=training_class),
        },
    )


# --- quotas and nominations ---------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def class_quotas(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    form = QuotaForm(request.POST or None, training_class=training_class)
    if request.method == "POST" and form.is_valid():
        try:
            svc.class_quota_set(
                training_class=training_class,
                unit=form.cleaned_data["unit"],
                seats=form.cleaned_data["seats"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The quota was saved."))
            return redirect("training:class_quotas", pk=pk)
    return render(
        request,
        "training/classes/class_quotas.html",
        {
            "training_class": training_class,
            "form": form,
            "quotas": quota_usage(training_class),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_nominate(request, pk: int):
    user = request.user
    selectors.require_manage_role(user)
    training_class = class_get(user=user, pk=pk)
    if not class_may_nominate(user, training_class):
        raise PermissionDenied
    in_scope = selectors.people_visible_to(user, manage=True).filter(
        is_active=True, user__is_active=True
    )
    errors: list[str] = []
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("people") if v.isdigit()]
        chosen = list(in_scope.filter(pk__in=ids))
        if len(chosen) != len(set(ids)):
            raise PermissionDenied
        added = 0
        for person in chosen:
            try:
                svc.class_nominate(
                    training_class=training_class, person=person, actor=user
                )
                added += 1
            except ValidationError as exc:
                errors.extend(exc.messages)
        if added:
            messages.success(
                request,
                _("%(count)d people were added to the class.") % {"count": added},
            )
        if not errors:
            return redirect("training:class_detail", pk=pk)
    query = request.GET.get("q", "").strip()[:50]
    candidates: list[Person] = []
    if query:
        members = training_class.members.filter(status__in=SEATED).values("person_id")
        candidates = list(
            in_scope.filter(
                Q(user__full_name__icontains=query) | Q(employee_no__icontains=query)
            )
            .exclude(pk__in=members)
            .order_by("unit__path", "employee_no")[:NOMINATE_SEARCH_LIMIT]
        )
    return render(
        request,
        "training/classes/class_nominate.html",
        {
            "training_class": training_class,
            "query": query,
            "candidates": candidates,
            "errors": errors,
            "quotas": quota_usage(training_class),
            "roster": class_roster(user=user, training_class=training_class),
        },
    )


@login_required
@require_POST
def class_member_withdraw(request, pk: int, member_id: int):
    training_class = class_get(user=request.user, pk=pk)
    member = get_object_or_404(
        ClassMember.objects.filter(
            person__in=selectors.people_visible_to(request.user).values("pk")
        ),
        pk=member_id,
        training_class=training_class,
    )
    try:
        svc.class_member_withdraw(member=member, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The person was withdrawn from the class."))
    return redirect("training:class_detail", pk=pk)


# --- sessions -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def class_session_new(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.class_session_add(
                training_class=training_class, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The session was added."))
            if "add_another" in request.POST:
                return redirect("training:class_session_new", pk=pk)
            return redirect("training:class_detail", pk=pk)
    return render(
        request,
        "training/classes/session_form.html",
        {"training_class": training_class, "form": form},
    )


# --- completion and export ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def class_complete(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            outcomes = svc.class_complete(
                training_class=training_class, actor=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("training:class_detail", pk=pk)
        passed = sum(1 for o in outcomes if o.passed)
        messages.success(
            request,
            _("The class was completed: %(passed)d of %(total)d members passed.")
            % {"passed": passed, "total": len(outcomes)},
        )
        return redirect("training:class_detail", pk=pk)
    outcomes = (
        svc.class_outcomes(training_class)
        if training_class.status not in svc.CLOSED
        else []
    )
    return render(
        request,
        "training/classes/class_complete.html",
        {
            "training_class": training_class,
            "outcomes": outcomes,
            "passed": sum(1 for o in outcomes if o.passed),
            "failed": sum(1 for o in outcomes if not o.passed),
            "session_count": training_class.sessions.count(),
            "is_open": training_class.status not in svc.CLOSED,
        },
    )


@login_required
@require_GET
def class_roster_export(request, pk: int):
    user = request.user
    if not selectors.user_has_role(user, *selectors.VIEW_ROLES):
        raise PermissionDenied
    training_class = class_get(user=user, pk=pk)
    sessions = list(training_class.sessions.all())
    roster = class_roster(user=user, training_class=training_class)
    marks = {
        (r.member_id, r.session_id): r
        for r in AttendanceRecord.objects.filter(
            member__in=[m.pk for m in roster], session__training_class=training_class
        )
    }
    wb = Workbook(write_only=True)
    header = ["工号", "姓名", "单位", "状态", "出勤率(%)", "结果", "说明"]
    header += [f"{s.date.isoformat()} {s.title}" for s in sessions]
    ws = sheet_with_header(wb, "学员名单", header)
    names = {v: k for k, v in STATUS_LABELS.items()}
    for member in roster:
        row = [
            member.person.employee_no,
            member.person.user.full_name,
            member.person.unit.name,
            member.get_status_display(),
            member.attendance_percent,
            member.get_result_display() if member.result else "",
            member.result_note,
        ]
        for session in sessions:
            record = marks.get((member.pk, session.pk))
            if record is None:
                row.append("")
            elif record.leave_reason:
                row.append(f"{names[record.status]}（{record.leave_reason}）")
            else:
                row.append(names[record.status])
        ws.append(row)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=user,
        target=training_class,
        detail={"rows": len(roster), "export": "class_roster"},
        request=request,
    )
    return xlsx_response(wb, f"class-{training_class.pk}-roster")


# --- learners -----------------------------------------------------------------


@login_required
@require_GET
def class_mine(request):
    memberships = classes_of_learner(request.user)
    items = []
    for member in memberships:
        marks = {r.session_id: r for r in member.attendance.all()}
        sessions = [
            {"session": s, "record": marks.get(s.pk)}
            for s in member.training_class.sessions.all()
        ]
        attended = sum(
            1 for r in marks.values() if r.status in AttendanceRecord.ATTENDED
        )
        items.append(
            {
                "member": member,
                "training_class": member.training_class,
                "sessions": sessions,
                "attended": attended,
                "session_count": len(sessions),
            }
        )
    return render(request, "training/classes/class_mine.html", {"items": items})
