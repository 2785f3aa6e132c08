"""Leadership dashboards and exports at national scale (PostgreSQL only).

Targets (issue 8), 300,000 people in 3,600 units (``seed_scale`` defaults):

* ``/reports/`` at the root: median server time ≤ 300 ms, ≤ 15 queries;
* any drill-down (a province, a city, a basic unit; the people lists): ≤ 200 ms;
* a root-level people export of all 300,000 rows (XLSX, background task
  ``report_export_run``): ≤ 2 minutes, peak memory ≤ 1 GB.

Also timed: ``rollups_rebuild()`` of everything and one person's incremental
refresh (``compliance_refresh_person``, which recounts that person's roll-ups).

The pages are requested through ``django.test.Client`` as a national leader (a
leader role on the root unit), so the time is the view's (queries, template,
middleware), without a network or a server process. Cold runs clear the cache
first (the dashboard is cached per roll-up generation); warm runs do not. The
export runs in a subprocess of its own so its peak RSS is the export's, not this
benchmark's.

Uses the database of ``benchmarks/compliance_bench.py`` (``bench_scale``, or
``bench_scale_<people>``), seeded on first use and reused afterwards:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/run.py dashboard [--people 30000]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import compliance_bench

DEFAULT_PEOPLE = compliance_bench.DEFAULT_PEOPLE
RUNS = 20
TARGET_ROOT_MS = 300
TARGET_ROOT_QUERIES = 15
TARGET_DRILL_MS = 200
TARGET_EXPORT_S = 120
TARGET_EXPORT_MB = 1024
LEADER = "bench-national-leader"
ROOT = Path(__file__).resolve().parent.parent


def setup(people: int) -> bool:
    return compliance_bench.setup(people)


def _ensure_data(people: int) -> float | None:
    """Seeded people with compliance rows and roll-ups (recomputed when missing)."""
    from training.compliance.models import ComplianceStatus
    from training.compliance.recompute import compliance_recompute
    from training.compliance.rollup_models import UnitRollup

    seeded = compliance_bench.ensure_seeded(people)
    if not ComplianceStatus.objects.exists() or not UnitRollup.objects.exists():
        print("no compliance rows or roll-ups: recomputing (minutes)")
        compliance_recompute()
    return seeded


def _leader():
    from django.contrib.auth import get_user_model

    from training.demo.scale import PREFIX
    from training.org.models import OrgUnit, RoleGrant
    from training.org.services.roles import role_grant_create

    root = OrgUnit.objects.get(code__startswith=PREFIX, depth=1)
    user, _created = get_user_model().objects.get_or_create(
        username=LEADER, defaults={"full_name": "最高检领导（基准测试）"}
    )
    if not RoleGrant.objects.filter(user=user, unit=root).exists():
        role_grant_create(user=user, role=RoleGrant.Role.LEADER, unit=root)
    return user, root


def _units(root) -> dict:
    """The root, its biggest province, that province's biggest city and one of that
    city's basic units (biggest by people, from the roll-ups)."""
    from django.db.models import Sum

    from training.compliance.rollup_models import UnitRollup
    from training.org.models import OrgUnit

    def biggest(parent):
        children = OrgUnit.objects.filter(
            path__startswith=parent.path, depth=parent.depth + 1
        )
        sizes = {
            c.pk: UnitRollup.objects.filter(unit__path__startswith=c.path).aggregate(
                n=Sum("total")
            )["n"]
            or 0
            for c in children
        }
        return max(children, key=lambda c: (sizes[c.pk], -c.pk))

    province = biggest(root)
    city = biggest(province)
    basic = biggest(city)
    return {"root": root, "province": province, "city": city, "basic": basic}


def _stats(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        "max_ms": round(max(times), 1),
    }


def measure_page(client, url: str, *, cold: bool, runs: int = RUNS) -> dict:
    from django.core.cache import cache
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # first request of a URL: templates, translations
    times, queries = [], []
    for _run in range(runs):
        if cold:
            cache.clear()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        queries.append(len(captured.captured_queries))
    return {**_stats(times), "queries": max(queries)}


def measure_pages(programme) -> dict:
    from django.test import Client

    user, root = _leader()
    units = _units(root)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    results: dict = {
        "units": {k: f"{u.name} ({u.code})" for k, u in units.items()},
    }

    def url(path: str, unit, **extra) -> str:
        params = {"unit": unit.pk, "programme": programme.pk, **extra}
        return f"{path}?" + "&".join(f"{k}={v}" for k, v in params.items())

    results["root_cold"] = measure_page(client, url("/reports/", root), cold=True)
    results["root_warm"] = measure_page(client, url("/reports/", root), cold=False)
    for name in ("province", "city", "basic"):
        results[f"{name}_cold"] = measure_page(
            client, url("/reports/", units[name]), cold=True
        )
    for name in ("root", "province", "basic"):
        for status in ("overdue", "in_progress"):
            results[f"people_{name}_{status}"] = measure_page(
                client,
                url("/reports/people/", units[name], status=status),
                cold=True,
            )
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return results


