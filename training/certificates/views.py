"""Certificate pages (结业证书): the learner's own, the scoped list and its export,
one certificate with revoke and re-issue, issue by hand and in bulk with the batch
progress page, the revocation offers after reversed credit, and a class's ZIP.

Thin: reads come from ``training.certificates.selectors`` (scoped), writes go
through ``training.certificates.services``, which check permissions again. An
unknown number and a number outside the user's scope get the same 404.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import PDF_CONTENT_TYPE
from cms.xlsx import sheet_with_header, xlsx_response
from training.certificates import services as svc
from training.certificates.forms import (
    CertificateFilterForm,
    CertificateIssueForm,
    PersonLookupForm,
    ReissueForm,
    ReviewDecisionForm,
    RevokeForm,
)
from training.certificates.models import Certificate, CertificateBatch
from training.certificates.selectors import (
    certificates_of,
    certificates_visible_to,
    reviews_open_for,
    with_status,
)
from training.classes.models import ClassMember, TrainingClass
from training.classes.services import class_get_managed, class_may_manage
from training.compliance.models import ComplianceStatus
from training.org import selectors
from training.org.forms import add_service_errors
from training.org.models import Person
from training.programmes.models import Programme
from training.programmes.selectors import programme_get

LIST_PAGE_SIZE = 50
REVIEW_PAGE_SIZE = 50
BATCH_CERTIFICATES_SHOWN = 200
EXPORT_CHUNK = 2000
# A class ZIP stays in memory up to this size, then spills to a temporary file.
ZIP_SPOOL_BYTES = 32 * 1024 * 1024

# Exports are in Chinese whatever the page language, like the other exports.
EXPORT_STATUS = {"valid": "有效", "revoked": "已撤销", "superseded": "已换发"}

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _with_status(certificates):
    """Each certificate gets ``status`` for the badge (no queries: the selectors
    load the revocation and the replacement)."""
    for certificate in certificates:
        certificate.status = svc.certificate_status(certificate)
    return certificates


def _pdf_name(certificate: Certificate) -> str:
    name = certificate.fields.get("name") or certificate.person.full_name
    name = _UNSAFE_FILENAME.sub("_", name).strip() or "certificate"
    return f"{name}-{certificate.number}.pdf"


def _may_manage(user, certificate: Certificate) -> bool:
    """Whether the revoke and re-issue forms are offered: the same rule the
    services apply (class organisers for a class's certificate; managers of the
    person, never the person themselves, for a programme's)."""
    if certificate.kind == Certificate.Kind.CLASS:
        return class_may_manage(user, certificate.training_class)
    return user.pk != certificate.person.user_id and selectors.unit_in_scope(
        user, certificate.person.unit, manage=True
    )


# --- my certificates ---------------------------------------------------------------


@login_required
@require_GET
def certificates_mine(request):
    person = selectors.person_of_user(request.user)
    certificates = _with_status(certificates_of(person)) if person else []
    return render(
        request,
        "training/certificates/certificates_mine.html",
        {"person": person, "certificates": certificates},
    )


# --- the scoped list and its export ------------------------------------------------


def _filter(certificates, data: dict):
    query = (data.get("q") or "").strip()
    if query:
        condition = Q(person__user__full_name__icontains=query) | Q(
            person__employee_no__icontains=query
        )
        code = svc.certificate_code_normalise(query)
        fragment = re.sub(r"[\s\-]", "", query).upper()
        if code:
            condition |= Q(code=code)
        elif len(fragment) >= 4 and fragment.isalnum() and fragment.isascii():
            condition |= Q(code__contains=fragment)
        certificates = certificates.filter(condition)
    if data.get("programme"):
        certificates = certificates.filter(programme=data["programme"])
    if data.get("training_class"):
        certificates = certificates.filter(training_class=data["training_class"])
    if data.get("status"):
        certificates = with_status(certificates, data["status"])
    if data.get("unit"):
        certificates = certificates.filter(
            person__unit__path__startswith=data["unit"].path
        )
    if data.get("issued_from"):
        certificates = certificates.filter(issued_at__date__gte=data["issued_from"])
    if data.get("issued_to"):
        certificates = certificates.filter(issued_at__date__lte=data["issued_to"])
    return certificates


def _filtered(request):
    form = CertificateFilterForm(request.GET or None, user=request.user)
    certificates = certificates_visible_to(request.user)
    if form.is_bound:
        form.is_valid()
        # Apply the filters that are valid; a bad one shows its error on the form.
        certificates = _filter(certificates, form.cleaned_data)
    return form, certificates


@login_required
@require_GET
def certificate_list(request):
    selectors.require_view_role(request.user)
    form, certificates = _filtered(request)
    if request.GET.get("format") == "xlsx":
        return _export(request, certificates)
    page = Paginator(certificates, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    _with_status(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "training/certificates/certificate_list.html",
        {
            "form": form,
            "page": page,
            "querystring": query.urlencode(),
            "open_reviews": reviews_open_for(request.user).count(),
            "can_manage": selectors.user_has_role(
                request.user, *selectors.MANAGE_ROLES
            ),
        },
    )


EXPORT_HEADERS = (
    "证书编号",
    "姓名",
    "工号",
    "单位",
    "证书名称",
    "培训项目/培训班",
    "起始日期",
    "结束日期",
    "学时",
    "天数",
    "发证时间",
    "状态",
    "撤销原因",
)


def _export(request, certificates):
    wb = Workbook(write_only=True)
    ws = sheet_with_header(wb, "证书", EXPORT_HEADERS)
    rows = 0
    for certificate in certificates.iterator(chunk_size=EXPORT_CHUNK):
        fields = certificate.fields
        status = svc.certificate_status(certificate)
        revocation = getattr(certificate, "revocation", None)
        ws.append(
            [
                certificate.number,
                fields.get("name", ""),
                certificate.person.employee_no,
                fields.get("unit", ""),
                fields.get("title", ""),
                fields.get("subject", ""),
                fields.get("start", ""),
                fields.get("end", ""),
                fields.get("hours", ""),
                fields.get("days", ""),
                timezone.localtime(certificate.issued_at).replace(tzinfo=None),
                EXPORT_STATUS[status],
                revocation.reason if revocation else "",
            ]
        )
        rows += 1
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target_label="证书清单",
        detail={"rows": rows, "export": "certificates", "filters": request.GET.dict()},
        request=request,
    )
    return xlsx_response(wb, "certificates")


# --- one certificate ----------------------------------------------------------------


def _detail_queryset(queryset):
    return queryset.select_related(
        "revocation__revoked_by",
        "replaces",
        "batch",
        "issued_by",
        "template",
        "training_class__organiser_unit",
    )


def _certificate_for(user, code: str) -> Certificate:
    """A certificate the user may see: in their scope, or their own."""
    normalised = svc.certificate_code_normalise(code)
    if normalised is None:
        raise Http404
    certificate = None
    if selectors.user_has_role(user, *selectors.VIEW_ROLES):
        certificate = (
            _detail_queryset(certificates_visible_to(user))
            .filter(code=normalised)
            .first()
        )
    if certificate is None:
        certificate = (
            _detail_queryset(
                Certificate.objects.select_related(
                    "person__user",
                    "person__unit",
                    "programme",
                    "replaced_by",
                )
            )
            .filter(code=normalised, person__user_id=user.pk)
            .first()
        )
    if certificate is None:
        raise Http404
    return certificate


def _render_detail(
    request, certificate, *, revoke_form=None, reissue_form=None, status=200
):
    user = request.user
    may_manage = _may_manage(user, certificate)
    _with_status([certificate])
    errors = []
    if not may_manage:
        # A refused POST: nowhere to show the form, so say it at the top.
        for form in (revoke_form, reissue_form):
            if form is not None:
                errors.extend(form.non_field_errors())
    return render(
        request,
        "training/certificates/certificate_detail.html",
        {
            "certificate": certificate,
            "f": certificate.fields,
            "revocation": getattr(certificate, "revocation", None),
            "replaced_by": getattr(certificate, "replaced_by", None),
            "is_own": certificate.person.user_id == user.pk,
            "may_manage": may_manage,
            "revoke_form": revoke_form or RevokeForm(),
            "reissue_form": reissue_form or ReissueForm(),
            "open_reviews": list(
                certificate.reviews.filter(decided_at__isnull=True).select_related(
                    "reversal"
                )
            )
            if selectors.user_has_role(user, *selectors.VIEW_ROLES)
            else [],
            "action_errors": errors,
        },
        status=status,
    )


@login_required
@require_GET
def certificate_detail(request, code: str):
    return _render_detail(request, _certificate_for(request.user, code))


@login_required
@require_GET
def certificate_download(request, code: str):
    certificate = _certificate_for(request.user, code)
    if certificate.person.user_id != request.user.pk:
        audit_record(
            action=AuditEvent.Action.EXPORT,
            actor=request.user,
            target=certificate,
            detail={"export": "certificate_pdf"},
            request=request,
        )
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=_pdf_name(certificate),
        content_type=PDF_CONTENT_TYPE,
    )


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


