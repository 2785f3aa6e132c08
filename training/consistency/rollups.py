"""The roll-up check: every ``UnitRollup`` / ``UnitRollupMonth`` equals a recount
of the status rows it summarises."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.compliance.rollups import _count as rollups_count
from training.consistency.report import (
    ConsistencyReport,
)

ROLLUP_FIELDS = (
    "total",
    "compliant",
    "in_progress",
    "overdue",
    "exempt",
    "at_risk",
    "hours",
    "online_hours",
)


def _rollup_key(row: UnitRollup) -> tuple:
    return (
        row.unit_id,
        row.programme_id,
        row.cycle_start,
        row.category,
        row.grade,
        row.leadership_level,
        row.is_quota,
    )


def check_rollups(report: ConsistencyReport) -> None:
    """One programme cycle at a time: the grouped recount runs in the database
    (``rollups._count``, the function that writes them), the comparison here."""
    cycles = set(
        ComplianceStatus.objects.values_list("programme_id", "cycle_start").distinct()
    ) | set(UnitRollup.objects.values_list("programme_id", "cycle_start").distinct())
    for programme_id, cycle_start in sorted(cycles):
        stored = {
            _rollup_key(r): r
            for r in UnitRollup.objects.filter(
                programme_id=programme_id, cycle_start=cycle_start
            )
        }
        statuses = ComplianceStatus.objects.filter(
            programme_id=programme_id, cycle_start=cycle_start
        )
        # at_risk depends on the day a row was built; recount as of each such day.
        days = {r.built_on for r in stored.values()} or {timezone.localdate()}
        expected_by_day: dict[dt.date, dict] = {}
        months: list[UnitRollupMonth] = []
        for day in sorted(days):
            rows, months = rollups_count(statuses, day)
            expected_by_day[day] = {_rollup_key(r): r for r in rows}
        expected_keys = set(next(iter(expected_by_day.values())))
        report.checked["rollups"] += len(expected_keys | set(stored))
        for key in sorted(expected_keys | set(stored), key=str):
            row = stored.get(key)
            if row is None:
                report.mismatch("rollups", "missing_row", key, "no stored roll-up row")
                continue
            if key not in expected_keys:
                report.mismatch(
                    "rollups", "stale_row", row.pk, f"{key}: counts nobody now"
                )
                continue
            want = expected_by_day[row.built_on][key]
            differs = [
                f"{name} {getattr(row, name)} ≠ {getattr(want, name)}"
                for name in ROLLUP_FIELDS
                if getattr(row, name) != getattr(want, name)
            ]
            if differs:
                report.mismatch("rollups", "counts", row.pk, "; ".join(differs))
        stored_months = {
            (m.unit_id, m.month): m
            for m in UnitRollupMonth.objects.filter(
                programme_id=programme_id, cycle_start=cycle_start
            )
        }
        expected_months = {(m.unit_id, m.month): m.met for m in months}
        report.checked["rollup_months"] += len(
            set(stored_months) | set(expected_months)
        )
        for key in sorted(set(stored_months) | set(expected_months)):
            have = stored_months[key].met if key in stored_months else None
            want = expected_months.get(key)
            if have != want:
                report.mismatch(
                    "rollups",
                    "month",
                    f"{programme_id}:{cycle_start}:{key[0]}:{key[1]:%Y-%m}",
                    f"met {have} ≠ {want}",
                )
