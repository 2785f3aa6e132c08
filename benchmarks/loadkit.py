"""What the HTTP load benchmarks share: a throwaway PostgreSQL database, the
production settings on loopback, gunicorn and task workers, headless locust, CPU
accounting with psutil, and the results (JSON plus a section of results.md).

Used by benchmarks/storm/run_storm.py (the exam storm) and
benchmarks/load/run_mixed.py (the mixed load). The locust side of the same
benchmarks shares benchmarks/locustkit.py.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
VENV_BIN = Path(sys.executable).parent


# --- database and environment ------------------------------------------------------


def server_args_add(p, *, port: int, db: str, redis_url: str) -> None:
    """The server-side options every load run takes (gunicorn size, where it runs,
    its throwaway database and Redis db, and whether to record the results)."""
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--port", type=int, default=port)
    p.add_argument("--db", default=db)
    p.add_argument("--redis-url", default=redis_url)
    p.add_argument("--keep-db", action="store_true")
    p.add_argument(
        "--no-record", action="store_true", help="print results, write nothing"
    )


def pg_database_url(name: str, *, purpose: str) -> str:
    """``DATABASE_URL`` with its database replaced by ``name``; PostgreSQL only."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    if "postgresql" not in dj_database_url.parse(url)["ENGINE"]:
        sys.exit(f"The {purpose} needs PostgreSQL: set DATABASE_URL=postgres://...")
    return url.rsplit("/", 1)[0] + "/" + name


def _admin_connection(url: str):
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def database_recreate(url: str, name: str, *, create: bool = True) -> None:
    with _admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')


def redis_check(url: str, *, purpose: str) -> None:
    # The cache ignores Redis errors (degrades to no cache), but sessions live
    # there in production: without Redis every sign-in would be lost.
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        sys.exit(f"The {purpose} needs Redis at {url}: {exc}")


