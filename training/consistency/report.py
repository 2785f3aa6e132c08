"""What a consistency check found: the report every check writes into (counts of
what was checked, mismatches and warnings, each listed up to ``LIST_LIMIT``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

LIST_LIMIT = 200


@dataclass
class Problem:
    check: str
    kind: str
    id: str
    detail: str = ""


@dataclass
class ConsistencyReport:
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mismatch_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mismatches: list[Problem] = field(default_factory=list)
    warning_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    warnings: list[Problem] = field(default_factory=list)
    # A fingerprint of the ledger and the certificates, to compare two databases
    # (a source and its restored backup) beyond "each is consistent in itself".
    totals: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def mismatch(self, check: str, kind: str, pk, detail: str = "") -> None:
        self.mismatch_counts[check] += 1
        if self.mismatch_counts[check] <= LIST_LIMIT:
            self.mismatches.append(Problem(check, kind, str(pk), detail))

    def warn(self, check: str, kind: str, pk, detail: str = "") -> None:
        self.warning_counts[check] += 1
        if self.warning_counts[check] <= LIST_LIMIT:
            self.warnings.append(Problem(check, kind, str(pk), detail))

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": dict(self.checked),
            "mismatch_counts": dict(self.mismatch_counts),
            "mismatches": [asdict(p) for p in self.mismatches],
            "warning_counts": dict(self.warning_counts),
            "warnings": [asdict(p) for p in self.warnings],
            "totals": self.totals,
        }


Progress = Callable[[str, int], None] | None


def listed(report: ConsistencyReport, check: str, kind: str, queryset, detail):
    """Report each row of ``queryset`` (only the first LIST_LIMIT are fetched)."""
    total = queryset.count()
    for row in queryset.order_by("pk")[:LIST_LIMIT]:
        report.mismatch(check, kind, row.pk, detail(row))
    # Count the rest without listing them.
    report.mismatch_counts[check] += max(total - LIST_LIMIT, 0)
