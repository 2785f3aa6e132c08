"""The ledger check: reversals reverse exactly one ordinary entry with negated
amounts, credits are not negative, approved external records hold their entry."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from training.consistency.report import (
    LIST_LIMIT,
    ConsistencyReport,
    listed,
)
from training.ledger.models import ExternalRecord, LedgerEntry

ORDINARY_SOURCES = (
    LedgerEntry.Source.COURSE,
    LedgerEntry.Source.QUIZ,
    LedgerEntry.Source.CLASS,
    LedgerEntry.Source.EXTERNAL,
)


def check_ledger(report: ConsistencyReport) -> None:
    Source = LedgerEntry.Source
    entries = LedgerEntry.objects.all()
    totals = entries.aggregate(
        n=Count("id"),
        hours=Sum("hours"),
        days=Sum("days"),
        reversals=Count("id", filter=Q(source=Source.REVERSAL)),
    )
    report.checked["ledger_entries"] = totals["n"]
    report.totals.update(
        ledger_entries=str(totals["n"]),
        ledger_reversals=str(totals["reversals"]),
        ledger_hours=str(totals["hours"] or Decimal(0)),
        ledger_days=str(totals["days"] or Decimal(0)),
    )

    def describe(row) -> str:
        return f"person {row.person_id}, {row.source}, {row.hours} 学时 {row.days} 天"

    listed(
        report,
        "ledger",
        "reversal_without_original",
        entries.filter(source=Source.REVERSAL, reverses__isnull=True),
        describe,
    )
    listed(
        report,
        "ledger",
        "reverses_but_not_a_reversal",
        entries.filter(reverses__isnull=False).exclude(source=Source.REVERSAL),
        describe,
    )
    listed(
        report,
        "ledger",
        "reversal_of_a_reversal",
        entries.filter(source=Source.REVERSAL, reverses__source=Source.REVERSAL),
        describe,
    )
    listed(
        report,
        "ledger",
        "reversal_does_not_cancel",
        entries.filter(source=Source.REVERSAL, reverses__isnull=False).exclude(
            hours=-F("reverses__hours"),
            days=-F("reverses__days"),
            person_id=F("reverses__person_id"),
            occurred_on=F("reverses__occurred_on"),
        ),
        lambda row: f"reverses {row.reverses_id}: {describe(row)}",
    )
    listed(
        report,
        "ledger",
        "negative_credit",
        entries.filter(source__in=ORDINARY_SOURCES).filter(
            Q(hours__lt=0) | Q(days__lt=0)
        ),
        describe,
    )
    negative = (
        entries.values("person_id")
        .annotate(h=Sum("hours"), d=Sum("days"))
        .filter(Q(h__lt=0) | Q(d__lt=0))
        .order_by("person_id")
    )
    for row in negative[:LIST_LIMIT]:
        report.mismatch(
            "ledger",
            "negative_total",
            row["person_id"],
            f"total {row['h']} 学时 {row['d']} 天",
        )
    report.mismatch_counts["ledger"] += max(negative.count() - LIST_LIMIT, 0)
    records = ExternalRecord.objects.all()
    report.checked["external_records"] = records.count()
    listed(
        report,
        "ledger",
        "approved_record_without_entry",
        records.filter(
            status=ExternalRecord.Status.APPROVED, ledger_entry__isnull=True
        ),
        lambda row: f"person {row.person_id}",
    )
    listed(
        report,
        "ledger",
        "record_entry_differs",
        records.filter(ledger_entry__isnull=False).exclude(
            status=ExternalRecord.Status.APPROVED,
            person_id=F("ledger_entry__person_id"),
            hours=F("ledger_entry__hours"),
            days=F("ledger_entry__days"),
        ),
        lambda row: (
            f"person {row.person_id}, entry {row.ledger_entry_id}, status {row.status}"
        ),
    )
