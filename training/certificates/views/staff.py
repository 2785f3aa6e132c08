"""Staff pages: the scoped certificate list and its Excel export, one
certificate's page (also the learner's view of their own, with the revoke and
re-issue forms for those who may use them), and a class's certificates as one ZIP.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.xlsx import sheet_with_header, xlsx_response
from training.certificates import services as svc
from training.certificates.forms import (
    CertificateFilterForm,
    ReissueForm,
    RevokeForm,
)
from training.certificates.models import Certificate
from training.certificates.selectors import (
    certificates_visible_to,
    reviews_open_for,
    with_status,
)
from training.certificates.views.common import (
    _UNSAFE_FILENAME,
    _certificate_for,
    _may_manage,
    _pdf_name,
    _with_status,
)
from training.classes.selectors import class_get_managed
from training.org import selectors

LIST_PAGE_SIZE = 50
EXPORT_CHUNK = 2000
# A class ZIP stays in memory up to this size, then spills to a temporary file.
ZIP_SPOOL_BYTES = 32 * 1024 * 1024

# Exports are in Chinese whatever the page language, like the other exports.
EXPORT_STATUS = {"valid": "有效", "revoked": "已撤销", "superseded": "已换发"}


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
