"""The public certificate verification pages (no login)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from training.certificates.selectors import certificate_public
from training.certificates.services import (
    certificate_code_normalise,
    certificate_file_matches,
    certificate_status,
    mask_name,
)


def _rate_limited(request) -> bool:
    """The ``certificate_verify`` rate of ACCOUNT_RATE_LIMITS, per client address
    (allauth's limiter: the same cache and client-IP rules as the login limits).
    ``allauth.core.ratelimit.consume`` never limits GET requests, and looking a
    number up is a GET, hence the call one level down with ``limit_get``."""
    from allauth.core.internal import ratelimit

    return (
        ratelimit.consume(
            request,
            app="allauth.account",
            action="certificate_verify",
            limit_get=True,
        )
        is None
    )


def _too_many(request):
    response = render(
        request, "training/certificates/verify_rate_limited.html", status=429
    )
    response["Retry-After"] = "60"
    return response


@require_http_methods(["GET"])
def verify_lookup(request):
    """Type a certificate number (from a paper certificate) to check it."""
    raw = request.GET.get("number", "")
    error = ""
    if raw:
        code = certificate_code_normalise(raw)
        if code:
            return redirect("training:certificate_verify", code=code)
        error = _("This is not a certificate number: it has 16 letters and digits.")
    return render(
        request,
        "training/certificates/verify_lookup.html",
        {"number": raw, "error": error},
    )


@require_http_methods(["GET", "POST"])
def verify(request, code: str):
    """Public: is this certificate valid? The same 404 for unknown and malformed
    numbers; only the masked name and the certificate's own facts are shown."""
    if _rate_limited(request):
        return _too_many(request)
    normalised = certificate_code_normalise(code)
    certificate = certificate_public(normalised) if normalised else None
    if certificate is None:
        raise Http404
    if normalised != code:
        return redirect("training:certificate_verify", code=normalised)
    file_check = None
    if request.method == "POST":
        upload = request.FILES.get("pdf")
        if upload is None:
            file_check = "missing"
        elif upload.size > 20 * 1024 * 1024:
            file_check = "too_big"
        else:
            file_check = (
                "match"
                if certificate_file_matches(certificate=certificate, upload=upload)
                else "mismatch"
            )
    fields = certificate.fields
    replaced_by = getattr(certificate, "replaced_by", None)
    return render(
        request,
        "training/certificates/verify.html",
        {
            "certificate": certificate,
            "status": certificate_status(certificate),
            "masked_name": mask_name(fields.get("name", "")),
            "unit": fields.get("unit", ""),
            "subject": fields.get("subject", ""),
            "title": fields.get("title", ""),
            "issuing_body": fields.get("issuing_body", ""),
            "hours": fields.get("hours", ""),
            "days": fields.get("days", ""),
            "period": (fields.get("start", ""), fields.get("end", "")),
            "revocation": getattr(certificate, "revocation", None),
            "replaced_by": replaced_by,
            "file_check": file_check,
        },
        status=200,
    )