# --- bulk issue ----------------------------------------------------------------------


@login_required
@require_POST
def certificate_batch_new(request):
    user = request.user
    class_id = request.POST.get("class", "")
    programme_id = request.POST.get("programme", "")
    if class_id.isdigit():
        training_class = class_get_managed(user=user, pk=int(class_id))
        subject = {"training_class": training_class}
        back = reverse("training:class_detail", args=[training_class.pk])
    elif programme_id.isdigit():
        selectors.require_manage_role(user)
        programme = programme_get(user, int(programme_id))
        subject = {"programme": programme}
        back = reverse("training:programme_detail", args=[programme.pk])
    else:
        return HttpResponseBadRequest()
    try:
        batch = svc.certificate_batch_create(actor=user, **subject)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request,
        ngettext(
            "A certificate batch for %(count)d person was started.",
            "A certificate batch for %(count)d people was started.",
            batch.total,
        )
        % {"count": batch.total},
    )
    return redirect("training:certificate_batch_detail", pk=batch.pk)


def _batch_for(user, pk: int) -> CertificateBatch:
    """The requester's batch, or one in the user's manage scope; else 404."""
    batch = (
        CertificateBatch.objects.select_related(
            "programme", "training_class", "unit", "requested_by"
        )
        .filter(pk=pk)
        .first()
    )
    if batch is None:
        raise Http404
    if batch.requested_by_id == user.pk:
        return batch
    if selectors.user_has_role(
        user, *selectors.MANAGE_ROLES
    ) and selectors.unit_in_scope(user, batch.unit, manage=True):
        return batch
    raise Http404


