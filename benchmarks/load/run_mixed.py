"""Mixed load: learners, an exam storm, coordinators and leaders, all at once.

    make bench-mixed                                   # 150 users, 3 minutes
    .venv/bin/python benchmarks/load/run_mixed.py --users 60 --minutes 1 --no-record

What it does, and undoes (machinery shared with the exam storm: benchmarks/loadkit.py
and benchmarks/locustkit.py):

1. creates a fresh PostgreSQL database (``load_mixed`` next to ``DATABASE_URL``),
   migrates it with the production settings and seeds it with ``manage.py
   seed_scale --units 300 --people 30000 --recompute`` (a 5-level tree, a year of
   ledger entries, enrolments, attempts, compliance and roll-ups);
2. adds what the users need, on seed_scale's own people: one shared password for
   the chosen accounts (one PBKDF2 hash, one UPDATE); a published course of short
   video lessons; a 300-question bank and an exam of 20 drawn questions opening at
   the storm; coordinator grants on municipal procuratorates and leader grants on
   provincial and municipal ones, each with a TOTP authenticator (production asks
   them for a code at sign-in: locust computes it);
3. starts gunicorn (``-w 4 --threads 4`` on 127.0.0.1:8041) and one RQ task worker
   with ``cms.settings.prod``, Redis db 10 for cache, sessions and the task queue,
   plain HTTP on loopback;
4. runs headless locust (benchmarks/load/locustfile.py). Everyone signs in first,
   staggered (``--login-gap``); then for ``--minutes``: ~60 % learners open the
   catalogue, the course and its lessons and send a heartbeat every 30 s, browsing
   now and then; ~25 % sit the exam (all press start in the same second, autosave
   every 5–10 s, submit in the last seconds); ~10 % coordinators list and open
   people, open the roster page and assign a course to five people (find, preview,
   confirm, then watch the background run); ~5 % leaders open the dashboard, drill
   down two levels, list people, download the units XLSX and start one background
   people export each, which they watch and download;
5. records per endpoint (named by route) requests, throughput, p50/p95/p99 and
   failures (printed with their response bodies); CPU seconds of gunicorn, the
   database's PostgreSQL backends, the task worker and locust (sampled every
   0.5 s by loadkit.CpuMeter, so backends and job processes that start and end
   inside a phase count), and of the whole machine (so other work running at the
   same time shows); checks the database
   (attempts submitted, assignments and exports done, heartbeats credited) and the
   server log (no traceback); writes benchmarks/results/mixed_load.json and its
   section of results.md;
6. stops everything it started and drops the database (``--keep-db`` keeps it).

Target: zero errors. The two cores are shared by locust, gunicorn, the worker and
PostgreSQL (and whatever else runs): the load average at the start is recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import loadkit  # noqa: E402 - needs ROOT on the path

PASSWORD = "mixed-pass-2026"  # noqa: S105 - throwaway accounts in a throwaway db
SECTION_BEGIN = "<!-- mixed-load:begin -->"
SECTION_END = "<!-- mixed-load:end -->"
DEFAULT_COMMAND = "make bench-mixed"
# Share of users per role (150 users: 89 / 38 / 15 / 8).
MIX = {"learner": 0.60, "examinee": 0.25, "coordinator": 0.10, "leader": 0.05}
LESSONS = 2
VIDEO_SECONDS = 60  # short, so lessons and the course complete within the run
SIGN_IN_NAMES = ("login page", "login", "login 2fa page", "login 2fa")
# What each request name stands for (locust names requests by route, not by id).
ROUTES = {
    "login page": "GET /accounts/login/",
    "login": "POST /accounts/login/",
    "login 2fa page": "GET /accounts/2fa/authenticate/",
    "login 2fa": "POST /accounts/2fa/authenticate/",
    "learning": "GET /learning/",
    "catalogue": "GET /courses/",
    "course page": "GET /courses/<course>/",
    "enrol": "POST /learning/enrol/<course>",
    "lesson page": "GET /courses/<course>/<lesson>/",
    "beat": "POST /learning/progress/<lesson>/beat",
    "my record": "GET /me/",
    "exams": "GET /exams/",
    "quiz page": "GET /quizzes/<quiz>/",
    "start": "POST /quizzes/<quiz>/start",
    "attempt page": "GET /attempts/<attempt>/",
    "answer": "POST /attempts/<attempt>/answer",
    "submit": "POST /attempts/<attempt>/submit",
    "people list": "GET /people/",
    "person page": "GET /people/<person>/",
    "roster page": "GET /roster/",
    "assign page": "GET /assign/",
    "assign preview": "POST /assign/ (action=preview)",
    "assign confirm": "POST /assign/ (action=confirm)",
    "assign status page": "GET /assign/<assignment>/",
    "assign status.json": "GET /assign/<assignment>/status.json",
    "dashboard": "GET /reports/",
    "dashboard drill-down": "GET /reports/?unit=<unit>",
    "dashboard people": "GET /reports/people/?unit=<unit>&status=in_progress",
    "units.xlsx": "GET /reports/export/units.xlsx?unit=<unit>",
    "export new": "POST /reports/exports/new/ (kind=people)",
    "export page": "GET /reports/exports/<export>/",
    "export status.json": "GET /reports/exports/<export>/status.json",
    "export download": "GET /reports/exports/<export>/download/",
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--users", type=int, default=150)
    p.add_argument("--minutes", type=float, default=3.0, help="the mixed phase")
    p.add_argument("--units", type=int, default=300)
    p.add_argument("--people", type=int, default=30000)
    p.add_argument(
        "--login-gap",
        type=float,
        default=0.5,
        help="seconds between two sign-ins (a PBKDF2 check costs ~0.5 s of CPU)",
    )
    p.add_argument(
        "--storm-after",
        type=float,
        default=20.0,
        help="seconds into the mixed phase at which every examinee presses start",
    )
    p.add_argument("--beat-every", type=float, default=30.0)
    p.add_argument("--save-every", type=float, nargs=2, default=(5.0, 10.0))
    p.add_argument("--submit-window", type=float, default=10.0)
    loadkit.server_args_add(
        p, port=8041, db="load_mixed", redis_url="redis://127.0.0.1:6379/10"
    )
    return p.parse_args()


def role_counts(users: int) -> dict[str, int]:
    """Users per role, at least one of each, summing to ``users``."""
    counts = {role: max(1, round(users * share)) for role, share in MIX.items()}
    counts["learner"] += users - sum(counts.values())
    if min(counts.values()) < 1:
        sys.exit(f"--users {users} is too few for the mix {MIX}")
    return counts


# --- seeding (in this process, production settings) --------------------------------


def _course_with_videos():
    """A live course of ``LESSONS`` short video lessons in the catalogue."""
    from courses.models import CoursePage, LessonPage
    from courses.services import course_catalogue_ensure

    index = course_catalogue_ensure()
    course = CoursePage(
        title="检察官职业道德（压力测试）",
        slug="mixed-load-course",
        estimated_minutes=45,
        summary="忠诚、公正、清廉、文明：检察官职业道德基本准则导读。",
    )
    index.add_child(instance=course)
    course.save_revision().publish()
    video = {
        "type": "video",
        "value": {
            "video_file": None,
            "stream_url": "https://video.example/ethics.mp4",
            "duration_seconds": VIDEO_SECONDS,
            "poster": None,
            "caption": "",
        },
    }
    lessons = []
    for n in range(LESSONS):
        lesson = LessonPage(
            title=f"第{n + 1}讲", slug=f"lesson-{n + 1}", body=json.dumps([video])
        )
        CoursePage.objects.get(pk=course.pk).add_child(instance=lesson)
        lesson.save_revision().publish()
        lessons.append(lesson)
    course = CoursePage.objects.get(pk=course.pk)
    return course, [LessonPage.objects.get(pk=lesson.pk) for lesson in lessons]


def seed(counts: dict[str, int], *, seed_value: int = 2026) -> dict:
    """Accounts, grants, TOTP, the course and the exam, on seed_scale's people."""
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.cache import cache

    from benchmarks.bench_exam import build_bank, build_exam
    from courses.models import CoursePage
    from training.org.models import OrgUnit, Person, RoleGrant
    from training.org.services.roles import role_grant_create

    cache.clear()  # Redis db of this benchmark: old sessions and rate-limit counters
    rng = random.Random(seed_value)
    cities = list(
        OrgUnit.objects.filter(
            code__startswith="S-", level=OrgUnit.Level.MUNICIPAL
        ).order_by("path")
    )
    provinces = list(
        OrgUnit.objects.filter(
            code__startswith="S-", level=OrgUnit.Level.PROVINCIAL
        ).order_by("path")
    )
    staff = list(
        Person.objects.filter(employee_no__startswith="S-", is_active=True)
        .order_by("pk")
        .values_list("user_id", "user__username", "unit__path")
    )
    rng.shuffle(staff)
    pool = iter(staff)
    used: set[int] = set()
    accounts: dict[str, list[dict]] = {}
    for role in ("learner", "examinee"):
        accounts[role] = []
        for _ in range(counts[role]):
            user_id, username, _path = next(pool)
            used.add(user_id)
            accounts[role].append({"username": username})

    User = get_user_model()
    # Coordinators manage a municipal procuratorate (with its basic units); leaders
    # audit a province or a city, alternately. Each is someone working there.
    for role, n in (
        ("coordinator", counts["coordinator"]),
        ("leader", counts["leader"]),
    ):
        accounts[role] = []
        for i in range(n):
            if role == "leader" and i % 2 == 0:
                unit = provinces[(i // 2) % len(provinces)]
            else:
                unit = cities[(i * 7 + (role == "leader")) % len(cities)]
            user_id, username = _someone_in(staff, unit.path, exclude=used)
            used.add(user_id)
            secret = generate_totp_secret()
            user = User.objects.get(pk=user_id)
            role_grant_create(
                user=user,
                role=RoleGrant.Role.COORDINATOR
                if role == "coordinator"
                else RoleGrant.Role.LEADER,
                unit=unit,
            )
            TOTP.activate(user, secret)
            accounts[role].append(
                {
                    "username": username,
                    "totp": secret,
                    "unit": unit.pk,
                    "unit_level": unit.level,
                }
            )
    usernames = [a["username"] for role in accounts.values() for a in role]
    hashed = make_password(PASSWORD)  # one PBKDF2 run, shared by every account
    updated = User.objects.filter(username__in=usernames).update(password=hashed)
    if updated != len(usernames):
        raise RuntimeError(f"{updated} passwords set for {len(usernames)} accounts")

    course, lessons = _course_with_videos()
    subjects = build_bank()
    quiz = build_exam(subjects, time_limit_minutes=60, title="全员统一考试（混合负载）")
    assignable = list(
        CoursePage.objects.live()
        .filter(slug__startswith="s-course-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {
        "accounts": accounts,
        "course_url": course.url,
        "course_pk": course.pk,
        "lesson_urls": [lesson.url for lesson in lessons],
        "lesson_pks": [lesson.pk for lesson in lessons],
        "quiz_pk": quiz.pk,
        "quiz": str(quiz.public_id),
        "assignable_courses": assignable,
    }


def _someone_in(staff, path: str, *, exclude: set[int]) -> tuple[int, str]:
    for user_id, username, unit_path in staff:
        if unit_path.startswith(path) and user_id not in exclude:
            return user_id, username
    raise RuntimeError(f"nobody works under {path}")


def queue_drain_wait(timeout: float = 600) -> None:
    """Wait until the worker has run the jobs the seeding queued (search and
    reference index updates of 300 questions and the pages: ~1,200), so that they
    do not run during the measured phases."""
    import django_rq
    from rq.registry import StartedJobRegistry

    queue = django_rq.get_queue("default")
    started = StartedJobRegistry(queue=queue)
    deadline = time.time() + timeout
    while queue.count or started.count:
        if time.time() > deadline:
            raise RuntimeError(f"{queue.count} jobs still queued after {timeout} s")
        time.sleep(0.5)


def exam_schedule(quiz_pk: int, *, open_at: float, close_at: float) -> None:
    from django.db import connection

    from assessments.models import Quiz

    Quiz.objects.filter(pk=quiz_pk).update(
        open_at=dt.datetime.fromtimestamp(open_at, dt.UTC),
        close_at=dt.datetime.fromtimestamp(close_at, dt.UTC),
    )
    connection.close()


def database_check(seeded: dict) -> dict:
    """What the run left in the database."""
    from django.db import connection
    from django.db.models import Count, Q, Sum

    from assessments.models import Attempt
    from courses.models import Assignment, Enrollment, LessonProgress
    from training.reports.export_models import ReportExport

    quiz_pk = seeded["quiz_pk"]
    checks = Attempt.objects.filter(quiz_id=quiz_pk).aggregate(
        attempts=Count("pk"),
        submitted=Count("pk", filter=Q(closed_by=Attempt.ClosedBy.LEARNER)),
        in_progress=Count("pk", filter=Q(status=Attempt.Status.IN_PROGRESS)),
    )
    progress = LessonProgress.objects.filter(lesson_id__in=seeded["lesson_pks"])
    checks.update(
        progress.aggregate(
            lessons_opened=Count("pk"),
            lessons_completed=Count("pk", filter=Q(completed_at__isnull=False)),
            watched_s=Sum("watched_seconds"),
        )
    )
    checks["watched_s"] = float(checks["watched_s"] or 0)
    enrolments = Enrollment.objects.filter(course_id=seeded["course_pk"])
    checks["enrolled"] = enrolments.count()
    checks["courses_completed"] = enrolments.filter(completed_at__isnull=False).count()
    assignments = Assignment.objects.all()
    checks["assignments"] = assignments.count()
    checks["assignments_done"] = assignments.filter(
        status=Assignment.Status.DONE
    ).count()
    exports = ReportExport.objects.all()
    checks["exports"] = exports.count()
    checks["exports_done"] = exports.filter(status=ReportExport.Status.DONE).count()
    connection.close()
    return checks


# --- results ------------------------------------------------------------------------


def cpu_summary(meter, first: str, last: str, requests: int) -> dict:
    spent = meter.between(first, last)
    ours = ("gunicorn", "postgres", "worker", "locust")
    summary = {
        name: spent.get(name, 0.0)
        for name in (*ours, "postgres_other", "machine", "wall")
    }
    summary["requests"] = requests
    summary["server_cpu_s"] = round(
        spent["gunicorn"] + spent["postgres"] + spent["worker"], 2
    )
    summary["other_cpu_s"] = round(
        max(0.0, spent["machine"] - sum(spent[n] for n in ours)), 2
    )
    if requests:
        summary["server_cpu_ms_per_request"] = round(
            summary["server_cpu_s"] * 1000 / requests, 2
        )
        for name in ("gunicorn", "postgres", "worker"):
            summary[f"{name}_cpu_ms_per_request"] = round(
                spent[name] * 1000 / requests, 2
            )
    summary["throughput_rps"] = round(requests / spent["wall"], 1)
    # The same run read at the phase boundaries alone (the old meter), and what
    # sampling missed (processes ended between two samples): loadkit.CpuMeter.
    summary["boundary_only"] = meter.boundary_only_between(first, last)
    summary["sampling_check"] = meter.check_between(first, last)
    return summary


def markdown(result: dict) -> str:
    counts = result["users_by_role"]
    sign_in = result["cpu"]["sign_in"]
    lines = [
        SECTION_BEGIN,
        "## Mixed load",
        "",
        f"{result['when']}: {result['users']} users — {counts['learner']} learners "
        f"(heartbeat every {result['beat_every_s']:g} s), {counts['examinee']} "
        f"examinees (one exam storm), {counts['coordinator']} coordinators, "
        f"{counts['leader']} leaders — signed in over {sign_in['wall']:g} s, then "
        f"{result['minutes']:g} minutes all at once; seed_scale data "
        f"({result['data']['units']} units, {result['data']['people']} people); "
        f"gunicorn {result['server']}, one RQ worker, cms.settings.prod, PostgreSQL, "
        f"Redis; locust on the same {result['cpus']}-core machine. "
        f"Load average at the start {result['load_average_start']}, at the end "
        f"{result['load_average_end']}; busiest other processes at the start: "
        f"{'; '.join(result['busy_processes_at_start']) or 'none above 5 % CPU'}. "
        f"Command: `{result['command']}`.",
        "",
        "| endpoint | route | requests | req/s | failures | p50 ms | p95 ms | "
        "p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in result["endpoints"].items():
        lines.append(
            f"| {name} | `{ROUTES.get(name, '?')}` | {s['requests']} | "
            f"{s['rps']:g} | {s['failures']} | {s['p50_ms']:g} | {s['p95_ms']:g} | "
            f"{s['p99_ms']:g} | {s['max_ms']:g} |"
        )
    lines += [
        "",
        "| phase | wall s | requests | req/s | server CPU ms/request (gunicorn + "
        "PostgreSQL + worker) | gunicorn | PostgreSQL | worker | locust CPU s | "
        "other work on the machine, CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase, p in result["cpu"].items():
        lines.append(
            f"| {phase} | {p['wall']:g} | {p['requests']} | {p['throughput_rps']:g} | "
            f"{p.get('server_cpu_ms_per_request')} | "
            f"{p.get('gunicorn_cpu_ms_per_request')} | "
            f"{p.get('postgres_cpu_ms_per_request')} | "
            f"{p.get('worker_cpu_ms_per_request')} | {p['locust']:g} | "
            f"{p['other_cpu_s']:g} |"
        )
    lines += ["", loadkit.sampling_note(result["cpu_sampling"], result["cpu"])]
    mixed = result["cpu"]["mixed"]
    worker = mixed["sampling_check"].get("worker", {})
    if worker.get("missed", 0) > 0 and mixed["requests"]:
        server = mixed["server_cpu_s"] + worker["missed"]
        lines[-1] += (
            " The task worker forks a process per job and most end within one "
            "sample interval: counted through the worker's children times it used "
            f"{worker['exact']:g} CPU s in the mixed phase, "
            f"{worker['exact'] * 1000 / mixed['requests']:.2f} ms per request, "
            f"and the server {server * 1000 / mixed['requests']:.2f} ms per request."
        )
    c = result["checks"]
    lines += [
        "",
        f"Errors: {result['errors']} of {result['total_requests']} requests; "
        f"server log tracebacks: {result['tracebacks']}. Database afterwards: "
        f"{c['attempts']} exam attempts ({c['submitted']} submitted, "
        f"{c['in_progress']} still open); {c['enrolled']} learners enrolled, "
        f"{c['lessons_opened']} lessons opened, {c['lessons_completed']} completed, "
        f"{c['watched_s']:g} s of video credited, {c['courses_completed']} courses "
        f"completed; {c['assignments_done']} of {c['assignments']} assignments and "
        f"{c['exports_done']} of {c['exports']} background exports done. The mixed "
        f"phase began {result['mix_delay_s']} s after its planned start (waiting "
        "for the last sign-ins); the exam's start burst came "
        f"{result['storm_delay_s']} s after its planned instant.",
        "Target (zero errors, every attempt submitted, every assignment and export "
        "done): " + ("**met**" if result["meets_targets"] else "**missed**"),
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def tracebacks(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count("Traceback")


# --- the run ------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    counts = role_counts(args.users)
    load_start = loadkit.load_average()
    busy_start = loadkit.busy_processes()
    db_url = loadkit.pg_database_url(args.db, purpose="mixed load")
    work = Path(tempfile.mkdtemp(prefix="mixed-load-"))
    env = loadkit.server_environment(
        db_url=db_url,
        redis_url=args.redis_url,
        TASKS_BACKEND="rq",
        MEDIA_ROOT=str(work / "media"),
    )
    loadkit.redis_check(args.redis_url, purpose="mixed load")
    print(f"mixed: fresh database {args.db}, logs in {work}, load {load_start}")
    loadkit.database_recreate(db_url, args.db)
    gunicorn = worker = locust = meter = None
    try:
        started = time.time()
        loadkit.manage(env, "migrate", "--noinput", "-v", "0")
        loadkit.static_files_ensure(env)
        loadkit.manage(
            env,
            "seed_scale",
            "--units",
            str(args.units),
            "--people",
            str(args.people),
            "--force",
            "--recompute",
            "--certificates",
            "0",
            log=work / "seed_scale.log",
        )
        seed_scale_s = round(time.time() - started, 1)
        print(f"mixed: migrated and seed_scale in {seed_scale_s} s")
        os.environ.update(env)
        started = time.time()
        seeded = seed(counts)
        seed_s = round(time.time() - started, 1)
        print(f"mixed: accounts, grants, course and exam in {seed_s} s")

        gunicorn = loadkit.gunicorn_start(
            env,
            workers=args.workers,
            threads=args.threads,
            port=args.port,
            log=work / "gunicorn.log",
        )
        worker = loadkit.task_worker_start(env, log=work / "worker.log")
        host = f"http://127.0.0.1:{args.port}"
        loadkit.wait_for(f"{host}/healthz")
        started = time.time()
        queue_drain_wait()
        drain_s = round(time.time() - started, 1)
        print(f"mixed: the seeding's background jobs ran in {drain_s} s")
        meter = loadkit.CpuMeter(
            {
                "gunicorn": loadkit.process_tree(gunicorn.pid),
                "postgres": loadkit.postgres_backends(args.db),
                # The rest of the PostgreSQL cluster: postmaster, checkpointer, WAL
                # writer, and other databases' backends (other work).
                "postgres_other": loadkit.postgres_backends(None),
                "worker": loadkit.process_tree(worker.pid),
                "locust": loadkit.process_tree(lambda: locust and locust.pid),
            }
        )

        # The timeline (locust reads it from the plan): sign-ins from login_at,
        # the mixed phase from mix_at or once every sign-in is done, whichever is
        # later (locust writes mix.json then), for --minutes.
        mixed_seconds = args.minutes * 60
        login_at = time.time() + 5
        mix_at = login_at + args.users * args.login_gap + 10
        # The exam is open from the earliest storm to well after the latest end.
        exam_schedule(
            seeded["quiz_pk"],
            open_at=mix_at + args.storm_after - 1,
            close_at=mix_at + 120 + mixed_seconds + 60,
        )
        plan = {
            **seeded,
            "counts": counts,
            "password": PASSWORD,
            "login_at": login_at,
            "login_gap": args.login_gap,
            "mix_at": mix_at,
            "storm_after": args.storm_after,
            "mixed_seconds": mixed_seconds,
            "save_every": list(args.save_every),
            "submit_window": args.submit_window,
            "beat_every": args.beat_every,
            "video_seconds": VIDEO_SECONDS,
            "assign_due_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        }
        plan_path = work / "plan.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        print(
            f"mixed: {counts} — sign-ins over {args.users * args.login_gap:.0f} s, "
            f"mixed phase from +{mix_at - time.time():.0f} s for {mixed_seconds:g} s, "
            f"exam storm {args.storm_after:g} s into it"
        )
        meter.sample("start")
        locust = loadkit.locust_start(
            ROOT / "benchmarks" / "load" / "locustfile.py",
            users=args.users,
            spawn_rate=args.users,
            run_time_s=int(mix_at - time.time() + 120 + mixed_seconds + 120),
            host=host,
            csv_prefix=work / "mixed",
            env={**os.environ, "MIXED_PLAN": str(plan_path)},
        )
        while time.time() < login_at and locust.poll() is None:
            time.sleep(0.05)
        meter.sample("login_at")
        while not (work / "mix.json").exists() and locust.poll() is None:
            time.sleep(0.05)
        meter.sample("mix_at")
        # The sampler keeps locust's last reading once its process is gone.
        locust.wait()
        meter.sample("end")
        meter.stop()

        endpoints, failures = loadkit.read_stats(work / "mixed")
        aggregated = endpoints.pop("Aggregated", {})
        sign_in_requests = sum(
            s["requests"] for n, s in endpoints.items() if n in SIGN_IN_NAMES
        )
        mixed_requests = aggregated.get("requests", 0) - sign_in_requests
        cpu = {
            "sign_in": cpu_summary(meter, "login_at", "mix_at", sign_in_requests),
            "mixed": cpu_summary(meter, "mix_at", "end", mixed_requests),
        }
        for name, s in endpoints.items():
            wall = cpu["sign_in" if name in SIGN_IN_NAMES else "mixed"]["wall"]
            s["rps"] = round(s["requests"] / wall, 2)
        checks = database_check(seeded)
        fired, mixed = ({}, {})
        if (work / "fired.json").exists():
            fired = json.loads((work / "fired.json").read_text())
        if (work / "mix.json").exists():
            mixed = json.loads((work / "mix.json").read_text())
        errors = sum(s["failures"] for s in endpoints.values())
        log_tracebacks = tracebacks(work / "gunicorn.log") + tracebacks(
            work / "worker.log"
        )
        result = {
            "benchmark": "mixed_load",
            "database": "postgresql",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "command": " ".join(
                [DEFAULT_COMMAND]
                if sys.argv[1:] == []
                else [".venv/bin/python", "benchmarks/load/run_mixed.py", *sys.argv[1:]]
            ),
            "load_average_start": load_start,
            "load_average_end": loadkit.load_average(),
            "busy_processes_at_start": busy_start,
            "users": args.users,
            "users_by_role": counts,
            "minutes": args.minutes,
            "beat_every_s": args.beat_every,
            "save_every_s": list(args.save_every),
            "submit_window_s": args.submit_window,
            "login_gap_s": args.login_gap,
            "server": f"-w {args.workers} --threads {args.threads}",
            "data": {
                "units": args.units,
                "people": args.people,
                "seed_scale_s": seed_scale_s,
                "accounts_course_exam_s": seed_s,
                "seed_jobs_drained_s": drain_s,
                "lessons": LESSONS,
                "video_seconds": VIDEO_SECONDS,
                "bank_questions": 300,
                "exam_questions": 20,
            },
            # Seconds the mixed phase waited past its planned start for the last
            # sign-ins, and the storm's start burst past its planned instant.
            "mix_delay_s": round(mixed.get("delay_s", -1), 2),
            "storm_delay_s": round(fired.get("delay_s", -1), 2),
            "endpoints": dict(sorted(endpoints.items())),
            "routes": {name: ROUTES.get(name, "?") for name in sorted(endpoints)},
            "total_requests": aggregated.get("requests", 0),
            "errors": errors,
            "failures": failures,
            "tracebacks": log_tracebacks,
            "cpu": cpu,
            "cpu_sample_interval_s": meter.interval,
            "cpu_sampling": meter.summary(),
            "checks": checks,
        }
        result["meets_targets"] = (
            errors == 0
            and log_tracebacks == 0
            and checks["attempts"] == checks["submitted"] == counts["examinee"]
            and checks["assignments"] == checks["assignments_done"] > 0
            and checks["exports"] == checks["exports_done"] == counts["leader"]
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
        for failure in failures:
            print(f"FAILURE ×{failure['count']} {failure['name']}: {failure['error']}")
        if not args.no_record:
            loadkit.record(
                result,
                json_name="mixed_load.json",
                section=markdown(result),
                begin=SECTION_BEGIN,
                end=SECTION_END,
            )
            print(
                f"mixed: written {loadkit.RESULTS / 'mixed_load.json'} and results.md"
            )
        return 0 if result["meets_targets"] else 1
    finally:
        if meter is not None:
            meter.stop()
        loadkit.processes_stop((locust, worker, gunicorn))
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep_db:
            loadkit.database_recreate(db_url, args.db, create=False)
        print(f"mixed: logs kept in {work}")


if __name__ == "__main__":
    sys.exit(main())
