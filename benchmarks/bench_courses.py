"""Courses: video heartbeats through gunicorn, and the catalogue with 2,000 courses.

(a) Heartbeats. 50 learners, each enrolled and watching their own video lesson, beat
as fast as the server answers (a closed loop, no think time) for ``BEAT_SECONDS``
against ``gunicorn cms.wsgi -w 4`` on 127.0.0.1:8012, driven by 4 client processes
of threads on the same machine. Sessions are made in this process (force_login,
database sessions) and CSRF is the double-submit cookie the lesson page's script
sends. Recorded: beats/s, p50/p95/p99 latency, errors, the queries of one beat
(service alone, and the whole request with session and user lookups), and a check
that no learner was credited more seconds than the wall time that passed. In real
use a learner beats every 20 s, so N beats/s serve about 20·N people watching.

(b) Catalogue. 2,000 live courses are inserted in bulk (page rows with computed
tree paths in one ``bulk_create``, the course rows with ``save_base(raw=True)``,
subjects in one ``bulk_create``), then GET /courses/ (first page, newest first) and
a filtered page (a subject, 30–60 minutes, most enrolled first) are rendered
``RENDERS`` times each with the test client, signed in as a learner enrolled in 40
of them. Recorded: median and p95 server time and the queries per render.

Run: ``DATABASE_URL=postgres://… .venv/bin/python benchmarks/run.py courses``.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import secrets
import statistics
import string
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PORT = 8012
WORKERS = 4
LEARNERS = 50
CLIENT_PROCESSES = 4
WARMUP_SECONDS = 3
BEAT_SECONDS = 30
VIDEO_SECONDS = 7200  # long enough that nobody completes during the run
COURSES = 2000
RENDERS = 15
SUBJECTS = [
    "政治理论与政治轮训",
    "检察官职业道德",
    "法律监督",
    "群众工作",
    "信息化应用",
    "突发事件处置",
    "业务技能",
]


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- data -----------------------------------------------------------------------------


def _index():
    from courses.services import course_catalogue_ensure

    return course_catalogue_ensure()


def _subjects():
    from assessments.models import Subject

    return [
        Subject.objects.get_or_create(name=name, defaults={"sort_order": i})[0]
        for i, name in enumerate(SUBJECTS)
    ]


def build_heartbeat_world() -> list[tuple[int, int]]:
    """One course of ``LEARNERS`` video lessons; learner i enrolled, lesson i
    opened. Returns (user id, lesson id) pairs."""
    from django.contrib.auth import get_user_model

    from courses.models import CoursePage, LessonPage
    from courses.services import enrollment_create, lesson_open

    index = _index()
    course = CoursePage(title="心跳基准课程", slug="bench-heartbeats", live=False)
    index.add_child(instance=course)
    course.save_revision().publish()
    course = CoursePage.objects.get(pk=course.pk)  # live now
    video = {
        "type": "video",
        "value": {
            "video_file": None,
            "stream_url": "https://video.example/bench.mp4",
            "duration_seconds": VIDEO_SECONDS,
            "poster": None,
            "caption": "",
        },
    }
    User = get_user_model()
    pairs = []
    for n in range(LEARNERS):
        lesson = LessonPage(
            title=f"视频 {n + 1}", slug=f"video-{n + 1}", body=json.dumps([video])
        )
        CoursePage.objects.get(pk=course.pk).add_child(instance=lesson)
        lesson.save_revision().publish()
        user = User.objects.create_user(
            username=f"beat{n:03d}", full_name=f"学员{n:03d}", password=None
        )
        enrollment_create(user=user, course=course)
        lesson_open(user=user, lesson=lesson)
        pairs.append((user.pk, lesson.pk))
    return pairs


def build_catalogue(count: int = COURSES, *, seed: int = 2026) -> float:
    """``count`` live courses under the catalogue; returns seconds taken."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Page

    from courses.models import CoursePage

    started = time.perf_counter()
    rng = random.Random(seed)
    subjects = _subjects()
    index = Page.objects.get(pk=_index().pk)
    content_type = ContentType.objects.get_for_model(CoursePage)
    now = timezone.now()
    words = "忠诚公正清廉文明法律监督群众工作信息化应用突发事件处置检察业务技能政治轮训"
    first_step = index.numchild + 1
    with transaction.atomic():
        pages = []
        for n in range(count):
            title = f"基准课程{n:04d}：" + "".join(rng.sample(words, 8))
            slug = f"bench-course-{n:04d}"
            published = now - dt.timedelta(hours=count - n)
            pages.append(
                Page(
                    title=title,
                    draft_title=title,
                    slug=slug,
                    path=Page._get_path(index.path, index.depth + 1, first_step + n),
                    depth=index.depth + 1,
                    numchild=0,
                    url_path=f"{index.url_path}{slug}/",
                    content_type=content_type,
                    locale_id=index.locale_id,
                    translation_key=uuid.uuid4(),
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=published,
                    last_published_at=published,
                )
            )
        Page.objects.bulk_create(pages, batch_size=500)
        minutes = [5, 10, 20, 25, 30, 45, 60, 90, 120]
        categories = [[], [], ["prosecutor"], ["prosecutor", "assistant"], ["clerk"]]
        for page in pages:
            # The child row only: the page row exists (loaddata's raw save).
            course = CoursePage(
                page_ptr_id=page.pk,
                summary="基准测试用课程简介：" + "".join(rng.sample(words, 20)),
                estimated_minutes=rng.choice(minutes),
                audience_categories=rng.choice(categories),
            )
            course.__dict__.update(
                {f.attname: getattr(page, f.attname) for f in Page._meta.fields}
            )
            course.save_base(raw=True, force_insert=True)
        through = CoursePage.subjects.through
        through.objects.bulk_create(
            [
                through(coursepage_id=page.pk, subject_id=rng.choice(subjects).pk)
                for page in pages
            ],
            batch_size=1000,
        )
        Page.objects.filter(pk=index.pk).update(numchild=index.numchild + count)
    return time.perf_counter() - started


