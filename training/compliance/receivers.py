"""Compliance listens to the domains below it and keeps ``ComplianceStatus``
current; each receiver only calls a service (docs/architecture.md)."""

from django.dispatch import receiver

from training.compliance.recompute import (
    compliance_people_changed,
    compliance_recompute_enqueue,
)
from training.compliance.services import compliance_refresh_person
from training.ledger.signals import credits_changed
from training.org.signals import people_changed
from training.programmes.signals import programme_requirements_changed


@receiver(people_changed)
def refresh_people(sender, person_ids, **kwargs):
    compliance_people_changed(person_ids)


@receiver(credits_changed)
def refresh_person(sender, person_id, days, **kwargs):
    compliance_refresh_person(person_id=person_id, days=days)


@receiver(programme_requirements_changed)
def recompute_programmes(sender, programme_ids, **kwargs):
    compliance_recompute_enqueue(list(programme_ids))
