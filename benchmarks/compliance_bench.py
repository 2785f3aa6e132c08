"""Compliance at national scale (PostgreSQL only).

Targets on this 2-core machine, 300,000 people (``seed_scale`` defaults):

* (a) full ``compliance_recompute()`` of the three yearly national programmes
  (annual-on-the-job, annual-online, political-2026) for everyone: ≤ 5 min;
* (b) incremental: ``ledger_entry_create`` of one entry for a random person, which
  refreshes that person's compliance in the same transaction: median of 50 ≤ 20 ms,
  with its query count.

Seeding 300,000 people takes minutes, so the data lives in its own database
(``bench_scale``, or ``bench_scale_<people>`` for other sizes) next to the one in
DATABASE_URL, created and seeded on the first run and reused afterwards.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        python benchmarks/run.py compliance [--people 30000] [--all-programmes]

Also reported: where the time of the full recompute goes (SQL by kind of statement
against Python), so a regression can be placed without a profiler.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections import defaultdict
from decimal import Decimal

DEFAULT_PEOPLE = 300_000
DEFAULT_UNITS = 3600
INCREMENTAL_RUNS = 50
TARGET_RECOMPUTE_S = 300
TARGET_INCREMENTAL_MS = 20


def units_for(people: int) -> int:
    return max(40, round(people * DEFAULT_UNITS / DEFAULT_PEOPLE))


def database_url(people: int) -> str | None:
    """The benchmark's own database (created when missing), or None off PostgreSQL."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return None
    import psycopg

    name = "bench_scale" if people == DEFAULT_PEOPLE else f"bench_scale_{people}"
    admin = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def setup(people: int) -> bool:
    """Point Django at the benchmark database and migrate it. False: skipped."""
    url = database_url(people)
    if url is None:
        print("compliance benchmark: PostgreSQL only (set DATABASE_URL); skipped.")
        return False
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return True


def ensure_seeded(people: int) -> float | None:
    """Seed when the database does not hold exactly ``people`` seeded people.
    Returns the seeding time, or None when the data was reused."""
    from django.core.management import call_command

    from training.demo.scale import PREFIX
    from training.org.models import Person

    have = Person.objects.filter(employee_no__startswith=PREFIX).count()
    if have == people:
        print(f"reusing {have} seeded people")
        return None
    print(f"seeding {people} people ({units_for(people)} units); found {have}")
    started = time.perf_counter()
    call_command(
        "seed_scale",
        units=units_for(people),
        people=people,
        reset=bool(have),
        force=True,
    )
    return time.perf_counter() - started


def _kind(sql: str) -> str:
    head = sql.lstrip()[:300].upper()
    for table in (
        "TRAINING_COMPLIANCESTATUS",
        "TRAINING_LEDGERENTRY",
        "TRAINING_EXTERNALRECORD",
        "TRAINING_EXEMPTION",
        "TRAINING_PERSON",
    ):
        if table in head:
            verb = head.split()[0]
            return f"{verb.lower()} {table.removeprefix('TRAINING_').lower()}"
    return head.split()[0].lower() if head else "?"


def profile(queries: list[dict]) -> dict[str, dict]:
    spent: dict[str, list[float]] = defaultdict(list)
    for query in queries:
        spent[_kind(query["sql"])].append(float(query["time"]))
    return {
        kind: {"count": len(times), "s": round(sum(times), 2)}
        for kind, times in sorted(spent.items(), key=lambda kv: -sum(kv[1]))
    }


