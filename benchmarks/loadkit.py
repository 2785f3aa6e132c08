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
import threading
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
#
# Server CPU is sampled continuously, not read at phase boundaries: a PostgreSQL
# backend (or a task worker's job process) that starts and ends inside a phase is
# invisible to a reading taken only at its start and end. The storm's
# start-and-autosave phase read 2.7-3.4 PostgreSQL CPU seconds that way where a
# sampler every 0.5 s saw 11-12.7: with DB_CONN_MAX_AGE=60 every gunicorn thread
# replaces its connection each minute, so nearly every backend of a 3-minute phase
# was born and gone between two boundary readings.

SAMPLE_INTERVAL_S = 0.5
POSTGRES_NAMES = frozenset({"postgres", "postmaster"})

Key = tuple[int, float]  # (pid, create time): a reused pid is another process


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle, summed over cores."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


class ProcessScan:
    """One pass over the process table: every process's parent, name and CPU
    times (one read of /proc/<pid>/stat each), and who its children are."""

    def __init__(self) -> None:
        self.procs: dict[int, psutil.Process] = {}
        self.key: dict[int, Key] = {}
        self.ppid: dict[int, int] = {}
        self.name: dict[int, str] = {}
        self.own: dict[int, float] = {}  # user + system of the process itself
        self.reaped: dict[int, float] = {}  # of its children it has waited for
        self.children: dict[int, list[int]] = {}
        for proc in psutil.process_iter(["ppid", "name", "cpu_times"]):
            info = proc.info
            times = info["cpu_times"]
            if times is None or info["ppid"] is None:
                continue  # not readable (gone, or another user's and hidden)
            try:
                created = proc.create_time()  # cached by psutil per process
            except psutil.Error:
                continue
            pid = proc.pid
            self.procs[pid] = proc
            self.key[pid] = (pid, created)
            self.ppid[pid] = info["ppid"]
            self.name[pid] = info["name"] or ""
            self.own[pid] = times.user + times.system
            self.reaped[pid] = times.children_user + times.children_system
        for pid, ppid in self.ppid.items():
            self.children.setdefault(ppid, []).append(pid)

    def tree(self, pid: int) -> list[int]:
        """``pid`` and all its descendants that are running now."""
        if pid not in self.key:
            return []
        found, todo = [], [pid]
        while todo:
            current = todo.pop()
            found.append(current)
            todo.extend(self.children.get(current, ()))
        return found

    def cmdline(self, pid: int) -> str:
        try:
            return " ".join(self.procs[pid].cmdline())
        except (psutil.Error, KeyError):
            return ""


class ProcessTree:
    """Finder for a process we started and all its descendants (gunicorn's master
    and workers; the task worker and the job processes it forks; locust).
    ``pid`` may be a function, for a process started after the meter."""

    family = None  # its own group: every member's children are members too

    def __init__(self, pid: int | Callable[[], int | None]):
        self.pid = pid
        self.root: Key | None = None  # the root as first seen: its pid may be reused

    def __call__(self, scan: ProcessScan) -> list[int]:
        pid = self.pid() if callable(self.pid) else self.pid
        if not pid or pid not in scan.key:
            return []
        if self.root is None:
            self.root = scan.key[pid]
        return scan.tree(pid) if scan.key[pid] == self.root else []


def _postgres_title(title: str) -> tuple[str, str | int] | None:
    """What a PostgreSQL server process is, from its process title:
    ``("db", name)`` (a session backend, an autovacuum worker), ``("leader",
    pid)`` (a parallel worker), ``("shared", "")`` (checkpointer, WAL writer and
    the like), or None while a fresh backend still shows the postmaster's argv."""
    if not title.startswith("postgres: "):
        return None
    words = title[len("postgres: ") :].split()
    if words and words[0].endswith(":"):  # "15/main:", the cluster_name
        words = words[1:]
    if words[:3] == ["parallel", "worker", "for"]:
        if len(words) > 4 and words[4].isdigit():
            return ("leader", int(words[4]))
        return None
    if words[:2] == ["autovacuum", "worker"]:
        return ("db", words[2]) if len(words) > 2 else None
    if words and words[0] == "walsender":
        return ("shared", "")
    # "user database host(port) activity" (or "[local]" for a Unix socket)
    if len(words) >= 3 and (words[2].endswith(")") or words[2] == "[local]"):
        return ("db", words[1])
    return ("shared", "")


