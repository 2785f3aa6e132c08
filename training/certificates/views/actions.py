"""Pages that change a certificate: revoke, re-issue, and issue one by hand.

On a refused or invalid POST the certificate page is shown again with the form
and its errors (``staff._render_detail``); the services check permissions again.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from training.certificates import services as svc
from training.certificates.forms import (
    CertificateIssueForm,
    PersonLookupForm,
    ReissueForm,
    RevokeForm,
)
from training.certificates.models import Certificate
from training.certificates.views.common import _certificate_for, _with_status
from training.certificates.views.staff import _render_detail
from training.classes.models import ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.org import selectors
from training.org.forms import add_service_errors
from training.org.models import Person
from training.programmes.models import Programme


def _refused(form) -> None:
    form.add_error(None, _("You may not change this certificate."))


@login_required
@require_POST
def certificate_revoke(request, code: str):
    certificate = _certificate_for(request.user, code)
    form = RevokeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            svc.certificate_revoke(
                certificate=certificate,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            _refused(form)
            status = 403
        else:
            messages.success(
                request,
                _("Certificate %(number)s was revoked.")
                % {"number": certificate.number},
            )
            return redirect("training:certificate_detail", code=certificate.code)
    return _render_detail(request, certificate, revoke_form=form, status=status)


@login_required
@require_POST
def certificate_reissue(request, code: str):
    certificate = _certificate_for(request.user, code)
    form = ReissueForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            new = svc.certificate_reissue(
                certificate=certificate,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            _refused(form)
            status = 403
        else:
            messages.success(
                request,
                _("A new certificate %(new)s was issued in place of %(old)s.")
                % {"new": new.number, "old": certificate.number},
            )
            return redirect("training:certificate_detail", code=new.code)
    return _render_detail(request, certificate, reissue_form=form, status=status)


# --- issue one by hand --------------------------------------------------------------


def _date_label(value: dt.date | None) -> str:
    return value.isoformat() if value else "…"


def _issue_options(person: Person) -> tuple[list[tuple[str, str]], list[dict]]:
    """What ``person`` may be certified for: the completed classes they passed and
    the programme cycles they met. Those already certified are listed apart."""
    latest: dict[tuple, Certificate] = {}
    for certificate in Certificate.objects.filter(person=person).order_by("generation"):
        key = (
            ("class", certificate.training_class_id)
            if certificate.kind == Certificate.Kind.CLASS
            else ("programme", certificate.programme_id, certificate.cycle_start)
        )
        latest[key] = certificate
    options: list[tuple[str, str]] = []
    issued: list[dict] = []
    members = (
        ClassMember.objects.filter(
            person=person,
            result=ClassMember.Result.PASSED,
            training_class__status=TrainingClass.Status.COMPLETED,
        )
        .select_related("training_class")
        .order_by("-training_class__ends_on")
    )
    for member in members:
        training_class = member.training_class
        label = _("Class: %(name)s (%(start)s – %(end)s)") % {
            "name": training_class.name,
            "start": _date_label(training_class.starts_on),
            "end": _date_label(training_class.ends_on),
        }
        existing = latest.get(("class", training_class.pk))
        if existing:
            issued.append({"label": label, "certificate": existing})
        else:
            options.append((f"class:{training_class.pk}", label))
    statuses = (
        ComplianceStatus.objects.filter(
            person=person, status=ComplianceStatus.Status.COMPLIANT
        )
        .select_related("programme")
        .order_by("-cycle_start", "programme__name")
    )
    for status in statuses:
        label = _("Programme: %(name)s, cycle %(start)s – %(end)s") % {
            "name": status.programme.name,
            "start": _date_label(status.cycle_start),
            "end": _date_label(status.cycle_end),
        }
        existing = latest.get(("programme", status.programme_id, status.cycle_start))
        if existing:
            issued.append({"label": label, "certificate": existing})
        else:
            options.append(
                (
                    f"programme:{status.programme_id}:{status.cycle_start:%Y-%m-%d}",
                    label,
                )
            )
    _with_status([item["certificate"] for item in issued])
    return options, issued


def _issue_subject(value: str) -> dict:
    kind, _sep, rest = value.partition(":")
    if kind == "class":
        return {"training_class": TrainingClass.objects.get(pk=int(rest))}
    programme_id, _sep, start = rest.partition(":")
    return {
        "programme": Programme.objects.get(pk=int(programme_id)),
        "cycle_start": dt.date.fromisoformat(start),
    }


@login_required
@require_http_methods(["GET", "POST"])
def certificate_issue(request):
    user = request.user
    selectors.require_manage_role(user)
    person = None
    lookup = PersonLookupForm(request.GET if "employee_no" in request.GET else None)
    person_id = request.POST.get("person") or request.GET.get("person") or ""
    if person_id.isdigit():
        person = selectors.person_get(user=user, person_id=int(person_id), manage=True)
    elif request.method == "POST":
        return HttpResponseBadRequest()
    elif lookup.is_bound and lookup.is_valid():
        person = (
            selectors.people_visible_to(user, manage=True)
            .filter(employee_no=lookup.cleaned_data["employee_no"].strip())
            .first()
        )
        if person is None:
            lookup.add_error(
                "employee_no",
                _("Nobody with this employee number works in your units."),
            )
    form, issued = None, []
    if person is not None:
        lookup = PersonLookupForm(initial={"employee_no": person.employee_no})
        options, issued = _issue_options(person)
        form = CertificateIssueForm(
            request.POST if request.method == "POST" else None, options=options
        )
        if request.method == "POST" and form.is_valid():
            try:
                certificate, created = svc.certificate_issue(
                    person=person,
                    actor=user,
                    **_issue_subject(form.cleaned_data["subject"]),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied:
                form.add_error(None, _("You may not issue this certificate."))
            else:
                if created:
                    messages.success(
                        request,
                        _("Certificate %(number)s was issued.")
                        % {"number": certificate.number},
                    )
                else:
                    messages.info(
                        request,
                        _("%(name)s already has this certificate.")
                        % {"name": person.full_name},
                    )
                return redirect("training:certificate_detail", code=certificate.code)
    return render(
        request,
        "training/certificates/certificate_issue.html",
        {"lookup": lookup, "person": person, "form": form, "issued": issued},
        status=400 if form is not None and form.errors else 200,
    )
