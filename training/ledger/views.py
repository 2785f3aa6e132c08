"""External records (外出培训学时申报), approvals, ledger corrections, exemptions (免修)
and approval delegation. Thin: reads from ``training.ledger.records`` and the
selectors, writes through the services, which check permissions themselves."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from training.ledger import records as record_services
from training.ledger.forms import (
    AdjustmentForm,
    DecisionForm,
    DelegationForm,
    ExternalRecordForm,
    ReverseEntryForm,
    external_record_submit_from,
)
from training.ledger.models import ExternalRecord, LedgerEntry
from training.ledger.services import (
    external_record_can_decide,
    ledger_entry_create,
    ledger_entry_reverse,
)
from training.org import selectors
from training.org.forms import add_service_errors
from training.org.models import OrgUnit, Person

QUEUE_PAGE_SIZE = 50


# --- my records -------------------------------------------------------------------


@login_required
@require_GET
def records_mine(request):
    person = selectors.person_of_user(request.user)
    records = entries = None
    if person is not None:
        records = record_services.records_of_person(person=person).annotate(
            evidence_count=Count("evidence")
        )
        entries = Paginator(
            LedgerEntry.objects.filter(person=person).select_related(
                "programme", "reverses"
            ),
            50,
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "training/records/records_mine.html",
        {
            "person": person,
            "records": records,
            "entries": entries,
            "can_approve": selectors.user_has_role(
                request.user, *selectors.MANAGE_ROLES
            ),
        },
    )


def _submit(request, person: Person):
    if request.method == "POST":
        form = ExternalRecordForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                record = external_record_submit_from(
                    form, person=person, actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("The record was submitted and is waiting for approval."),
                )
                return redirect("training:record_detail", pk=record.pk)
    else:
        form = ExternalRecordForm()
    return render(
        request,
        "training/records/record_form.html",
        {
            "form": form,
            "person": person,
            "for_other": person.user_id != request.user.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_new(request):
    person = selectors.person_of_user(request.user)
    if person is None:
        raise PermissionDenied
    return _submit(request, person)


@login_required
@require_http_methods(["GET", "POST"])
def record_new_for_person(request, pk: int):
    person = selectors.managed_person_get(user=request.user, person_id=pk)
    return _submit(request, person)


def _visible_record(request, pk: int) -> ExternalRecord:
    record = record_services.record_get(user=request.user, record_id=pk)
    if record is None:
        raise Http404
    return record


def _detail_context(request, record: ExternalRecord, form=None) -> dict:
    pending = record.status == ExternalRecord.Status.PENDING
    return {
        "record": record,
        "evidence": list(record.evidence.all()),
        "can_decide": pending and external_record_can_decide(request.user, record),
        "can_withdraw": pending
        and request.user.pk in {record.person.user_id, record.submitted_by_id},
        "form": form or DecisionForm(),
        "is_own": record.person.user_id == request.user.pk,
    }


@login_required
@require_GET
def record_detail(request, pk: int):
    record = _visible_record(request, pk)
    return render(
        request, "training/records/record_detail.html", _detail_context(request, record)
    )


@login_required
@require_POST
def record_decide(request, pk: int):
    record = _visible_record(request, pk)
    form = DecisionForm(request.POST)
    action = request.POST.get("action")
    if action not in {"approve", "reject"}:
        raise Http404
    if form.is_valid():
        try:
            record_services.external_record_decide_and_notify(
                record=record,
                actor=request.user,
                approve=action == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if action == "approve":
                messages.success(request, _("The record was approved."))
            else:
                messages.success(request, _("The record was rejected."))
            return redirect("training:record_approvals")
    record.refresh_from_db()
    return render(
        request,
        "training/records/record_detail.html",
        _detail_context(request, record, form),
        status=400,
    )


@login_required
@require_POST
def record_withdraw(request, pk: int):
    record = _visible_record(request, pk)
    try:
        record_services.external_record_withdraw(record=record, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("training:record_detail", pk=record.pk)
    messages.success(request, _("The record was withdrawn."))
    return redirect("training:records_mine")


@login_required
@require_GET
def record_evidence(request, pk: int, eid: int):
    """Evidence is served only through this view, after the scope check; the files
    are never linked by their media URL."""
    record = _visible_record(request, pk)
    evidence = get_object_or_404(record.evidence.all(), pk=eid)
    content_type = (
        mimetypes.guess_type(evidence.original_name)[0] or "application/octet-stream"
    )
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=content_type,
    )


# --- approvals --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def record_approvals(request):
    selectors.require_manage_role(request.user)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("record") if v.isdigit()]
        if not ids:
            messages.error(request, _("Select at least one record to approve."))
        else:
            try:
                count = record_services.external_records_approve_many(
                    record_ids=ids, actor=request.user
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    _("%(count)s records were approved.") % {"count": count},
                )
        return redirect(request.get_full_path())

    units = selectors.units_visible_to(request.user, manage=True)
    unit = None
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        unit = units.filter(pk=int(unit_id)).first()
    queue = record_services.records_awaiting_decision(
        user=request.user, unit=unit
    ).annotate(evidence_count=Count("evidence"))
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/records/approvals.html",
        {
            "page": page,
            "units": units.order_by("path"),
            "unit": unit,
            "querystring": f"unit={unit.pk}" if unit else "",
        },
    )


# --- delegation -------------------------------------------------------------------


def _approver_units(user):
    """Units a delegation may point at: any unit in scope or above it."""
    roots = selectors.scope_paths(user, selectors.MANAGE_ROLES)
    if roots is None:
        return OrgUnit.objects.all()
    ancestors = {
        root[:i] for root in roots for i in range(OrgUnit.steplen, len(root) + 1)
    }
    return OrgUnit.objects.filter(
        Q(path__in=ancestors) | Q(pk__in=selectors.units_visible_to(user, manage=True))
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_delegation(request):
    selectors.require_manage_role(request.user)
    units = selectors.units_visible_to(request.user, manage=True)
    status = 200
    if request.method == "POST":
        form = DelegationForm(
            request.POST, units=units, approver_units=_approver_units(request.user)
        )
        if form.is_valid():
            try:
                record_services.approval_delegation_set(
                    unit=form.cleaned_data["unit"],
                    approver_unit=form.cleaned_data["approver_unit"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The approvals were handed over."))
                return redirect("training:record_delegation")
        status = 400
    else:
        form = DelegationForm(units=units, approver_units=_approver_units(request.user))
    return render(
        request,
        "training/records/delegation.html",
        {
            "form": form,
            "delegations": record_services.delegations_visible_to(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def record_delegation_clear(request, unit_pk: int):
    selectors.require_manage_role(request.user)
    unit = get_object_or_404(
        selectors.units_visible_to(request.user, manage=True), pk=unit_pk
    )
    record_services.approval_delegation_clear(unit=unit, actor=request.user)
    messages.success(request, _("Approvals went back to the unit's own coordinators."))
    return redirect("training:record_delegation")


# --- ledger corrections -----------------------------------------------------------


def _managed_person(request, pk: int) -> Person:
    return selectors.managed_person_get(user=request.user, person_id=pk)


def _ledger_page(request, person: Person, *, status=200, **forms):
    rows = record_services.ledger_rows(person=person)
    rows.reverse()  # newest first; the totals still run from the year's start
    context = {
        "person": person,
        "rows": rows,
        "adjust_form": forms.get("adjust_form") or AdjustmentForm(),
        "reverse_form": forms.get("reverse_form"),
        "reverse_entry_id": forms.get("reverse_entry_id"),
    }
    return render(
        request, "training/records/person_ledger.html", context, status=status
    )


@login_required
@require_GET
def person_ledger(request, pk: int):
    return _ledger_page(request, _managed_person(request, pk))


@login_required
@require_POST
def person_ledger_reverse(request, pk: int, entry_id: int):
    person = _managed_person(request, pk)
    entry = get_object_or_404(LedgerEntry, pk=entry_id, person=person)
    form = ReverseEntryForm(request.POST)
    if form.is_valid():
        try:
            reversal = ledger_entry_reverse(
                entry=entry, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The entry was reversed."))
            offers = reversal.certificate_reviews.count()
            if offers:
                # The revocation offer: the reversed credit may have been all that
                # a certificate rested on. The coordinator decides there.
                messages.warning(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        ngettext(
                            "%(count)d valid certificate rested on this credit.",
                            "%(count)d valid certificates rested on this credit.",
                            offers,
                        )
                        % {"count": offers},
                        reverse("training:certificate_reviews"),
                        _("Decide whether to revoke them"),
                    ),
                )
            return redirect("training:person_ledger", pk=person.pk)
    return _ledger_page(
        request, person, status=400, reverse_form=form, reverse_entry_id=entry.pk
    )


@login_required
@require_POST
def person_ledger_adjust(request, pk: int):
    person = _managed_person(request, pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ledger_entry_create(
                person=person,
                source=LedgerEntry.Source.ADJUSTMENT,
                title=data["title"],
                occurred_on=data["occurred_on"],
                hours=data["hours"],
                days=data["days"],
                is_centralised=data["is_centralised"],
                reason=data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The adjustment was recorded."))
            return redirect("training:person_ledger", pk=person.pk)
    return _ledger_page(request, person, status=400, adjust_form=form)


# --- exemptions -------------------------------------------------------------------