class PostgresProcesses:
    """Finder for PostgreSQL processes, found as children of the postmaster
    (a process named postgres whose parent is not): with ``db_name``, the
    backends serving that database, its autovacuum workers and the parallel
    workers of those backends; with None, the postmaster and every child of it
    (checkpointer, WAL writer, other databases' backends) — give that group after
    the database's, so it takes only the rest."""

    family = "postgres_cluster"
    _kinds: dict[Key, tuple[str, str | int]] = {}  # titles, read once per process

    def __init__(self, db_name: str | None):
        self.db_name = db_name

    def kind(self, scan: ProcessScan, pid: int) -> tuple[str, str | int] | None:
        key = scan.key[pid]
        kind = self._kinds.get(key)
        if kind is None:
            kind = _postgres_title(scan.cmdline(pid))
            if kind is None:
                return None  # not titled yet: look again at the next sample
            self._kinds[key] = kind
        if kind[0] == "leader":
            leader = kind[1]
            if leader not in scan.key:
                return None
            return self.kind(scan, leader) if leader != pid else None
        return kind

    def __call__(self, scan: ProcessScan) -> list[int]:
        found = []
        for pid, name in scan.name.items():
            if name not in POSTGRES_NAMES:
                continue
            if scan.name.get(scan.ppid[pid]) in POSTGRES_NAMES:
                continue  # a child; the postmaster is the one whose parent is not
            if self.db_name is None:
                found.append(pid)
            for child in scan.children.get(pid, ()):
                # Not before its title says what it is: the database's group
                # would never get it back from this one.
                kind = self.kind(scan, child)
                if kind is not None and (
                    self.db_name is None or kind == ("db", self.db_name)
                ):
                    found.append(child)
        return found


def process_tree(pid: int | Callable[[], int | None]) -> ProcessTree:
    return ProcessTree(pid)


def postgres_backends(db_name: str | None) -> PostgresProcesses:
    return PostgresProcesses(db_name)


class _Seen:
    """What the meter knows of one process: its group, the last CPU read from it
    (its own, and its waited-for children's), and whether it is still there."""

    __slots__ = ("alive", "group", "own", "parent_in_family", "reaped")

    def __init__(self, group: str):
        self.group = group
        self.own = self.reaped = 0.0
        self.alive = True
        self.parent_in_family = False


