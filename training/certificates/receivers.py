"""Certificates listen to the domains below them: a class closed, a person met a
programme, a bulk recompute finished, a ledger entry was reversed. Each receiver
only calls a service (docs/architecture.md)."""

from django.dispatch import receiver

from training.certificates.services import (
    certificates_issue_missing,
    certificates_on_class_completed,
    certificates_on_compliance,
    certificates_review_after_reversal,
)
from training.classes.signals import class_completed
from training.compliance.signals import compliance_recomputed, programmes_met
from training.ledger.signals import entry_reversed


@receiver(class_completed)
def issue_for_class(sender, training_class, **kwargs):
    certificates_on_class_completed(training_class=training_class)


@receiver(programmes_met)
def issue_for_programmes(sender, person_id, met, **kwargs):
    certificates_on_compliance(person_id=person_id, met=met)


@receiver(compliance_recomputed)
def issue_after_recompute(sender, programme_ids, **kwargs):
    certificates_issue_missing(programme_ids=programme_ids)


@receiver(entry_reversed)
def review_after_reversal(sender, reversal, **kwargs):
    certificates_review_after_reversal(reversal=reversal)