_FINISHED = {CertificateBatch.Status.DONE, CertificateBatch.Status.FAILED}


def _batch_resumable(batch: CertificateBatch) -> bool:
    if batch.status == CertificateBatch.Status.FAILED:
        return True
    if batch.status == CertificateBatch.Status.DONE:
        return False
    last_seen = batch.heartbeat_at or batch.created_at
    return timezone.now() - last_seen > svc.BATCH_STALE_AFTER


def _batch_issued(batch: CertificateBatch) -> int:
    # The run writes ``issued`` when it ends; count while it is still going.
    if batch.status == CertificateBatch.Status.DONE:
        return batch.issued
    return batch.certificates.count()


@login_required
@require_GET
def certificate_batch_detail(request, pk: int):
    batch = _batch_for(request.user, pk)
    finished = batch.status in _FINISHED
    certificates = []
    if batch.status == CertificateBatch.Status.DONE:
        certificates = list(
            batch.certificates.select_related("person__user", "person__unit").order_by(
                "person__unit__path", "person__employee_no"
            )[:BATCH_CERTIFICATES_SHOWN]
        )
    return render(
        request,
        "training/certificates/certificate_batch_detail.html",
        {
            "batch": batch,
            "finished": finished,
            "issued": _batch_issued(batch),
            "resumable": _batch_resumable(batch),
            "certificates": certificates,
            "more_certificates": max(batch.issued - len(certificates), 0),
            "status_url": reverse("training:certificate_batch_status", args=[batch.pk]),
        },
    )


