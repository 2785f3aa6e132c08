"""Public certificate verification (no authentication): the facts the public
verify page shows, and nothing more (the holder's name partly hidden)."""

from typing import Annotated

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Path, Router
from ninja.throttling import AnonRateThrottle

from training.api.schemas import CertificateVerifyOut, ErrorOut
from training.certificates.selectors import certificate_public
from training.certificates.services import (
    certificate_code_normalise,
    certificate_status,
    mask_name,
)

router = Router(tags=["certificates"])

# 16 letters and digits, printed in groups of four; spaces and dashes are ignored.
CertificateNumber = Annotated[
    str, Path(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z\- ]+$")
]


def _verify_rate() -> str:
    """The site's verify page rate ("60/m/ip" → "60/m"), so both limit alike."""
    rate = settings.ACCOUNT_RATE_LIMITS.get("certificate_verify", "60/m/ip")
    return "/".join(rate.split("/")[:2])


@router.get(
    "/certificates/verify/{path:code}",
    auth=None,
    throttle=[AnonRateThrottle(_verify_rate())],
    response={200: CertificateVerifyOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Verify a certificate (public)",
)
def certificate_verify(request: HttpRequest, code: CertificateNumber):
    """The number as printed (dashes, spaces and case do not matter). 404 for a
    number that is unknown or cannot be one; 429 beyond the rate limit."""
    normalised = certificate_code_normalise(code)
    certificate = certificate_public(normalised) if normalised else None
    if certificate is None:
        raise Http404
    fields = certificate.fields or {}
    revocation = getattr(certificate, "revocation", None)
    replaced_by = getattr(certificate, "replaced_by", None)
    return {
        "number": certificate.number,
        "status": certificate_status(certificate),
        "holder": mask_name(fields.get("name", "")),
        "unit": str(fields.get("unit", "")),
        "subject": str(fields.get("subject", "")),
        "title": str(fields.get("title", "")),
        "issuing_body": str(fields.get("issuing_body", "")),
        "hours": str(fields.get("hours", "")),
        "days": str(fields.get("days", "")),
        "period_start": str(fields.get("start", "")),
        "period_end": str(fields.get("end", "")),
        "issued_at": certificate.issued_at,
        "signed": certificate.signed,
        "sha256": certificate.sha256,
        "revocation": (
            {"revoked_at": revocation.revoked_at, "reason": revocation.reason}
            if revocation is not None
            else None
        ),
        "replaced_by": replaced_by.number if replaced_by is not None else None,
    }