# --- (a) heartbeats -------------------------------------------------------------------


def _beater(jobs, deadline_start, deadline_end, out):
    """One learner: beat, wait for the answer, beat again."""
    session, csrf, lesson_id = jobs
    connection = HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
    }
    started = time.time()
    seq = 0
    latencies, statuses = [], {}
    while time.time() < deadline_end:
        seq += 1
        position = round(min(VIDEO_SECONDS, time.time() - started), 2)
        body = json.dumps({"position": position, "seq": seq, "playing": True})
        sent = time.perf_counter()
        try:
            connection.request(
                "POST", f"/learning/progress/{lesson_id}/beat", body, headers
            )
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError as exc:
            status = type(exc).__name__
            connection.close()
        elapsed = time.perf_counter() - sent
        if time.time() >= deadline_start:
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1
    connection.close()
    out.append((latencies, statuses))


def _client_process(jobs, deadline_start, deadline_end):
    out: list = []
    threads = [
        threading.Thread(target=_beater, args=(job, deadline_start, deadline_end, out))
        for job in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies, statuses = [], {}
    for lat, st in out:
        latencies += lat
        for key, value in st.items():
            statuses[str(key)] = statuses.get(str(key), 0) + value
    return latencies, statuses


def _sessions(pairs) -> list[tuple[str, str, int]]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects.in_bulk([user_id for user_id, _ in pairs])
    jobs = []
    alphabet = string.ascii_letters + string.digits
    for user_id, lesson_id in pairs:
        client = Client()
        client.force_login(users[user_id])
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        csrf = "".join(secrets.choice(alphabet) for _ in range(32))
        jobs.append((session, csrf, lesson_id))
    return jobs


def _beat_queries(pair) -> dict:
    """Queries of one beat: the service alone and the whole request."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from courses.models import LessonProgress
    from courses.services import progress_beat

    user = get_user_model().objects.get(pk=pair[0])
    progress = LessonProgress.objects.get(user=user, lesson_id=pair[1])
    with CaptureQueriesContext(connection) as service:
        progress_beat(user=user, lesson_id=pair[1], position=0, seq=progress.seq + 1)
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    with CaptureQueriesContext(connection) as request:
        response = client.post(
            f"/learning/progress/{pair[1]}/beat",
            json.dumps({"position": 0, "seq": progress.seq + 2, "playing": True}),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    # The load test numbers its beats from 1 again.
    LessonProgress.objects.filter(pk=progress.pk).update(seq=0, playing=False)
    return {
        "beat_service_queries": len(service),
        "beat_request_queries": len(request),
    }


def _cpu_seconds(pid: int) -> float:
    """CPU time of gunicorn's master and workers (the client shares the machine:
    this is the server's own cost per beat)."""
    import psutil

    parent = psutil.Process(pid)
    total = 0.0
    for proc in (parent, *parent.children(recursive=True)):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def bench_heartbeats() -> dict:
    from django.db import connection
    from django.db.models import Max

    from courses.models import LessonProgress

    pairs = build_heartbeat_world()
    queries = _beat_queries(pairs[0])
    jobs = _sessions(pairs)
    connection.close()  # the server's workers need no competition for locks

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
        [
            str(VENV_BIN / "gunicorn"),
            "cms.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_for(f"http://127.0.0.1:{PORT}/healthz")
        start = time.time() + 1
        measure_from = start + WARMUP_SECONDS
        until = measure_from + BEAT_SECONDS
        chunks = [jobs[i::CLIENT_PROCESSES] for i in range(CLIENT_PROCESSES)]
        context = multiprocessing.get_context("fork")
        with context.Pool(CLIENT_PROCESSES) as pool:
            pending = pool.starmap_async(
                _client_process, [(chunk, measure_from, until) for chunk in chunks]
            )
            time.sleep(max(0, measure_from - time.time()))
            cpu_from = _cpu_seconds(server.pid)
            time.sleep(max(0, until - time.time()))
            cpu_until = _cpu_seconds(server.pid)
            results = pending.get(timeout=BEAT_SECONDS + 120)
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies, statuses = [], {}
    for lat, st in results:
        latencies += lat
        for key, value in st.items():
            statuses[key] = statuses.get(key, 0) + value
    ok = statuses.get("200", 0)
    server_cpu = cpu_until - cpu_from
    credited = LessonProgress.objects.filter(
        lesson_id__in=[lesson for _, lesson in pairs]
    ).aggregate(most=Max("watched_seconds"))["most"]
    wall = BEAT_SECONDS + WARMUP_SECONDS + 2
    ms = [v * 1000 for v in latencies]
    return {
        "learners": LEARNERS,
        "gunicorn": f"-w {WORKERS} (sync), cms.settings.test, database sessions",
        "beat_window_s": BEAT_SECONDS,
        "beats": len(latencies),
        "beats_ok": ok,
        "beat_statuses": statuses,
        "beats_per_s": round(ok / BEAT_SECONDS, 1),
        "beat_p50_ms": round(statistics.median(ms), 1) if ms else None,
        "beat_p95_ms": round(_percentile(ms, 0.95), 1),
        "beat_p99_ms": round(_percentile(ms, 0.99), 1),
        "watchers_served_at_20s_beats": int(ok / BEAT_SECONDS * 20),
        "server_cpu_ms_per_beat": round(server_cpu * 1000 / ok, 2) if ok else None,
        "max_credited_s": float(credited or 0),
        "credit_within_wall_time": float(credited or 0) <= wall,
        **queries,
    }


# --- (b) catalogue --------------------------------------------------------------------


def bench_catalogue(median) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from courses.models import CoursePage, Enrollment

    build_s = build_catalogue()
    learner = get_user_model().objects.create_user(
        username="catalogue-learner", full_name="目录学员", password=None
    )
    courses = list(
        CoursePage.objects.filter(slug__startswith="bench-course-").values_list(
            "pk", flat=True
        )[:40]
    )
    Enrollment.objects.bulk_create(
        Enrollment(user=learner, course_id=pk, required=bool(i % 2))
        for i, pk in enumerate(courses)
    )
    subject = CoursePage.subjects.through.objects.values_list(
        "subject_id", flat=True
    ).first()
    client = Client()
    client.force_login(learner)
    urls = {
        "catalogue": "/courses/",
        "filtered": f"/courses/?subject={subject}&duration=30to60&sort=popular",
    }
    data = {
        "courses": CoursePage.objects.live().count(),
        "catalogue_build_s": round(build_s, 2),
    }
    for name, url in urls.items():
        client.get(url)  # warm: templates, site root paths
        times, queries = [], 0
        for _ in range(RENDERS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = max(queries, len(captured))
        data[f"{name}_median_ms"] = median(times)
        data[f"{name}_p95_ms"] = round(_percentile(times, 0.95), 1)
        data[f"{name}_queries"] = queries
        print(f"{name}: {median(times):.1f} ms median, {queries} queries")
    return data


def run(*, record, median) -> None:
    data = {}
    print("heartbeats through gunicorn …")
    data.update(bench_heartbeats())
    print(
        f"heartbeats: {data['beats_per_s']} beats/s, p50 {data['beat_p50_ms']} ms, "
        f"p95 {data['beat_p95_ms']} ms"
    )
    print(f"catalogue with {COURSES} courses …")
    data.update(bench_catalogue(median))
    record("courses", data)
