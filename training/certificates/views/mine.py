"""The learner's own certificates (我的证书) and the PDF download.

The download serves anyone who may see the certificate (see
``common._certificate_for``); a download of someone else's is audited.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.pdf import PDF_CONTENT_TYPE
from training.certificates.selectors import certificates_of
from training.certificates.views.common import _certificate_for, _pdf_name, _with_status
from training.org import selectors


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
