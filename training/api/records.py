"""``POST /external-records``: an integration (or a coordinator's session) records
training done elsewhere for a person in scope. It lands waiting for approval, like
a submission from the site, and goes through the same form checks and service."""

import hashlib

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import File, Form, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from training.api.auth import TokenPrincipal, principal, write_actor
from training.api.common import ERRORS, person_or_404
from training.api.schemas import ExternalRecordIn, ExternalRecordOut
from training.ledger.forms import ExternalRecordForm, external_record_submit_from
from training.ledger.models import ExternalRecord

router = Router(tags=["ledger"])

IDEMPOTENCY_SECONDS = 24 * 3600


def _idempotency_cache_key(request: HttpRequest, key: str) -> str:
    who = principal(request)
    caller = (
        f"token:{who.token.pk}" if isinstance(who, TokenPrincipal) else f"user:{who.pk}"
    )
    digest = hashlib.sha256(f"{caller}:{key}".encode()).hexdigest()
    return f"training:api:idempotency:{digest}"


def _out(record: ExternalRecord) -> dict:
    return {
        **{
            name: getattr(record, name)
            for name in (
                "id",
                "person_id",
                "title",
                "provider",
                "started_on",
                "ended_on",
                "hours",
                "days",
                "is_centralised",
                "programme_id",
                "note",
                "status",
                "submitted_at",
            )
        },
        "evidence": [e.original_name for e in record.evidence.all()],
    }


@router.post(
    "/external-records",
    response={201: ExternalRecordOut, 200: ExternalRecordOut, **ERRORS},
    summary="Record external training (waits for approval)",
)
def external_record_create(
    request: HttpRequest,
    payload: Form[ExternalRecordIn],
    files: File[list[UploadedFile]],
):
    """Multipart form: the fields below and one or more ``files`` (PDF, JPG or PNG,
    at most 10 MB each, at most 10). Needs a token with write access or a
    coordinator's session. Answers 201 with the new record; with an
    ``idempotency_key`` seen in the last 24 hours, 200 with the record made then."""
    actor = write_actor(request)
    person = person_or_404(actor, payload.person_id, manage=True)
    cache_key = None
    if payload.idempotency_key:
        cache_key = _idempotency_cache_key(request, payload.idempotency_key)
        earlier = cache.get(cache_key)
        if earlier is not None:
            record = ExternalRecord.objects.filter(pk=earlier).first()
            if record is not None:
                return Status(200, _out(record))
    # The site's form does the checks the service leaves to it (evidence type,
    # size and content, at most ten files, a published programme).
    form = ExternalRecordForm(
        {
            "title": payload.title,
            "provider": payload.provider,
            "started_on": payload.started_on.isoformat(),
            "ended_on": payload.ended_on.isoformat(),
            "hours": str(payload.hours),
            "days": str(payload.days),
            "is_centralised": "on" if payload.is_centralised else "",
            "programme": payload.programme_id or "",
            "note": payload.note,
        },
        request.FILES,
    )
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    record = external_record_submit_from(form, person=person, actor=actor)
    if cache_key is not None:
        cache.set(cache_key, record.pk, IDEMPOTENCY_SECONDS)
    return Status(201, _out(record))
