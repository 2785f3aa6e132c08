"""Two years of 学时 history for the demo people, so every compliance status shows.

Deterministic (a ``random.Random`` seeded per employee number) and idempotent (each
entry has a ``source_key``), written in bulk and then evaluated once. Each person
follows a profile chosen by a stable hash, so the demo always has people who met
every rule, people half-way, people who missed last year's rule, and the showcase
learner, who is on track but still short this year.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from training.compliance.recompute import compliance_recompute
from training.compliance.services import compliance_refresh_people
from training.ledger.models import LedgerEntry
from training.org.models import Person

Source = LedgerEntry.Source
SEED = 20260611
TODAY = dt.date(2026, 11, 25)  # the demo's "now": entries never lie in its future

ONLINE_TITLES = (
    "课程：习近平法治思想学习导读",
    "课程：《检察官职业道德基本准则》解读",
    "课程：公正廉洁执法",
    "课程：刑事诉讼监督实务",
    "课程：民事检察监督要点",
    "课程：行政检察与行政争议实质性化解",
    "课程：公益诉讼检察办案规范",
    "课程：未成年人检察工作",
    "课程：检察业务应用系统 2.0 操作",
    "课程：涉检网络舆情应对与突发事件处置",
    "课程：群众工作方法与信访矛盾化解",
    "课程：电子数据审查要点",
)
OFFLINE = (
    ("业务培训：认罪认罚从宽制度适用研修（省检察官培训学院）", True),
    ("业务培训：刑事检察业务专题培训班（市院）", True),
    ("岗位练兵：优秀文书评查与庭审观摩", False),
    ("专题讲座：检察机关法律监督工作规范", False),
)
# profile -> per year: (online 学时 target, offline days, offline 学时)
PROFILES = {
    "complete": {2025: (56, 13, 40), 2026: (52, 12, 42)},
    "halfway": {2025: (51, 12, 30), 2026: (30, 5, 20)},
    "missed": {2025: (20, 3, 10), 2026: (18, 2, 8)},
    # On track but short this year: the class and some online study still leave
    # "还差 … 学时 或 … 天" to show.
    "learner": {2025: (54, 12, 44), 2026: (30.5, 2, 8)},
}


def _profile(employee_no: str, username: str) -> str:
    if username == "learner":
        return "learner"
    bucket = sum(employee_no.encode()) % 10
    return "complete" if bucket < 4 else "halfway" if bucket < 8 else "missed"


def _online_entries(rng, person, year, target, keys):
    total = Decimal(0)
    n = 0
    target = Decimal(str(target))
    last_day = TODAY if year == TODAY.year else dt.date(year, 12, 20)
    while total < target:
        step = rng.choice((Decimal(1), Decimal(1), Decimal("0.5")))
        hours = min(step, target - total)
        day = dt.date(year, 1, 5) + dt.timedelta(
            days=rng.randrange((last_day - dt.date(year, 1, 5)).days)
        )
        n += 1
        key = f"demo:{person.employee_no}:{year}:online:{n}"
        if key not in keys:
            yield LedgerEntry(
                person=person,
                source=Source.COURSE,
                title=rng.choice(ONLINE_TITLES),
                hours=hours,
                is_online=True,
                occurred_on=day,
                source_key=key,
            )
        total += hours


def _offline_entries(rng, person, year, days, hours, keys):
    if not days:
        return
    parts = [days // 2, days - days // 2] if days > 3 else [days]
    for n, part_days in enumerate(parts, start=1):
        key = f"demo:{person.employee_no}:{year}:offline:{n}"
        if key in keys or not part_days:
            continue
        title, centralised = OFFLINE[rng.randrange(len(OFFLINE))]
        month = 3 if n == 1 else 9
        if year == TODAY.year:
            month = min(month, TODAY.month - 1)
        yield LedgerEntry(
            person=person,
            source=Source.EXTERNAL,
            title=title,
            hours=(Decimal(hours) / len(parts)).quantize(Decimal("0.01")),
            days=Decimal(part_days),
            is_centralised=centralised,
            occurred_on=dt.date(year, month, 10 + n),
            source_key=key,
            evidence="历史学时（平台上线前由政治部录入）",
        )


def seed_ledger_history(*, stdout=None) -> int:
    """Write the history (once) and evaluate everyone for 2025 and 2026."""
    # The demo world only: not the synthetic national data of ``seed_scale``.
    people = list(
        Person.objects.exclude(unit__code__startswith="S-").select_related("user")
    )
    keys = set(
        LedgerEntry.objects.filter(source_key__startswith="demo:").values_list(
            "source_key", flat=True
        )
    )
    new: list[LedgerEntry] = []
    for person in people:
        rng = random.Random(f"{SEED}:{person.employee_no}")  # noqa: S311 (demo data)
        plan = PROFILES[_profile(person.employee_no, person.user.username)]
        for year, (online, days, hours) in plan.items():
            new += _online_entries(rng, person, year, online, keys)
            new += _offline_entries(rng, person, year, days, hours, keys)
    LedgerEntry.objects.bulk_create(new, batch_size=1000)
    compliance_recompute(today=TODAY)
    compliance_refresh_people(
        person_ids=[p.pk for p in people], days=[dt.date(2025, 6, 30)], today=TODAY
    )
    if stdout is not None:
        stdout.write(f"学时 history: {len(new)} new entries for {len(people)} people.")
    return len(new)