def server_environment(*, db_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """cms.settings.prod on plain-HTTP loopback with fresh secrets; ``extra``
    adds or overrides variables."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": db_url,
        "DB_CONN_MAX_AGE": "60",
        "REDIS_URL": redis_url,
        # Plain HTTP on loopback: no redirect to https, cookies without Secure.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(env: dict, *argv: str, log: Path | None = None) -> None:
    """``manage.py`` in a subprocess; its output goes to ``log`` when given."""
    out = log.open("a", encoding="utf-8") if log else None
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )
    finally:
        if out:
            out.close()


def static_files_ensure(env: dict) -> None:
    """Production storage serves hashed names from the manifest: build it once."""
    if not (ROOT / "static" / "staticfiles.json").exists():
        print("collecting static files (production manifest storage)")
        manage(env, "collectstatic", "--noinput", "-v", "0")


# --- processes ------------------------------------------------------------------------


def gunicorn_start(
    env: dict, *, workers: int, threads: int, port: int, log: Path
) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
        [
            str(VENV_BIN / "gunicorn"),
            "cms.wsgi",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            # Gunicorn 27 opens ~/.gunicorn/gunicorn.ctl by default: two servers
            # on one machine (another benchmark, the prod smoke) would share it.
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w", encoding="utf-8"),
        stderr=subprocess.STDOUT,
    )


def task_worker_start(env: dict, *, log: Path) -> subprocess.Popen:
    """One background-task worker, started as a deployment starts it (cms.deploy)."""
    from cms.deploy import worker_command

    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        worker_command(sys.executable),
        cwd=ROOT,
        env=env,
        stdout=log.open("w", encoding="utf-8"),
        stderr=subprocess.STDOUT,
    )


def locust_start(
    locustfile: Path,
    *,
    users: int,
    spawn_rate: float,
    run_time_s: int,
    host: str,
    csv_prefix: Path,
    env: dict,
) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own virtualenv's locust
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(locustfile),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(spawn_rate),
            "--run-time",
            f"{run_time_s}s",
            "--stop-timeout",
            "10",
            "--host",
            host,
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
    )


def processes_stop(procs: Iterable[subprocess.Popen | None]) -> None:
    """SIGTERM each process we started, SIGKILL after 30 s."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def busy_processes(seconds: float = 2.0, top: int = 5) -> list[str]:
    """What else keeps the machine busy: the processes using the most CPU over
    ``seconds`` (command line shortened), for the record of a run."""
    procs = list(psutil.process_iter(["cmdline", "name"]))
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.cpu_percent(None)
    time.sleep(seconds)
    busy = []
    for proc in procs:
        try:
            percent = proc.cpu_percent(None)
            command = " ".join(proc.info["cmdline"] or [proc.info["name"] or "?"])
        except psutil.Error:
            continue
        if percent >= 5:
            busy.append((percent, command))
    busy.sort(reverse=True)
    return [f"{percent:.0f}% {command[:100]}" for percent, command in busy[:top]]


# --- CPU ------------------------------------------------------------------------------


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def process_tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (gunicorn's master and workers)."""
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def postgres_backends(db_name: str) -> list[psutil.Process]:
    """Backends serving ``db_name`` (their CPU is the database's share)."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
        except psutil.Error:
            continue
        if cmdline.startswith("postgres:") and f" {db_name} " in cmdline:
            found.append(proc)
    return found


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle, summed over cores."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class CpuMeter:
    """CPU seconds of named groups of processes at named instants.

    ``groups`` maps a name to a function returning that group's processes now
    (new ones are picked up at each sample). A process that has ended keeps the
    last CPU time read from it, so a backend closed between two samples still
    counts (minus its last slice). ``samples[label]`` maps each group, and
    ``machine`` (everything on the computer, other work included), to seconds.
    """

    def __init__(self, groups: dict[str, Callable[[], list[psutil.Process]]]):
        self.groups = groups
        self.procs: dict[int, tuple[str, psutil.Process]] = {}
        self.last: dict[int, float] = {}
        self.samples: dict[str, dict[str, float]] = {}
        self.at: dict[str, float] = {}

    def sample(self, label: str) -> None:
        for name, find in self.groups.items():
            for proc in find():
                self.procs.setdefault(proc.pid, (name, proc))
        totals = dict.fromkeys(self.groups, 0.0)
        for pid, (name, proc) in self.procs.items():
            try:
                times = proc.cpu_times()
                self.last[pid] = times.user + times.system
            except psutil.Error:
                pass
            totals[name] += self.last.get(pid, 0.0)
        totals["machine"] = machine_busy_seconds()
        self.samples[label] = totals
        self.at[label] = time.time()

    def between(self, first: str, last: str) -> dict[str, float]:
        """Seconds per group (and wall seconds) from sample ``first`` to ``last``."""
        a, b = self.samples[first], self.samples[last]
        spent = {name: round(b[name] - a[name], 2) for name in b}
        spent["wall"] = round(self.at[last] - self.at[first], 2)
        return spent


# --- results ------------------------------------------------------------------------


def read_stats(prefix: Path) -> tuple[dict, list[dict]]:
    """Locust's CSV summary: per-name numbers (and ``Aggregated``), and failures."""
    endpoints = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            endpoints[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "max_ms": round(float(row["Max Response Time"] or 0), 1),
                "mean_ms": round(float(row["Average Response Time"] or 0), 1),
            }
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with path.open(encoding="utf-8") as f:
            failures = [
                {
                    "name": r["Name"],
                    "error": r["Error"][:600],
                    "count": int(r["Occurrences"]),
                }
                for r in csv.DictReader(f)
            ]
    return endpoints, failures


def record(result: dict, *, json_name: str, section: str, begin: str, end: str) -> None:
    """Write ``result`` to results/<json_name> and put ``section`` between the
    ``begin``/``end`` markers of results.md (appended the first time)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / json_name).write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    md = RESULTS / "results.md"
    text = md.read_text(encoding="utf-8") if md.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    md.write_text(text, encoding="utf-8")