@login_required
@require_GET
def certificate_batch_status(request, pk: int):
    batch = _batch_for(request.user, pk)
    return JsonResponse(
        {
            "status": batch.status,
            "status_display": batch.get_status_display(),
            "finished": batch.status in _FINISHED,
            "total": batch.total,
            "processed": batch.processed,
            "issued": _batch_issued(batch),
            "skipped": batch.skipped,
            "errors": len(batch.errors),
            "percent": batch.percent,
        }
    )


@login_required
@require_POST
def certificate_batch_resume(request, pk: int):
    batch = _batch_for(request.user, pk)
    try:
        svc.certificate_batch_resume(batch=batch, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The batch was started again."))
    return redirect("training:certificate_batch_detail", pk=batch.pk)


# --- revocation offers ------------------------------------------------------------


def _open_reviews(user):
    return reviews_open_for(user).select_related(
        "certificate__training_class__organiser_unit",
        "certificate__programme",
        "reversal__created_by",
    )


def _render_reviews(request, *, failed=None, failed_form=None, status=200):
    user = request.user
    page = Paginator(_open_reviews(user), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for review in page.object_list:
        is_failed = failed is not None and review.pk == failed.pk
        rows.append(
            {
                "review": review,
                "may_decide": _may_manage(user, review.certificate),
                "form": failed_form if is_failed else ReviewDecisionForm(),
            }
        )
    return render(
        request,
        "training/certificates/certificate_reviews.html",
        {"page": page, "rows": rows},
        status=status,
    )


@login_required
@require_GET
def certificate_reviews(request):
    selectors.require_view_role(request.user)
    return _render_reviews(request)


@login_required
@require_POST
def certificate_review_decide(request, pk: int):
    selectors.require_view_role(request.user)
    review = _open_reviews(request.user).filter(pk=pk).first()
    if review is None:
        raise Http404
    action = request.POST.get("action")
    if action not in {"revoke", "keep"}:
        return HttpResponseBadRequest()
    form = ReviewDecisionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            svc.certificate_review_decide(
                review=review,
                actor=request.user,
                revoke=action == "revoke",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied:
            form.add_error(None, _("You may not decide this offer."))
            status = 403
        else:
            if action == "revoke":
                messages.success(
                    request,
                    _("Certificate %(number)s was revoked.")
                    % {"number": review.certificate.number},
                )
            else:
                messages.success(
                    request,
                    _("Certificate %(number)s stays valid.")
                    % {"number": review.certificate.number},
                )
            return redirect("training:certificate_reviews")
    return _render_reviews(request, failed=review, failed_form=form, status=status)


# --- a class's certificates as one ZIP -------------------------------------------


@login_required
@require_GET
def class_certificates_zip(request, pk: int):
    training_class = class_get_managed(user=request.user, pk=pk)
    certificates = list(
        with_status(Certificate.objects.filter(training_class=training_class), "valid")
        .select_related("person__user")
        .order_by("person__employee_no", "pk")
    )
    if not certificates:
        messages.info(request, _("This class has no valid certificates yet."))
        return redirect("training:class_detail", pk=training_class.pk)
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES)  # noqa: SIM115
    # PDFs are compressed already: store them as they are.
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            with (
                certificate.pdf.open("rb") as source,
                archive.open(_pdf_name(certificate), "w") as target,
            ):
                shutil.copyfileobj(source, target)
    spool.seek(0)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        target=training_class,
        detail={"rows": len(certificates), "export": "class_certificates_zip"},
        request=request,
    )
    stem = _UNSAFE_FILENAME.sub("_", training_class.name).strip() or "class"
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{stem}-证书.zip",
        content_type="application/zip",
    )
