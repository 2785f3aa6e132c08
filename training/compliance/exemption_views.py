"""Exemptions (免修): a coordinator excuses a person in their scope from a
programme's cycles, or revokes that; the page shows the person's statuses beside
them. Writes go through ``training.compliance.exemptions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from training.compliance.exemptions import (
    exemption_grant,
    exemption_revoke,
    exemptions_of_person,
)
from training.compliance.forms import ExemptionForm, RevokeExemptionForm
from training.compliance.models import ComplianceStatus, Exemption
from training.org import selectors
from training.org.forms import add_service_errors
from training.org.models import Person


def _managed_person(request, pk: int) -> Person:
    return selectors.managed_person_get(user=request.user, person_id=pk)


def _exemptions_page(request, person: Person, *, form=None, revoke=None, status=200):
    return render(
        request,
        "training/compliance/person_exemptions.html",
        {
            "person": person,
            "exemptions": exemptions_of_person(person=person),
            "form": form or ExemptionForm(),
            "revoke_form": revoke[1] if revoke else RevokeExemptionForm(),
            "revoke_id": revoke[0] if revoke else None,
            "statuses": ComplianceStatus.objects.filter(person=person)
            .select_related("programme")
            .order_by("-cycle_start", "programme__name"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_exemptions(request, pk: int):
    person = _managed_person(request, pk)
    if request.method != "POST":
        return _exemptions_page(request, person)
    form = ExemptionForm(request.POST)
    if form.is_valid():
        try:
            exemption_grant(person=person, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The exemption was granted."))
            return redirect("training:person_exemptions", pk=person.pk)
    return _exemptions_page(request, person, form=form, status=400)


@login_required
@require_POST
def person_exemption_revoke(request, pk: int, eid: int):
    person = _managed_person(request, pk)
    exemption = get_object_or_404(Exemption, pk=eid, person=person)
    form = RevokeExemptionForm(request.POST)
    if form.is_valid():
        try:
            exemption_revoke(
                exemption=exemption,
                actor=request.user,
                reason=form.cleaned_data["revoke_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The exemption was revoked."))
            return redirect("training:person_exemptions", pk=person.pk)
    return _exemptions_page(request, person, revoke=(exemption.pk, form), status=400)
