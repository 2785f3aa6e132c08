"""The personal training record (个人培训档案): a person's whole history, from
every domain below — ledger entries by year, compliance, classes, certificates."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from training.certificates.selectors import certificates_of
from training.certificates.services import certificate_status
from training.classes.models import ClassMember
from training.compliance.models import ComplianceStatus
from training.ledger.models import LedgerEntry
from training.org.models import Person

ZERO = Decimal(0)


def _certificates_of(person: Person) -> list:
    """The person's certificates, newest first, each with its ``status`` (valid,
    revoked or superseded) for the record's badge. One query."""

    certificates = certificates_of(person)
    for certificate in certificates:
        certificate.status = certificate_status(certificate)
    return certificates


def personal_record(*, person: Person) -> dict:
    """The person's whole history: ledger entries by year with yearly totals (学时,
    days, online 学时), compliance by year, classes, certificates. Four queries."""
    entries = list(
        LedgerEntry.objects.filter(person=person)
        .select_related("programme")
        .order_by("occurred_on", "id")
    )
    statuses = list(
        ComplianceStatus.objects.filter(person=person)
        .select_related("programme")
        .order_by("due_on", "programme__name")
    )
    classes = list(
        ClassMember.objects.filter(person=person)
        .exclude(status=ClassMember.Status.WITHDRAWN)
        .select_related("training_class")
        .order_by("training_class__starts_on", "id")
    )
    years: dict[int, dict] = defaultdict(
        lambda: {
            "entries": [],
            "compliance": [],
            "classes": [],
            "hours": ZERO,
            "days": ZERO,
            "online_hours": ZERO,
        }
    )
    for entry in entries:
        year = years[entry.occurred_on.year]
        year["entries"].append(entry)
        year["hours"] += entry.hours
        year["days"] += entry.days
        if entry.is_online:
            year["online_hours"] += entry.hours
    for status in statuses:
        years[status.due_on.year]["compliance"].append(status)
    for member in classes:
        years[member.training_class.starts_on.year]["classes"].append(member)
    return {
        "person": person,
        "years": [{"year": y, **years[y]} for y in sorted(years, reverse=True)],
        "totals": {
            "hours": sum((e.hours for e in entries), ZERO),
            "days": sum((e.days for e in entries), ZERO),
            "online_hours": sum((e.hours for e in entries if e.is_online), ZERO),
        },
        "certificates": _certificates_of(person),
    }
