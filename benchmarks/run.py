"""Run the benchmarks against a fresh database and record the numbers.

Usage: ``make bench`` (PostgreSQL) or ``DATABASE_URL=... python benchmarks/run.py
[roster exam courses certificates]`` (default: all). Each benchmark writes
benchmarks/results/<name>.json and a line to results.md. The exam storm (many
learners over HTTP against gunicorn) is separate: ``make bench-storm``.
A fresh database named ``<db>_bench`` is created next to the one in DATABASE_URL.

``compliance`` (300,000 people, ``benchmarks/compliance_bench.py``) is not in the
default set: it keeps its own seeded database between runs and takes minutes the
first time. Run it by name: ``python benchmarks/run.py compliance [--people 30000]
[--all-programmes]``. ``dashboard`` (``benchmarks/bench_dashboard.py``: the
/reports/ pages, the 300,000-row people export, roll-up rebuild) uses the same
database and runs by name the same way: ``python benchmarks/run.py dashboard``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


def _bench_database_url() -> str:
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return f"sqlite:///{ROOT / 'benchmarks' / 'results' / 'bench.sqlite3'}"
    import psycopg

    name = f"{config['NAME']}_bench"
    admin = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def setup_django() -> str:
    url = _bench_database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return url


def record(name: str, data: dict) -> None:
    from django.db import connection

    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {
        "benchmark": name,
        "database": connection.vendor,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        **data,
    }
    (RESULTS / f"{name}.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=2)
    )
    with (RESULTS / "results.md").open("a") as log:
        log.write(
            f"- {data['when']} {name} on {data['database']}: "
            + ", ".join(
                f"{k}={v}"
                for k, v in data.items()
                if k.endswith(("_s", "_ms", "_queries")) or k == "meets_targets"
            )
            + "\n"
        )
    print(json.dumps(data, ensure_ascii=False, indent=2))


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


BENCHMARKS = {
    "roster": "benchmarks.bench_roster_import",
    "exam": "benchmarks.bench_exam",
    "courses": "benchmarks.bench_courses",
    "certificates": "benchmarks.bench_certificates",
    "compliance": "benchmarks.compliance_bench",
    "dashboard": "benchmarks.bench_dashboard",
}
# These set up (and keep) their own database, so each runs in a process of its own
# and only when asked for by name.
OWN_DATABASE = {"compliance", "dashboard"}


def main() -> None:
    import argparse
    import importlib
    import subprocess

    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument(
        "--people", type=int, help="compliance, dashboard: people to seed"
    )
    parser.add_argument(
        "--all-programmes",
        action="store_true",
        help="compliance: also time the recompute of every published programme",
    )
    args = parser.parse_args()
    names = args.names or [n for n in BENCHMARKS if n not in OWN_DATABASE]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    own = [n for n in names if n in OWN_DATABASE]
    if own and len(names) > 1:
        extra = sys.argv[1:]
        for name in own:
            rest = [a for a in extra if a not in BENCHMARKS]
            subprocess.run([sys.executable, __file__, name, *rest], check=True)  # noqa: S603
        names = [n for n in names if n not in OWN_DATABASE]
    elif own:
        module = importlib.import_module(BENCHMARKS[own[0]])
        people = args.people or module.DEFAULT_PEOPLE
        if module.setup(people):
            module.run(
                record=record,
                median=median,
                people=people,
                all_programmes=args.all_programmes,
            )
        return
    setup_django()
    for name in names:
        importlib.import_module(BENCHMARKS[name]).run(record=record, median=median)


if __name__ == "__main__":
    main()
