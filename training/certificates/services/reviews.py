"""Revocation offers after reversed credit.

When a ledger entry is reversed, the certificates it may no longer support get a
``CertificateReview``; someone who may revoke them decides: revoke, or keep with
a note saying why.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from training.certificates.models import (
    Certificate,
    CertificateReview,
    CertificateRevocation,
)
from training.certificates.services.revoke import (
    _require_may_revoke,
    certificate_revoke,
)
from training.compliance.models import ComplianceStatus
from training.ledger.models import LedgerEntry

# --- Reversed credit → offer revocation ------------------------------------------


def certificates_review_after_reversal(
    *, reversal: LedgerEntry
) -> list[CertificateReview]:
    """Offer to revoke the valid certificates that a reversed ledger entry may no
    longer support: the class's certificate when class credit was reversed, and a
    programme's certificate when the person no longer meets it in that cycle.
    Called after the person's compliance has been refreshed."""
    entry = reversal.reverses
    valid = Certificate.objects.filter(person_id=entry.person_id).exclude(
        Exists(CertificateRevocation.objects.filter(certificate=OuterRef("pk")))
    )
    affected = []
    for certificate in valid:
        if certificate.kind == Certificate.Kind.CLASS:
            if entry.source_key.startswith(f"class:{certificate.training_class_id}:"):
                affected.append(certificate)
            continue
        # The certificate's cycle, if the reversed entry falls inside it.
        cycle_status = (
            ComplianceStatus.objects.filter(
                person_id=entry.person_id,
                programme_id=certificate.programme_id,
                cycle_start=certificate.cycle_start,
                cycle_start__lte=entry.occurred_on,
                due_on__gte=entry.occurred_on,
            )
            .values_list("status", flat=True)
            .first()
        )
        if (
            cycle_status is not None
            and cycle_status != ComplianceStatus.Status.COMPLIANT
        ):
            affected.append(certificate)
    reviews = []
    for certificate in affected:
        review, _created = CertificateReview.objects.get_or_create(
            certificate=certificate, reversal=reversal
        )
        reviews.append(review)
    return reviews


@transaction.atomic
def certificate_review_decide(
    *, review: CertificateReview, actor, revoke: bool, note: str = ""
) -> CertificateReview:
    review = (
        CertificateReview.objects.select_for_update(of=("self",))
        .select_related("certificate__person__unit", "reversal")
        .get(pk=review.pk)
    )
    _require_may_revoke(actor, review.certificate)
    if review.decided_at:
        raise ValidationError(_("This revocation offer has already been decided."))
    note = (note or "").strip()
    if revoke:
        with translation.override(settings.LANGUAGE_CODE):
            reason = note or (
                _("The credit it rested on was reversed: %(reason)s")
                % {"reason": review.reversal.reason}
            )
        certificate_revoke(
            certificate=review.certificate,
            actor=actor,
            reason=reason,
            reversal=review.reversal,
        )
        review.refresh_from_db()
        return review
    if not note:
        raise ValidationError({"note": _("Say why the certificate stays valid.")})
    review.decided_at = timezone.now()
    review.decided_by = actor
    review.outcome = CertificateReview.Outcome.KEPT
    review.note = note[:500]
    review.save(update_fields=["decided_at", "decided_by", "outcome", "note"])
    return review