def measure_recompute(programme_ids: list[int] | None, label: str) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from training.compliance.models import ComplianceStatus
    from training.compliance.recompute import compliance_recompute

    marks: list[tuple[float, int]] = []
    # The log is a bounded deque: a full one makes CaptureQueriesContext see nothing.
    connection.queries_log.clear()
    started = time.perf_counter()
    cpu = time.process_time()
    with CaptureQueriesContext(connection) as captured:
        written = compliance_recompute(
            programme_ids=programme_ids,
            progress=lambda n: marks.append((time.perf_counter() - started, n)),
        )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    sql_s = sum(float(q["time"]) for q in captured.captured_queries)
    statuses = dict(
        ComplianceStatus.objects.filter(programme_id__in=list(written))
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    print(f"{label}: {sum(written.values())} rows in {elapsed:.1f} s")
    return {
        f"{label}_s": round(elapsed, 2),
        f"{label}_rows": sum(written.values()),
        f"{label}_rows_by_programme": {str(k): v for k, v in written.items()},
        f"{label}_sql_s": round(sql_s, 2),
        f"{label}_python_s": round(elapsed - sql_s, 2),
        # CPU of this process alone: what other load on the machine cannot inflate.
        f"{label}_python_cpu_s": round(cpu, 2),
        f"{label}_profile": profile(captured.captured_queries),
        f"{label}_statuses": statuses,
    }


def measure_incremental(runs: int = INCREMENTAL_RUNS) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from training.compliance.services import compliance_refresh_people
    from training.demo.scale import PREFIX
    from training.ledger.models import LedgerEntry
    from training.ledger.services import ledger_entry_create
    from training.org.models import Person

    rng = random.Random(7)
    ids = list(
        Person.objects.filter(employee_no__startswith=PREFIX).values_list(
            "id", flat=True
        )
    )
    chosen = rng.sample(ids, min(runs, len(ids)))
    today = timezone.localdate()
    times, counts = [], []
    tag = f"bench:{uuid.uuid4().hex[:12]}"
    for n, person_id in enumerate(chosen):
        person = Person.objects.select_related("unit").get(pk=person_id)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            ledger_entry_create(
                person=person,
                source=LedgerEntry.Source.COURSE,
                title="课程：基准测试",
                hours=Decimal("0.5"),
                occurred_on=today,
                source_key=f"{tag}:{n}",
            )
            times.append((time.perf_counter() - started) * 1000)
        counts.append(len(captured.captured_queries))
    # Leave the data as it was: drop the entries and refresh those people again.
    LedgerEntry.objects.filter(source_key__startswith=tag)._raw_delete("default")
    compliance_refresh_people(person_ids=chosen)
    ordered = sorted(times)
    return {
        "incremental_runs": len(times),
        "incremental_median_ms": round(statistics.median(times), 2),
        "incremental_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "incremental_max_ms": round(max(times), 2),
        "incremental_max_queries": max(counts),
        "incremental_median_queries": statistics.median(counts),
    }


def run(*, record, median, people: int = DEFAULT_PEOPLE, all_programmes=False):
    from django.db import connection

    from training.demo.scale import NATIONAL_KEYS
    from training.org.models import Person
    from training.programmes.models import Programme

    if connection.vendor != "postgresql":
        print("compliance benchmark: PostgreSQL only; skipped.")
        return
    seeded_s = ensure_seeded(people)
    ids = list(
        Programme.objects.filter(
            key__in=NATIONAL_KEYS, status=Programme.Status.PUBLISHED
        ).values_list("id", flat=True)
    )
    data: dict = {
        # Other work on the machine skews wall-clock numbers: record how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "people": Person.objects.filter(is_active=True).count(),
        "programmes": len(ids),
        "seed_s": round(seeded_s, 1) if seeded_s is not None else "reused",
        "target_recompute_s": TARGET_RECOMPUTE_S,
        "target_incremental_ms": TARGET_INCREMENTAL_MS,
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM training_ledgerentry")
        data["ledger_entries"] = cursor.fetchone()[0]
    data.update(measure_recompute(ids, "recompute"))
    if all_programmes:
        data.update(measure_recompute(None, "recompute_all"))
    data.update(measure_incremental())
    data["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    data["meets_targets"] = (
        data["recompute_s"] <= TARGET_RECOMPUTE_S
        and data["incremental_median_ms"] <= TARGET_INCREMENTAL_MS
    )
    name = "compliance" if people == DEFAULT_PEOPLE else f"compliance_{people}"
    record(name, data)
