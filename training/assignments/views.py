"""Assigning a course to people, a unit subtree or an audience (``/assign/``).

The course lives in ``courses``; choosing people needs the organisation tree, so
the page lives here. Three steps on one page: choose, preview ("N people will be
assigned, M already enrolled"), confirm. Confirming calls
``courses.services.assignment_create`` with user ids taken from the actor's manage
scope; the enrolments are written by a background task whose progress the status
page polls.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from courses.models import Assignment
from courses.selectors import assignments_visible_to
from courses.selectors_learning import enrollment_counts
from courses.services import assignment_create
from training.assignments.forms import AssignForm
from training.org import selectors

PREVIEW_SAMPLE = 8


def _may_assign(user) -> bool:
    return user.has_perm("courses.add_assignment") and selectors.user_has_role(
        user, *selectors.MANAGE_ROLES
    )


def _require_assigner(user) -> None:
    if not _may_assign(user):
        raise PermissionDenied


def _initial_from(data, *, posted: bool) -> dict:
    """Re-show what was typed without validating it (the person search step, or
    a link such as ``/assign/?course=12``)."""
    initial = {}
    for name, field in AssignForm.base_fields.items():
        if name in data:
            multiple = getattr(field.widget, "allow_multiple_selected", False)
            initial[name] = data.getlist(name) if multiple else data.get(name)
    if posted and "required" not in data:
        initial["required"] = False  # an unticked checkbox is simply absent
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def assign(request):
    actor = request.user
    _require_assigner(actor)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    preview = None
    notice = ""

    if action == "find" or request.method == "GET":
        posted = request.method == "POST"
        data = request.POST if posted else request.GET
        form = AssignForm(initial=_initial_from(data, posted=posted), actor=actor)
        form.data = data  # for the person picker; the form stays unbound
    else:
        form = AssignForm(request.POST, actor=actor)
        if form.is_valid():
            if (
                action == "confirm"
                and request.POST.get("preview_of") == form.fingerprint()
            ):
                response = _confirm(request, form)
                if response is not None:
                    return response
            elif action == "confirm":
                notice = _(
                    "The choices changed after the preview. Check the new preview "
                    "and confirm again."
                )
            if not form.errors:
                preview = _preview(form)

    people_query = (request.POST or request.GET).get("people_query", "").strip()
    context = {
        "form": form,
        "preview": preview,
        "notice": notice,
        "people_query": people_query,
        "candidates": form.people_candidates(people_query),
        "recent": assignments_visible_to(actor)[:5],
        "searched": action == "find",
    }
    return render(request, "training/assign_form.html", context)


def _preview(form: AssignForm) -> dict:
    audience = form.audience()
    total = audience.count()
    counts = enrollment_counts(
        course=form.cleaned_data["course"], user_ids=audience.values("user_id")
    )
    return {
        "total": total,
        "enrolled": counts.enrolled,
        "completed": counts.completed,
        "new": total - counts.enrolled,
        "sample": list(audience.order_by("unit__path", "employee_no")[:PREVIEW_SAMPLE]),
        "criteria": form.criteria(),
        "fingerprint": form.fingerprint(),
    }


def _confirm(request, form: AssignForm):
    data = form.cleaned_data
    user_ids = list(form.audience().values_list("user_id", flat=True))
    if not user_ids:
        form.add_error(None, _("Nobody matches this choice: nothing to assign."))
        return None
    try:
        assignment = assignment_create(
            actor=request.user,
            course=data["course"],
            user_ids=user_ids,
            target_kind=data["target"],
            target_label=form.target_label(),
            due_on=data["due_on"],
            required=data["required"],
            reason=data["reason"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None
    return redirect("training:assign_status", pk=assignment.pk)


def _visible_assignment(request, pk: int) -> Assignment:
    _require_assigner(request.user)
    return get_object_or_404(assignments_visible_to(request.user), pk=pk)


@login_required
@require_GET
def assign_status(request, pk: int):
    assignment = _visible_assignment(request, pk)
    past = Paginator(assignments_visible_to(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "training/assign_status.html",
        {
            "assignment": assignment,
            "finished": assignment.status
            in {Assignment.Status.DONE, Assignment.Status.FAILED},
            "unchanged": max(
                0, assignment.processed - assignment.created - assignment.updated
            ),
            "past": past,
            "status_url": reverse("training:assign_status_json", args=[pk]),
        },
    )


@login_required
@require_GET
def assign_status_json(request, pk: int):
    if not _may_assign(request.user):
        return JsonResponse(
            {"error": "forbidden", "message": _("You may not assign courses.")},
            status=403,
        )
    assignment = assignments_visible_to(request.user).filter(pk=pk).first()
    if assignment is None:
        return JsonResponse(
            {"error": "not_found", "message": _("No such assignment.")}, status=404
        )
    finished = assignment.status in {
        Assignment.Status.DONE,
        Assignment.Status.FAILED,
    }
    return JsonResponse(
        {
            "status": assignment.status,
            "status_display": assignment.get_status_display(),
            "finished": finished,
            "percent": assignment.percent_done,
            "processed": assignment.processed,
            "total": assignment.total,
            "created": assignment.created,
            "updated": assignment.updated,
        }
    )