class CpuMeter:
    """CPU seconds of named groups of processes, sampled continuously.

    ``groups`` maps a name to a finder (``process_tree(pid)``,
    ``postgres_backends(db)``, or any function of a ProcessScan returning pids). A
    background thread samples every ``interval`` seconds (0.5): it scans the
    process table, asks each finder for its processes — a process belongs to the
    first group that names it, for good — and keeps, per process keyed by (pid,
    create time) so a reused pid is a new process, the last cumulative CPU
    (user + system) read from it. ``sample(label)`` takes one more sample at
    that instant and records each group's total of those last-seen values, so
    between two labels a group's CPU is the sum over its processes of (last seen
    by the second label − last seen by the first, or 0 if it was born between):
    backends that open and close inside a phase count. ``machine`` is the whole
    computer (other work included), read from the kernel's own totals.

    Limits: a process that ends between two samples loses what it used since its
    last sample — at most one sample interval of CPU per core it ran on (the
    longest gap between samples is recorded: under heavy load it stretches) —
    and one born and ended between two samples is missed (it used at most that
    much). Many short-lived processes add up: rq forks one per job, so a task
    worker's sampled figure can be well under its ``exact`` one.
    ``checks`` measures that loss where the kernel allows: a parent that waits
    for its children adds their final CPU to its children times, so for a family
    of processes whose parents are in it too (a process tree; the postmaster with
    every child of it) ``exact`` is the sum over live members of own + children
    CPU, which no death between samples escapes. ``boundary_only`` is what a
    reading at the labels alone (the old meter) would have said.
    """

    def __init__(
        self,
        groups: dict[str, Callable[[ProcessScan], Iterable[int]]],
        *,
        interval: float = SAMPLE_INTERVAL_S,
        scan: Callable[[], ProcessScan] = ProcessScan,
        start: bool = True,
    ):
        self.groups = groups
        self.interval = interval
        self.scan = scan
        self.families = {
            name: getattr(find, "family", None) or name for name, find in groups.items()
        }
        self.seen: dict[Key, _Seen] = {}
        self.samples: dict[str, dict[str, float]] = {}
        self.at: dict[str, float] = {}
        self.checks: dict[str, dict[str, float]] = {}
        self.boundary_only: dict[str, dict[str, float]] = {}
        self._at_labels: dict[Key, float] = {}  # last CPU read at a label
        self.count = 0
        self.max_gap_s = 0.0
        self.own_cpu_s = 0.0
        self.errors = 0
        self.loads: list[float] = []
        self._last_pass: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu", daemon=True)
        if start:
            self._pass()
            self._thread.start()

    def _run(self) -> None:
        due = time.monotonic() + self.interval
        while not self._stop.wait(max(0.0, due - time.monotonic())):
            try:
                self._pass()
            except Exception as exc:  # keep sampling; the count goes in the record
                self.errors += 1
                if self.errors == 1:
                    print(f"cpu sampler: {exc!r}", file=sys.stderr)
            due = max(due + self.interval, time.monotonic())

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _pass(self, label: str | None = None) -> None:
        with self._lock:
            cpu_from = time.thread_time()
            now = time.monotonic()
            if self._last_pass is not None:
                self.max_gap_s = max(self.max_gap_s, now - self._last_pass)
            self._last_pass = now
            scan = self.scan()
            present: dict[Key, int] = {}
            for name, find in self.groups.items():
                for pid in find(scan):
                    key = scan.key[pid]
                    seen = self.seen.get(key)
                    if seen is None:
                        seen = self.seen[key] = _Seen(name)
                    if seen.group == name and key not in present:
                        present[key] = pid
            for key, seen in self.seen.items():
                pid = present.get(key)
                seen.alive = pid is not None
                if pid is None:
                    continue  # gone (or no longer found): keeps its last reading
                seen.own = scan.own[pid]
                seen.reaped = scan.reaped[pid]
                parent = self.seen.get(scan.key.get(scan.ppid[pid], (0, 0.0)))
                seen.parent_in_family = (
                    parent is not None
                    and self.families[parent.group] == self.families[seen.group]
                )
            self.count += 1
            self.loads.append(os.getloadavg()[0])
            if label is not None:
                self._record(label, present)
            self.own_cpu_s += time.thread_time() - cpu_from

    def _record(self, label: str, present: dict[Key, int]) -> None:
        totals = dict.fromkeys(self.groups, 0.0)
        exact = dict.fromkeys(self.families.values(), 0.0)
        for key, seen in self.seen.items():
            totals[seen.group] += seen.own
            if key in present:
                self._at_labels[key] = seen.own
            # A member whose parent is in its family and waits for it shows up in
            # that parent's children times once it has ended: count it there.
            if seen.alive or not seen.parent_in_family:
                exact[self.families[seen.group]] += seen.own + seen.reaped
        boundary = dict.fromkeys(self.groups, 0.0)
        for key, own in self._at_labels.items():
            boundary[self.seen[key].group] += own
        totals["machine"] = machine_busy_seconds()
        self.samples[label] = totals
        self.checks[label] = exact
        self.boundary_only[label] = boundary
        self.at[label] = time.time()

    def sample(self, label: str) -> None:
        """Sample now and keep each group's total under ``label``."""
        self._pass(label)

    def between(self, first: str, last: str) -> dict[str, float]:
        """Seconds per group (and wall seconds) from sample ``first`` to ``last``."""
        a, b = self.samples[first], self.samples[last]
        spent = {name: round(b[name] - a[name], 2) for name in b}
        spent["wall"] = round(self.at[last] - self.at[first], 2)
        return spent

    def boundary_only_between(self, first: str, last: str) -> dict[str, float]:
        """What reading the processes found at the labels alone would have said."""
        a, b = self.boundary_only[first], self.boundary_only[last]
        return {name: round(b[name] - a[name], 2) for name in b}

    def check_between(self, first: str, last: str) -> dict[str, dict[str, float]]:
        """Per family: CPU ``sampled`` (the groups' figures), ``exact`` from the
        kernel's children times, and ``missed`` by sampling (exact − sampled)."""
        spent = self.between(first, last)
        a, b = self.checks[first], self.checks[last]
        found = {}
        for family in a:
            sampled = sum(
                spent[name] for name, fam in self.families.items() if fam == family
            )
            exact = b[family] - a[family]
            found[family] = {
                "sampled": round(sampled, 2),
                "exact": round(exact, 2),
                "missed": round(exact - sampled, 2) + 0.0,  # not -0.0
            }
        return found

    def summary(self) -> dict:
        """How the sampling went, for the record."""
        loads = self.loads or [0.0]
        return {
            "interval_s": self.interval,
            "samples": self.count,
            "longest_gap_s": round(self.max_gap_s, 2),
            "sampler_cpu_s": round(self.own_cpu_s, 2),
            "errors": self.errors,
            "load_average_1min_while_sampling": {
                "min": round(min(loads), 2),
                "mean": round(sum(loads) / len(loads), 2),
                "max": round(max(loads), 2),
            },
        }


