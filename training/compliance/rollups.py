"""Keeping the per-unit roll-ups (``UnitRollup``, ``UnitRollupMonth``) equal to the
status rows they count.

One recount serves both paths: ``rollups_refresh`` recounts a few units' rows for
the cycles one person's refresh touched (five queries, in the caller's
transaction), ``rollups_rebuild`` recounts whole programme cycles after a bulk
recompute or the nightly overdue sweep. Either way the rows are deleted and counted
again from ``ComplianceStatus``, so a roll-up can never drift from its source;
the property test in ``tests/training/compliance/test_rollups.py`` checks that
against a recount in Python. The dashboard cache is keyed by a generation number
bumped after every commit that changed roll-ups.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from functools import reduce
from operator import or_

from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Sum, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from training.compliance.models import ComplianceStatus
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth

Status = ComplianceStatus.Status

# An in-progress cycle due within this many days counts as at risk (临期未达标).
AT_RISK_DAYS = 90
GENERATION_KEY = "training:rollups:generation"
BATCH = 5000

Key = tuple[int, int, dt.date]  # unit id, programme id, cycle start

_STATUS_FIELD = {
    Status.COMPLIANT: "compliant",
    Status.IN_PROGRESS: "in_progress",
    Status.NON_COMPLIANT: "overdue",
    Status.EXEMPT: "exempt",
}
GRAIN = ("category", "grade", "leadership_level", "is_quota")


def rollups_generation() -> str:
    """What dashboard caches are keyed by; changes whenever roll-ups do.

    Two parts: a number bumped after every commit that recounted roll-ups (exact
    when the cache is shared, as Redis is in production), and the highest roll-up
    id (one index lookup), which moves with every recount in any process — so a
    background worker's recompute reaches a web process even on a process-local
    cache (development)."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(GENERATION_KEY, generation, None)
    latest = UnitRollup.objects.order_by("-id").values_list("id", flat=True).first()
    return f"{generation}.{latest or 0}"


def _bump_generation() -> None:
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, time.time_ns(), None))


# A roll-up row's grain, as status-row fields (then the status counted).
_GROUPED_BY = (
    "unit_id",
    "programme_id",
    "cycle_start",
    "person__category",
    "person__grade",
    "person__leadership_level",
    "person__is_quota",
    "status",
)


def _count(statuses, today: dt.date) -> tuple[list[UnitRollup], list[UnitRollupMonth]]:
    """Fold grouped status counts into roll-up rows (one grouped query)."""
    soon = today + dt.timedelta(days=AT_RISK_DAYS)
    grouped = (
        statuses.values(*_GROUPED_BY)
        .annotate(
            month=TruncMonth("met_on"),
            risky=Case(
                When(status=Status.IN_PROGRESS, due_on__lte=soon, then=1),
                default=0,
                output_field=IntegerField(),
            ),
        )
        .values_list(*_GROUPED_BY, "month", "risky")
        .annotate(n=Count("id"), h=Sum("hours"), oh=Sum("online_hours"))
        .order_by()
    )
    rollups: dict[tuple, UnitRollup] = {}
    months: dict[tuple, int] = defaultdict(int)
    for (
        unit,
        programme,
        start,
        cat,
        grade,
        lead,
        quota,
        status,
        month,
        risky,
        n,
        h,
        oh,
    ) in grouped.iterator(chunk_size=BATCH):
        key = (unit, programme, start, cat, grade or "", lead or "", bool(quota))
        row = rollups.get(key)
        if row is None:
            row = rollups[key] = UnitRollup(
                unit_id=unit,
                programme_id=programme,
                cycle_start=start,
                category=cat,
                grade=grade or "",
                leadership_level=lead or "",
                is_quota=bool(quota),
                hours=Decimal("0"),
                online_hours=Decimal("0"),
                built_on=today,
            )
        row.total += n
        field = _STATUS_FIELD.get(status)
        if field:
            setattr(row, field, getattr(row, field) + n)
        if risky:
            row.at_risk += n
        row.hours += h or 0
        row.online_hours += oh or 0
        if month is not None and status == Status.COMPLIANT:
            if isinstance(month, dt.datetime):
                month = month.date()
            months[(unit, programme, start, month)] += n
    month_rows = [
        UnitRollupMonth(
            unit_id=unit, programme_id=programme, cycle_start=start, month=m, met=n
        )
        for (unit, programme, start, m), n in months.items()
    ]
    return list(rollups.values()), month_rows


def _replace(status_q: Q, rollup_q: Q, today: dt.date | None) -> tuple[int, int]:
    today = today or timezone.localdate()
    rows, month_rows = _count(ComplianceStatus.objects.filter(status_q), today)
    UnitRollup.objects.filter(rollup_q).delete()
    UnitRollupMonth.objects.filter(rollup_q).delete()
    UnitRollup.objects.bulk_create(rows, batch_size=BATCH)
    UnitRollupMonth.objects.bulk_create(month_rows, batch_size=BATCH)
    _bump_generation()
    return len(rows), len(month_rows)


@transaction.atomic(savepoint=False)
def rollups_refresh(keys: Iterable[Key], *, today: dt.date | None = None) -> int:
    """Recount the roll-ups of these (unit, programme, cycle) combinations."""
    by_cycle: dict[tuple[int, dt.date], set[int]] = defaultdict(set)
    for unit_id, programme_id, start in keys:
        by_cycle[(programme_id, start)].add(unit_id)
    if not by_cycle:
        return 0
    q = reduce(
        or_,
        (
            Q(programme_id=p, cycle_start=s, unit_id__in=sorted(units))
            for (p, s), units in by_cycle.items()
        ),
    )
    return _replace(q, q, today)[0]


@transaction.atomic
def rollups_rebuild(
    *,
    programme_id: int | None = None,
    cycle_start: dt.date | None = None,
    today: dt.date | None = None,
) -> tuple[int, int]:
    """Recount whole programme cycles (all of them without arguments).
    Returns (roll-up rows, monthly rows) written."""
    q = Q()
    if programme_id is not None:
        q &= Q(programme_id=programme_id)
    if cycle_start is not None:
        q &= Q(cycle_start=cycle_start)
    return _replace(q, q, today)


def rollups_rebuild_cycles(
    cycles: Iterable[tuple[int, dt.date]], *, today: dt.date | None = None
) -> int:
    written = 0
    for programme_id, start in sorted(set(cycles)):
        written += rollups_rebuild(
            programme_id=programme_id, cycle_start=start, today=today
        )[0]
    return written


def rollups_rebuild_current(*, today: dt.date | None = None) -> tuple[int, int]:
    """Recount every cycle still running (due today or later): the nightly check
    after the recompute. Returns (cycles, roll-up rows written)."""
    today = today or timezone.localdate()
    cycles = set(
        ComplianceStatus.objects.filter(due_on__gte=today)
        .values_list("programme_id", "cycle_start")
        .distinct()
    )
    return len(cycles), rollups_rebuild_cycles(cycles, today=today)
