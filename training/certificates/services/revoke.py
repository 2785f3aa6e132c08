"""After issue: a certificate's status, revoking it, and re-issuing it.

A revocation is one row per certificate (with its audit event and the learner's
notification) and settles any open revocation offer; a re-issue revokes the old
certificate if needed and issues a new one that ``replaces`` it, so the old one
shows as superseded.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from training.certificates.models import (
    Certificate,
    CertificateReview,
    CertificateRevocation,
)
from training.certificates.services.issue import _require_may_issue, certificate_issue
from training.certificates.services.render import Subject
from training.ledger.models import LedgerEntry
from training.notifications.models import Notification


def certificate_status(certificate: Certificate) -> str:
    """valid / revoked / superseded (revoked and replaced by a newer one)."""
    if getattr(certificate, "replaced_by", None) is not None:
        return "superseded"
    if getattr(certificate, "revocation", None) is not None:
        return "revoked"
    return "valid"


def _lock_certificate(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("person__unit", "training_class", "programme")
        .get(pk=certificate.pk)
    )


def _require_may_revoke(actor, certificate: Certificate) -> None:
    subject = Subject(
        certificate.kind,
        certificate.person,
        certificate.programme,
        certificate.cycle_start,
        certificate.training_class,
    )
    if actor is None:
        raise PermissionDenied
    _require_may_issue(actor, subject)


def _notify_revoked(certificate: Certificate, reason: str) -> None:
    Notification.objects.get_or_create(
        dedupe_key=f"certificate:{certificate.pk}:revoked",
        defaults={
            "user_id": certificate.person.user_id,
            "kind": Notification.Kind.CERTIFICATE,
            "title": (
                _("Your certificate %(number)s was revoked")
                % {"number": certificate.number}
            )[:200],
            "body": reason,
            "url": reverse("training:certificates_mine"),
        },
    )


@transaction.atomic
def certificate_revoke(
    *,
    certificate: Certificate,
    actor,
    reason: str,
    reversal: LedgerEntry | None = None,
) -> CertificateRevocation:
    certificate = _lock_certificate(certificate)
    _require_may_revoke(actor, certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    if CertificateRevocation.objects.filter(certificate=certificate).exists():
        raise ValidationError(_("This certificate has already been revoked."))
    revocation = _record_revocation(certificate, actor, reason, reversal=reversal)
    _notify_revoked(certificate, revocation.reason)
    return revocation


def _record_revocation(
    certificate: Certificate, actor, reason: str, *, reversal=None
) -> CertificateRevocation:
    """The revocation row, its audit event, and the open offers it settles."""
    revocation = CertificateRevocation(
        certificate=certificate,
        reason=reason[:500],
        revoked_by=actor,
        reversal=reversal,
    )
    revocation.full_clean()
    revocation.save()
    CertificateReview.objects.filter(
        certificate=certificate, decided_at__isnull=True
    ).update(
        decided_at=timezone.now(),
        decided_by=actor,
        outcome=CertificateReview.Outcome.REVOKED,
        note=reason[:500],
    )
    audit_record(
        action=AuditEvent.Action.CERTIFICATE_REVOKED,
        actor=actor,
        target=certificate,
        detail={"reason": revocation.reason},
    )
    return revocation


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, actor, reason: str) -> Certificate:
    """A new certificate (new number, today's data) in place of ``certificate``,
    which is revoked (if it was not already) and from then on shows as superseded."""
    certificate = _lock_certificate(certificate)
    _require_may_revoke(actor, certificate)
    if Certificate.objects.filter(replaces=certificate).exists():
        raise ValidationError(_("This certificate has already been re-issued."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the certificate is re-issued.")})
    if not CertificateRevocation.objects.filter(certificate=certificate).exists():
        # Stored text is read by everyone: in the site language, not the actor's.
        with translation.override(settings.LANGUAGE_CODE):
            stored = _("Re-issued: %(reason)s") % {"reason": reason.strip()}
        _record_revocation(certificate, actor, stored)
    new, _created = certificate_issue(
        person=certificate.person,
        programme=certificate.programme,
        cycle_start=certificate.cycle_start,
        training_class=certificate.training_class,
        actor=actor,
        replaces=certificate,
    )
    return new
