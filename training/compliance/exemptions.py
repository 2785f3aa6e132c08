"""Exemptions (免修): a person need not meet a programme for a period, with a reason
and an approver. Revoking keeps the row."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from training.compliance.models import Exemption
from training.compliance.services import compliance_refresh_person
from training.org.models import Person
from training.org.selectors import require_manager_of
from training.programmes.models import Programme


def _require_manager_of(actor, person: Person) -> None:
    """Coordinators exempt people in their subtree, never themselves."""
    if actor is None:
        raise PermissionDenied
    require_manager_of(actor, person)


def exemptions_of_person(*, person: Person) -> QuerySet[Exemption]:
    return Exemption.objects.filter(person=person).select_related(
        "programme", "approved_by", "revoked_by"
    )


@transaction.atomic
def exemption_grant(
    *,
    person: Person,
    programme: Programme,
    reason: str,
    valid_from: dt.date,
    valid_until: dt.date,
    actor,
) -> Exemption:
    _require_manager_of(actor, person)
    errors = {}
    if not reason.strip():
        errors["reason"] = _("Say why the person is exempted.")
    if valid_until < valid_from:
        errors["valid_until"] = _("The exemption cannot end before it starts.")
    if programme.status != Programme.Status.PUBLISHED:
        errors["programme"] = _("Only a published programme can be exempted.")
    if errors:
        raise ValidationError(errors)
    exemption = Exemption(
        person=person,
        programme=programme,
        reason=reason.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        approved_by=actor,
    )
    exemption.full_clean()
    exemption.save()
    audit_record(
        action=AuditEvent.Action.APPROVAL,
        actor=actor,
        target=exemption,
        detail={
            "exemption": "granted",
            "person": person.pk,
            "programme": programme.pk,
            "from": valid_from.isoformat(),
            "until": valid_until.isoformat(),
            "reason": exemption.reason,
        },
    )
    compliance_refresh_person(person_id=person.pk, days=[valid_from, valid_until])
    return exemption


@transaction.atomic
def exemption_revoke(*, exemption: Exemption, actor, reason: str) -> Exemption:
    exemption = (
        Exemption.objects.select_for_update(of=("self",))
        .select_related("person__unit")
        .get(pk=exemption.pk)
    )
    _require_manager_of(actor, exemption.person)
    if exemption.revoked_at is not None:
        raise ValidationError(_("This exemption has already been revoked."))
    if not reason.strip():
        raise ValidationError({"revoke_reason": _("Say why the exemption is revoked.")})
    exemption.revoked_at = timezone.now()
    exemption.revoked_by = actor
    exemption.revoke_reason = reason.strip()[:500]
    exemption.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=exemption,
        detail={"exemption": "revoked", "reason": exemption.revoke_reason},
    )
    compliance_refresh_person(
        person_id=exemption.person_id,
        days=[exemption.valid_from, exemption.valid_until],
    )
    return exemption