def sampling_note(sampling: dict, phases: dict[str, dict]) -> str:
    """A results.md sentence on how CPU was sampled, what reading the phase
    boundaries alone would have said of PostgreSQL, and what sampling missed."""
    load = sampling["load_average_1min_while_sampling"]
    boundary, missed = [], []
    for phase, p in phases.items():
        old = p["boundary_only"]
        boundary.append(f"{phase} {old.get('postgres_cpu_s', old.get('postgres'))}")
        lost = [
            f"{family} {check['missed']:g}"
            for family, check in p["sampling_check"].items()
            if family != "locust"
        ]
        missed.append(f"{phase}: {', '.join(lost)}")
    return (
        f"CPU sampled every {sampling['interval_s']:g} s, continuously "
        f"(`loadkit.CpuMeter`: {sampling['samples']} samples, longest gap "
        f"{sampling['longest_gap_s']:g} s, the sampler's own CPU "
        f"{sampling['sampler_cpu_s']:g} s; 1-minute load average while sampling "
        f"{load['min']:g}–{load['max']:g}, mean {load['mean']:g}). Read only at "
        "the phase boundaries (as the storm's old meter did), PostgreSQL would "
        "have been "
        f"{'; '.join(boundary)} CPU s. CPU that sampling missed (processes ended "
        "between two samples, from the kernel's children times; "
        "`postgres_cluster` is every PostgreSQL process, other databases' too): "
        f"{'; '.join(missed)} s."
    )


