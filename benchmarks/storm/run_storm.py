"""The exam storm: hundreds of learners start one exam in the same second.

    make bench-storm                       # 300 learners, ~3 minutes of autosave
    .venv/bin/python benchmarks/storm/run_storm.py --users 50 --autosave-seconds 30

What it does, and undoes:

1. creates a fresh PostgreSQL database (``test_storm`` next to ``DATABASE_URL``),
   migrates it with the production settings, collects static files if needed;
2. seeds a 300-question bank, one exam of 20 drawn questions (questions and options
   shuffled) and ``--users`` learners sharing one password;
3. starts gunicorn (``-w 4 --threads 4`` on 127.0.0.1:8011) with
   ``cms.settings.prod``, Redis db 5 for cache and sessions, plain HTTP on loopback
   (``SECURE_SSL_REDIRECT=0``, ``SECURE_COOKIES=0``);
4. runs headless locust (benchmarks/storm/locustfile.py): learners sign in through
   /accounts/login/, staggered; at one instant all POST start; each autosaves an
   answer every 5–10 s; all submit in the last ``--submit-window`` seconds before
   the exam closes;
5. records p50/p95/p99 per endpoint, errors, requests, and the CPU time gunicorn
   (and PostgreSQL's backends for this database) spent per request in each phase
   — sampled every 0.5 s by loadkit.CpuMeter, so backends that open and close
   inside a phase count — with the load average at the start and end, checks the
   database (every attempt submitted once), writes
   benchmarks/results/exam_storm.json and its section of results.md;
6. stops gunicorn and drops the database (``--keep-db`` keeps it).

The database, server, locust, CPU and results machinery is benchmarks/loadkit.py,
shared with the mixed load (benchmarks/load/run_mixed.py).

Targets: zero errors, start p95 ≤ 3 s, autosave p95 ≤ 300 ms. The machine is
shared by the load generator and the server: read CPU numbers with that in mind.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "storm-pass-2026"  # noqa: S105 - throwaway accounts in a throwaway db
TARGETS = {"errors": 0, "start_p95_ms": 3000, "answer_p95_ms": 300}
SECTION_BEGIN = "<!-- exam-storm:begin -->"
SECTION_END = "<!-- exam-storm:end -->"

sys.path.insert(0, str(ROOT))

from benchmarks import loadkit  # noqa: E402 - needs ROOT on the path


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--autosave-seconds", type=int, default=180)
    p.add_argument("--save-every", type=float, nargs=2, default=(5.0, 10.0))
    p.add_argument("--submit-window", type=float, default=10.0)
    p.add_argument(
        "--login-gap",
        type=float,
        default=0.5,
        help="seconds between two sign-ins (a PBKDF2 check costs ~0.5 s of CPU, "
        "so sign-ins faster than ~3 a second queue up on two cores)",
    )
    loadkit.server_args_add(
        p, port=8011, db="test_storm", redis_url="redis://127.0.0.1:6379/5"
    )
    return p.parse_args()


# --- environment ------------------------------------------------------------------


def server_environment(args, db_url: str) -> dict[str, str]:
    return loadkit.server_environment(db_url=db_url, redis_url=args.redis_url)


# --- seeding (in this process, production settings) --------------------------------


def seed(users: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.cache import cache

    from benchmarks.bench_exam import build_bank, build_exam

    cache.clear()  # Redis db of the storm: old sessions and rate-limit counters
    subjects = build_bank()
    quiz = build_exam(subjects, time_limit_minutes=60, title="全员统一考试（压力测试）")
    User = get_user_model()
    hashed = make_password(PASSWORD)  # one PBKDF2 run, shared by every account
    User.objects.bulk_create(
        [
            User(username=f"storm{i:04d}", full_name=f"考生{i:04d}", password=hashed)
            for i in range(users)
        ]
    )
    return {
        "quiz_pk": quiz.pk,
        "quiz": str(quiz.public_id),
        "usernames": [f"storm{i:04d}" for i in range(users)],
    }


def exam_schedule(quiz_pk: int, *, open_at: float, close_at: float) -> None:
    from datetime import UTC, datetime

    from django.db import connection

    from assessments.models import Quiz

    Quiz.objects.filter(pk=quiz_pk).update(
        open_at=datetime.fromtimestamp(open_at, UTC),
        close_at=datetime.fromtimestamp(close_at, UTC),
    )
    connection.close()


def database_check(quiz_pk: int) -> dict:
    from django.db import connection
    from django.db.models import Count, Q

    from assessments.models import Attempt, AttemptItem, GradeChange

    attempts = Attempt.objects.filter(quiz_id=quiz_pk)
    summary = attempts.aggregate(
        attempts=Count("pk"),
        finished=Count("pk", filter=Q(status=Attempt.Status.FINISHED)),
        in_progress=Count("pk", filter=Q(status=Attempt.Status.IN_PROGRESS)),
        by_learner=Count("pk", filter=Q(closed_by=Attempt.ClosedBy.LEARNER)),
        by_timeout=Count("pk", filter=Q(closed_by=Attempt.ClosedBy.TIMEOUT)),
        learners=Count("user_id", distinct=True),
    )
    summary["answered_items"] = AttemptItem.objects.filter(
        attempt__quiz_id=quiz_pk, seq__gt=0
    ).count()
    summary["grade_changes"] = GradeChange.objects.count()
    connection.close()
    return summary


# --- results ------------------------------------------------------------------------


PHASES = {
    # phase: (first sample, last sample, endpoints whose requests fall in it)
    "sign_in": ("login_at", "storm_at", ("login page", "login", "quiz page")),
    "start_and_autosave": (
        "storm_at",
        "autosave_until",
        ("start", "attempt page", "answer"),
    ),
    "submit": ("autosave_until", "end", ("submit",)),
}


def phase_cpu(meter: loadkit.CpuMeter, endpoints: dict) -> dict:
    phases = {}
    for phase, (first, last, names) in PHASES.items():
        if first not in meter.samples or last not in meter.samples:
            continue
        requests = sum(endpoints.get(n, {}).get("requests", 0) for n in names)
        spent = meter.between(first, last)
        app, db = spent["gunicorn"], spent["postgres"]
        boundary = meter.boundary_only_between(first, last)
        phases[phase] = {
            "requests": requests,
            "gunicorn_cpu_s": round(app, 2),
            "postgres_cpu_s": round(db, 2),
            "gunicorn_cpu_ms_per_request": round(app * 1000 / requests, 2)
            if requests
            else None,
            "postgres_cpu_ms_per_request": round(db * 1000 / requests, 2)
            if requests
            else None,
            "wall_s": spent["wall"],
            "locust_cpu_s": spent["locust"],
            # The rest of the PostgreSQL cluster: postmaster, checkpointer, WAL
            # writer, and other databases' backends (other work on the machine).
            "postgres_other_cpu_s": spent["postgres_other"],
            "machine_cpu_s": spent["machine"],
            # The same run read at the phase boundaries alone (the old meter).
            "boundary_only": {
                "gunicorn_cpu_s": boundary["gunicorn"],
                "postgres_cpu_s": boundary["postgres"],
            },
            # What sampling missed (processes ended between two samples), from
            # the kernel's children times: see loadkit.CpuMeter.
            "sampling_check": meter.check_between(first, last),
        }
    return phases


def markdown(result: dict) -> str:
    lines = [
        SECTION_BEGIN,
        "## Exam storm",
        "",
        f"{result['when']}: {result['users']} learners, one exam of "
        f"{result['exam_questions']} questions drawn from a {result['bank_questions']}-"
        f"question bank; gunicorn {result['server']} with cms.settings.prod, "
        "PostgreSQL, Redis sessions; locust on the same "
        f"{result['cpus']}-core machine. "
        f"Autosave {result['autosave_seconds']} s, one answer every "
        f"{result['save_every_s'][0]:g}–{result['save_every_s'][1]:g} s per learner; "
        f"submits in the last {result['submit_window_s']:g} s. "
        f"Load average at the start {result['load_average_start']}, at the end "
        f"{result['load_average_end']}; busiest other processes at the start: "
        f"{'; '.join(result['busy_processes_at_start']) or 'none above 5 % CPU'}. "
        f"Command: `{result['command']}`.",
        "",
        "| endpoint | requests | failures | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in result["endpoints"].items():
        lines.append(
            f"| {name} | {s['requests']} | {s['failures']} | {s['p50_ms']:g} | "
            f"{s['p95_ms']:g} | {s['p99_ms']:g} | {s['max_ms']:g} |"
        )
    lines += [
        "",
        "| phase | wall s | requests | gunicorn CPU s | PostgreSQL CPU s | "
        "gunicorn CPU ms/request | PostgreSQL CPU ms/request | PostgreSQL CPU s "
        "read at the boundaries only | locust CPU s | machine CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase, p in result["cpu"].items():
        lines.append(
            f"| {phase} | {p['wall_s']:g} | {p['requests']} | "
            f"{p['gunicorn_cpu_s']:g} | {p['postgres_cpu_s']:g} | "
            f"{p['gunicorn_cpu_ms_per_request']} | "
            f"{p['postgres_cpu_ms_per_request']} | "
            f"{p['boundary_only']['postgres_cpu_s']:g} | {p['locust_cpu_s']:g} | "
            f"{p['machine_cpu_s']:g} |"
        )
    lines += ["", loadkit.sampling_note(result["cpu_sampling"], result["cpu"])]
    checks = result["checks"]
    lines += [
        "",
        f"Errors: {result['errors']} of {result['total_requests']} requests. "
        f"Database afterwards: {checks['attempts']} attempts for {checks['learners']} "
        f"learners, {checks['finished']} finished ({checks['by_learner']} submitted, "
        f"{checks['by_timeout']} timed out), {checks['in_progress']} still open, "
        f"{checks['answered_items']} answers saved. The start burst came "
        f"{result['storm_delay_s']} s after its planned instant with "
        f"{result['signed_in_at_storm']} learners signed in.",
        f"Targets (zero errors, start p95 ≤ {TARGETS['start_p95_ms']} ms, autosave p95 "
        f"≤ {TARGETS['answer_p95_ms']} ms): "
        + ("**met**" if result["meets_targets"] else "**missed**"),
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def record(result: dict) -> None:
    loadkit.record(
        result,
        json_name="exam_storm.json",
        section=markdown(result),
        begin=SECTION_BEGIN,
        end=SECTION_END,
    )


# --- the run ------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    load_start = loadkit.load_average()
    busy_start = loadkit.busy_processes()
    db_url = loadkit.pg_database_url(args.db, purpose="storm")
    env = server_environment(args, db_url)
    loadkit.redis_check(args.redis_url, purpose="storm")
    work = Path(tempfile.mkdtemp(prefix="exam-storm-"))
    print(f"storm: fresh database {args.db}, logs in {work}")
    loadkit.database_recreate(db_url, args.db)
    gunicorn = locust = meter = None
    try:
        loadkit.manage(env, "migrate", "--noinput", "-v", "0")
        loadkit.static_files_ensure(env)
        os.environ.update(env)
        started = time.time()
        seeded = seed(args.users)
        took = time.time() - started
        print(f"storm: bank, exam and {args.users} learners in {took:.0f} s")

        gunicorn = loadkit.gunicorn_start(
            env,
            workers=args.workers,
            threads=args.threads,
            port=args.port,
            log=work / "gunicorn.log",
        )
        host = f"http://127.0.0.1:{args.port}"
        loadkit.wait_for(f"{host}/healthz")
        meter = loadkit.CpuMeter(
            {
                "gunicorn": loadkit.process_tree(gunicorn.pid),
                "postgres": loadkit.postgres_backends(args.db),
                "postgres_other": loadkit.postgres_backends(None),
                "locust": loadkit.process_tree(lambda: locust and locust.pid),
            }
        )
        meter.sample("start")

        # The timeline, in wall-clock seconds (locust reads it from the plan).
        login_at = time.time() + 5
        storm_at = login_at + args.users * args.login_gap + 10
        autosave_until = storm_at + args.autosave_seconds
        close_at = autosave_until + args.submit_window + 5
        exam_schedule(seeded["quiz_pk"], open_at=storm_at - 1, close_at=close_at)
        plan = {
            "quiz": seeded["quiz"],
            "usernames": seeded["usernames"],
            "password": PASSWORD,
            "login_at": login_at,
            "login_gap": args.login_gap,
            "storm_at": storm_at,
            "autosave_until": autosave_until,
            "save_every": list(args.save_every),
            "close_at": close_at,
            "submit_window": args.submit_window,
        }
        plan_path = work / "plan.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        run_time = int(close_at - time.time()) + 60
        print(
            f"storm: {args.users} sign-ins over {args.users * args.login_gap:.0f} s, "
            f"start at +{storm_at - time.time():.0f} s, close at "
            f"+{close_at - time.time():.0f} s"
        )
        locust = loadkit.locust_start(
            ROOT / "benchmarks" / "storm" / "locustfile.py",
            users=args.users,
            spawn_rate=args.users,
            run_time_s=run_time,
            host=host,
            csv_prefix=work / "storm",
            env={**os.environ, "STORM_PLAN": str(plan_path)},
        )
        for label, at in (
            ("login_at", login_at),
            ("storm_at", storm_at),
            ("autosave_until", autosave_until),
        ):
            while time.time() < at and locust.poll() is None:
                time.sleep(min(0.05, max(at - time.time(), 0)))
            meter.sample(label)
        locust.wait()
        meter.sample("end")
        meter.stop()
        locust_cpu = meter.between("start", "autosave_until")["locust"]

        endpoints, failures = loadkit.read_stats(work / "storm")
        aggregated = endpoints.pop("Aggregated", {})
        checks = database_check(seeded["quiz_pk"])
        fired_path = work / "fired.json"
        fired = json.loads(fired_path.read_text()) if fired_path.exists() else {}
        errors = sum(s["failures"] for s in endpoints.values())
        result = {
            "benchmark": "exam_storm",
            "database": "postgresql",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "command": " ".join(
                ["make bench-storm"] if args.users == 300 else sys.argv
            ),
            "load_average_start": load_start,
            "load_average_end": loadkit.load_average(),
            "busy_processes_at_start": busy_start,
            "users": args.users,
            "bank_questions": 300,
            "exam_questions": 20,
            "server": f"-w {args.workers} --threads {args.threads}",
            "autosave_seconds": args.autosave_seconds,
            "save_every_s": list(args.save_every),
            "submit_window_s": args.submit_window,
            # Seconds the start burst waited past its planned instant for the
            # last sign-ins, and how many learners were signed in when it came.
            "storm_delay_s": round(fired.get("delay_s", -1), 2),
            "signed_in_at_storm": fired.get("ready"),
            "endpoints": endpoints,
            "total_requests": aggregated.get("requests", 0),
            "errors": errors,
            "failures": failures,
            "cpu": phase_cpu(meter, endpoints),
            "cpu_sample_interval_s": meter.interval,
            "cpu_sampling": meter.summary(),
            "locust_cpu_s_until_submit_phase": round(locust_cpu, 1),
            "checks": checks,
            "targets": TARGETS,
        }
        result["meets_targets"] = (
            errors == TARGETS["errors"]
            and endpoints.get("start", {}).get("p95_ms", 1e9) <= TARGETS["start_p95_ms"]
            and endpoints.get("answer", {}).get("p95_ms", 1e9)
            <= TARGETS["answer_p95_ms"]
            and checks["in_progress"] == 0
            and checks["attempts"] == checks["learners"] == args.users
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
        if not args.no_record:
            record(result)
            written = loadkit.RESULTS / "exam_storm.json"
            print(f"storm: written {written} and results.md")
        return 0 if result["meets_targets"] else 1
    finally:
        if meter is not None:
            meter.stop()
        loadkit.processes_stop((locust, gunicorn))
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            loadkit.database_recreate(db_url, args.db, create=False)


if __name__ == "__main__":
    sys.exit(main())