def measure_rollups(people_ids: list[int]) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from training.compliance.rollups import rollups_rebuild
    from training.compliance.services import compliance_refresh_person

    started = time.perf_counter()
    rows, months = rollups_rebuild()
    rebuild_s = time.perf_counter() - started
    times, queries = [], []
    for person_id in people_ids:
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            compliance_refresh_person(person_id=person_id)
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured.captured_queries))
    return {
        "rollups_rebuild_s": round(rebuild_s, 2),
        "rollups_rows": rows,
        "rollups_month_rows": months,
        "refresh_person_median_ms": round(statistics.median(times), 1),
        "refresh_person_p95_ms": _stats(times)["p95_ms"],
        "refresh_person_queries": max(queries),
    }


EXPORT_SCRIPT = r"""
import json, os, resource, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from training.reports.export_requests import report_export_request
from training.reports.export_run import report_export_run

def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) // 1024
    return None

user = get_user_model().objects.get(username=sys.argv[1])
params = {"unit": sys.argv[2], "programme": sys.argv[3]}
export = report_export_request(user=user, kind="people", params=params, enqueue=False)
before = vm("VmRSS:")
started = time.perf_counter()
export = report_export_run(export_id=export.pk)
elapsed = time.perf_counter() - started
size = export.file.size if export.file else 0
print(json.dumps({
    "status": export.status, "error": export.error, "rows": export.done,
    "total": export.total, "seconds": round(elapsed, 1),
    "rss_before_mb": before, "peak_rss_mb": vm("VmHWM:"),
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "file_mb": round(size / 2**20, 1),
}))
if export.file:
    export.file.delete(save=False)
"""


def measure_export(user, root, programme) -> dict:
    """A root-level people export of every row, in a process of its own."""
    try:
        from training.reports.export_run import report_export_run  # noqa: F401
    except ImportError:
        return {"export": "training.reports.export_run.report_export_run missing"}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            EXPORT_SCRIPT,
            user.username,
            str(root.pk),
            str(programme.pk),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    last = (done.stdout.strip().splitlines() or [""])[-1]
    try:
        result = json.loads(last)
    except ValueError:
        return {"export": "failed", "export_stderr": done.stderr[-2000:]}
    print("export:", result)
    return {f"export_{k}": v for k, v in result.items()}


def run(*, record, median, people: int = DEFAULT_PEOPLE, **_options) -> None:
    from django.db import connection

    from training.compliance.models import ComplianceStatus
    from training.demo.scale import PREFIX
    from training.org.models import Person
    from training.programmes.models import Programme

    if connection.vendor != "postgresql":
        print("dashboard benchmark: PostgreSQL only; skipped.")
        return
    seeded_s = _ensure_data(people)
    programme = Programme.objects.get(key="annual-on-the-job")
    data: dict = {
        "load_average_1m": round(os.getloadavg()[0], 2),
        "people": Person.objects.filter(employee_no__startswith=PREFIX).count(),
        "status_rows": ComplianceStatus.objects.count(),
        "programme": programme.key,
        "seed_s": round(seeded_s, 1) if seeded_s is not None else "reused",
        "runs": RUNS,
    }
    data.update(measure_pages(programme))
    ids = list(
        Person.objects.filter(employee_no__startswith=PREFIX).values_list(
            "id", flat=True
        )
    )
    data.update(measure_rollups(random.Random(8).sample(ids, 20)))
    user, root = _leader()
    data.update(measure_export(user, root, programme))
    data["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    drill = [
        data[k]["median_ms"]
        for k in data
        if isinstance(data[k], dict)
        and "median_ms" in data[k]
        and not k.startswith("root_")
    ]
    data["root_ms"] = data["root_cold"]["median_ms"]
    data["root_queries"] = data["root_cold"]["queries"]
    data["drill_down_max_median_ms"] = max(drill)
    data["export_s"] = data.get("export_seconds")
    data["meets_targets"] = bool(
        data["root_ms"] <= TARGET_ROOT_MS
        and data["root_queries"] <= TARGET_ROOT_QUERIES
        and data["drill_down_max_median_ms"] <= TARGET_DRILL_MS
        and data.get("export_status") == "done"
        and data["export_seconds"] <= TARGET_EXPORT_S
        and data["export_peak_rss_mb"] <= TARGET_EXPORT_MB
    )
    name = "dashboard" if people == DEFAULT_PEOPLE else f"dashboard_{people}"
    record(name, data)