def self_check(database_url: str | None = None) -> list[str]:
    """Check the meter; returns what is wrong (nothing: all good).

    1. Bookkeeping on made-up scans: a reused pid is a new process; a process
       born inside a phase counts from 0; one that ended keeps its last reading;
       a child ended between samples shows in ``exact`` through its parent.
    2. Live: a parent forks three children, one after another, each burning
       ~1 s of CPU and ending inside the phase; sampling must see most of it, a
       boundary-only reading none of it.
    3. With ``database_url`` (PostgreSQL): a connection opened and closed inside
       the phase after ~0.5 s of query CPU must count for its database.
    """
    problems: list[str] = []

    class FakeScan(ProcessScan):
        def __init__(self, rows):  # rows: (pid, created, ppid, own, reaped)
            self.procs, self.name = {}, {}
            self.key = {r[0]: (r[0], r[1]) for r in rows}
            self.ppid = {r[0]: r[2] for r in rows}
            self.own = {r[0]: r[3] for r in rows}
            self.reaped = {r[0]: r[4] for r in rows}
            self.children = {}
            for pid, ppid in self.ppid.items():
                self.children.setdefault(ppid, []).append(pid)

    scans = iter(
        [
            # label a: root 1 and child 100 (born at t=1.0) with 5 s
            [(1, 0.0, 0, 1.0, 0.0), (100, 1.0, 1, 5.0, 0.0)],
            # 100 ended (reaped by 1: 6 s); a new 100 (born at t=2.0) and 101
            [(1, 0.0, 0, 1.0, 6.0), (100, 2.0, 1, 1.0, 0.0), (101, 2.5, 1, 0.5, 0.0)],
            # label b: the new 100 at 3 s; 101 ended at 0.8 s unseen; 102 never seen
            [(1, 0.0, 0, 1.2, 6.0 + 0.8 + 0.4), (100, 2.0, 1, 3.0, 0.0)],
        ]
    )
    fake = CpuMeter(
        {"tree": process_tree(1)}, scan=lambda: FakeScan(next(scans)), start=False
    )
    fake.sample("a")
    fake._pass()
    fake.sample("b")
    spent = fake.between("a", "b")["tree"]
    # Sampled: root +0.2, the first 100 +0 (last seen at 5 s), the second 100 +3
    # (born in the phase), 101 +0.5 (last seen): 3.7. Exact: root own + children
    # 8.4 and the second 100 at 3, minus 6 at label a: 5.4 (the first 100's last
    # second, all of 101 and 102 included). Boundary-only: 1.2 + 3 + 5 − 6 = 3.2;
    # keyed by pid alone the second 100 would replace the first: −1.8.
    expected = {"sampled": 3.7, "exact": 5.4, "boundary-only": 3.2}
    got = {
        "sampled": spent,
        "exact": fake.check_between("a", "b")["tree"]["exact"],
        "boundary-only": fake.boundary_only_between("a", "b")["tree"],
    }
    for what, value in expected.items():
        if abs(got[what] - value) > 1e-6:
            problems.append(f"bookkeeping: {what} {got[what]}, expected {value}")

    code = (
        "import os, sys, time\n"
        "def burn(s):\n"
        "    end = time.process_time() + s\n"
        "    while time.process_time() < end: pass\n"
        "for _ in range(3):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        burn(1.0); os._exit(0)\n"
        "    os.waitpid(pid, 0)\n"
        "print('done', flush=True)\n"
        "sys.stdin.read()\n"
    )
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    groups: dict = {"children": process_tree(parent.pid)}
    db_name = None
    if database_url:
        db_name = database_url.rsplit("/", 1)[1]
        groups["postgres"] = postgres_backends(db_name)
        groups["postgres_other"] = postgres_backends(None)
    meter = CpuMeter(groups)
    try:
        meter.sample("a")
        backend_cpu = 0.0
        if database_url:
            backend_cpu = _burn_in_postgres(database_url)
        parent.stdout.readline()  # "done": every child has ended
        meter.sample("b")
    finally:
        meter.stop()
        parent.communicate("")
    spent = meter.between("a", "b")
    check = meter.check_between("a", "b")["children"]
    boundary = meter.boundary_only_between("a", "b")
    if check["exact"] < 2.7:
        problems.append(f"live: exact {check['exact']} for 3 × 1 s children")
    # Each child may lose what it used after its last sample: one gap of one core.
    if spent["children"] < check["exact"] - 3 * max(meter.max_gap_s, 0.5) - 0.1:
        problems.append(f"live: sampled {spent['children']} of {check['exact']}")
    if boundary["children"] > 0.3:
        problems.append(f"live: boundary-only {boundary['children']} (expected ~0)")
    if database_url:
        # The backend idled after its work, so a sample saw all of it.
        if spent["postgres"] < backend_cpu - 0.05:
            problems.append(
                f"postgres: sampled {spent['postgres']} s for {db_name}, "
                f"its closed backend alone used {backend_cpu:.2f} s"
            )
        cluster = meter.check_between("a", "b")["postgres_cluster"]
        if cluster["exact"] < backend_cpu - 0.05:
            problems.append(f"postgres: cluster check {cluster}")
    print(
        f"self-check: sampled {spent}, exact {meter.check_between('a', 'b')}, "
        f"boundary-only {boundary}, sampling {meter.summary()}"
    )
    return problems


def _burn_in_postgres(url: str) -> float:
    """Open a connection, spend ~0.5 s of the backend's CPU, read that CPU from
    /proc, close it. Returns the backend's CPU seconds."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    ) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("SET max_parallel_workers_per_gather = 0")
        backend = psutil.Process(pid)
        cpu = 0.0
        while cpu < 0.5:
            conn.execute("SELECT count(*) FROM generate_series(1, 2000000)")
            times = backend.cpu_times()
            cpu = times.user + times.system
        time.sleep(2 * SAMPLE_INTERVAL_S)  # seen by the sampler at least once
        return cpu


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


if __name__ == "__main__":
    # .venv/bin/python benchmarks/loadkit.py [postgres://.../db]: the meter's
    # self-check (with a database URL, PostgreSQL backends too).
    failed = self_check(sys.argv[1] if len(sys.argv) > 1 else None)
    for problem in failed:
        print(f"FAILED: {problem}")
    print("self-check: " + ("FAILED" if failed else "ok"))
    sys.exit(1 if failed else 0)
