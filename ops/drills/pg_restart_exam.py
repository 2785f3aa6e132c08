"""Drill: PostgreSQL restarts while a learner is taking an exam.

    .venv/bin/python ops/drills/pg_restart_exam.py [--db helper_c_exam] [--port 8031]

1. fresh database; a question bank and an open 60-minute exam (the storm's
   builders); one learner;
2. gunicorn with ``cms.settings.prod`` (plain HTTP on loopback, database sessions,
   ``DB_CONN_MAX_AGE=60``) on 127.0.0.1:``--port``;
3. the learner signs in and starts the exam over HTTP, then autosaves an answer
   every 0.2 s like the exam page does (same seq rule; a 5xx or a refused
   connection is retried with backoff);
4. after ``--before`` seconds: ``pg_ctlcluster --skip-systemctl-redirect 15 main
   restart``, autosaving on throughout, then ``--after`` more seconds, then submit
   (retried the same way);
5. asserts: no HTTP 500 at all; every answer the server acknowledged — before,
   during and after the restart — is in the submitted attempt with its seq;
   the attempt is submitted once. PostgreSQL is checked (and started) with
   ``pg_isready`` at the end whatever happens.

It restarts the machine's PostgreSQL: every other client sees its connections
dropped. Keep runs rare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_common import ROOT, admin_sql, drop, manage

PASSWORD = "drill-pass-2026"  # noqa: S105 - a throwaway account in a throwaway db
CLUSTER = ("15", "main")
FIELDSET = re.compile(r'data-position="(\d+)" data-qtype="(\w+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def pg_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"],  # noqa: S607
            check=False,
        ).returncode
        == 0
    )


def pg_ensure_up() -> None:
    if not pg_ready():
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, "start"],  # noqa: S607
            check=False,
        )
        for _ in range(60):
            if pg_ready():
                break
            time.sleep(0.5)
    print(f"pg_isready: {'up' if pg_ready() else 'DOWN'}", flush=True)


def environment(db: str, port: int) -> dict[str, str]:
    static = ROOT / "static"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "DB_CONN_MAX_AGE": "60",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)  # database sessions: the restart hits them too
    if not (static / "staticfiles.json").exists():
        env["STATIC_ROOT"] = tempfile.mkdtemp(prefix=f"jcpx-{db}-static-")
    return env


def seed() -> str:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections

    from benchmarks.bench_exam import build_bank, build_exam

    quiz = build_exam(
        build_bank(size=40), drawn=12, time_limit_minutes=60, title="重启演练考试"
    )
    get_user_model().objects.create_user(
        username="drill-learner", password=PASSWORD, full_name="演练考生"
    )
    connections.close_all()
    return str(quiz.public_id)


class Learner:
    """What the exam page does, over plain HTTP: retry 5xx and refused connections
    with backoff, keep the answer until the server acknowledged it."""

    def __init__(self, host: str):
        import requests

        self.requests = requests
        self.host = host
        self.http = requests.Session()
        # Production trusts X-Real-IP from nginx and refuses a login without it.
        self.http.headers["X-Real-IP"] = "10.0.0.31"
        self.statuses: Counter = Counter()
        self.log: list[tuple[float, str, str]] = []

    def call(self, method: str, path: str, what: str, **kwargs):
        delay = 0.25
        while True:
            try:
                response = self.http.request(
                    method,
                    self.host + path,
                    timeout=10,
                    allow_redirects=False,
                    **kwargs,
                )
            except self.requests.RequestException as exc:
                kind = type(exc).__name__
                self.statuses[kind] += 1
                self.log.append((time.time(), what, kind))
            else:
                self.statuses[response.status_code] += 1
                if response.status_code < 500:
                    return response
                self.log.append((time.time(), what, str(response.status_code)))
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def sign_in(self) -> None:
        page = self.call("GET", "/accounts/login/", "login page").text
        token = CSRF_INPUT.search(page).group(1)
        response = self.call(
            "POST",
            "/accounts/login/",
            "login",
            data={
                "login": "drill-learner",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": self.host + "/accounts/login/"},
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in failed: HTTP {response.status_code}")

    def start(self, quiz: str) -> tuple[str, list[dict]]:
        self.call("GET", f"/quizzes/{quiz}/", "quiz page")
        response = self.call(
            "POST",
            f"/quizzes/{quiz}/start",
            "start",
            data={"csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": self.host + f"/quizzes/{quiz}/"},
        )
        attempt_path = response.headers["Location"]
        html = self.call("GET", attempt_path, "attempt page").text
        items = []
        for position, qtype in FIELDSET.findall(html):
            keys = re.findall(rf'name="q-{position}" value="([^"]+)"', html)
            blanks = len(re.findall(rf'name="q-{position}-\d+"', html))
            items.append(
                {
                    "position": int(position),
                    "qtype": qtype,
                    "keys": keys,
                    "blanks": blanks,
                }
            )
        return attempt_path, items


def answer_for(item: dict, rng: random.Random, n: int):
    if item["qtype"] in ("single", "true_false"):
        return rng.choice(item["keys"])
    if item["qtype"] == "multiple":
        return sorted(rng.sample(item["keys"], 2))
    if item["qtype"] == "fill":
        return [f"答案{n}"] * max(item["blanks"], 1)
    return f"第{n}次作答：依法履行法律监督职责。"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="helper_c_exam")
    parser.add_argument("--port", type=int, default=8031)
    parser.add_argument("--before", type=float, default=8.0)
    parser.add_argument("--after", type=float, default=8.0)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    admin_sql(
        f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)',
        f'CREATE DATABASE "{args.db}"',
    )
    env = environment(args.db, args.port)
    gunicorn = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        if "STATIC_ROOT" in env:
            manage(env, "collectstatic", "--noinput", "-v", "0")
        os.environ.update(env)
        quiz = seed()
        gunicorn = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "cms.wsgi",
                "-w",
                "2",
                "--threads",
                "2",
                "-b",
                f"127.0.0.1:{args.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        return drill(f"http://127.0.0.1:{args.port}", quiz, args)
    finally:
        pg_ensure_up()
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if not args.keep:
            drop(args.db)


def drill(host: str, quiz: str, args) -> int:
    import requests

    for _ in range(120):
        try:
            if requests.get(host + "/healthz", timeout=10).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    learner = Learner(host)
    learner.sign_in()
    attempt_path, items = learner.start(quiz)
    print(f"exam started: {len(items)} questions at {attempt_path}", flush=True)
    rng = random.Random(15)  # noqa: S311 - answers, not secrets
    seqs: dict[int, int] = {}
    acked: dict[int, tuple[int, object]] = {}
    acked_before_restart: dict[int, tuple[int, object]] = {}
    restart = {"start": None, "end": None, "rc": None}

    def do_restart() -> None:
        restart["start"] = time.time()
        restart["rc"] = subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, "restart"],  # noqa: S607
            check=False,
        ).returncode
        restart["end"] = time.time()

    began = time.time()
    restarter = None
    n = 0
    while True:
        elapsed = time.time() - began
        if restarter is None and elapsed >= args.before:
            acked_before_restart = dict(acked)
            restarter = threading.Thread(target=do_restart)
            restarter.start()
        if (
            restarter is not None
            and not restarter.is_alive()
            and (time.time() - restart["end"] >= args.after)
        ):
            break
        item = items[n % len(items)]
        n += 1
        position = item["position"]
        seqs[position] = seqs.get(position, 0) + 1
        response_value = answer_for(item, rng, n)
        reply = learner.call(
            "POST",
            attempt_path + "answer",
            "answer",
            data=json.dumps(
                {
                    "position": position,
                    "response": response_value,
                    "seq": seqs[position],
                }
            ),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": learner.csrf(),
                "Referer": host + attempt_path,
            },
        )
        if reply.status_code == 200:
            acked[position] = (seqs[position], response_value)
        elif (
            reply.status_code == 409 and reply.json().get("saved_seq") == seqs[position]
        ):
            # An earlier try landed and only its reply was lost (as the page does).
            acked[position] = (seqs[position], response_value)
        else:
            print(f"autosave refused: {reply.status_code} {reply.text[:100]}")
        time.sleep(0.2)
    reply = learner.call(
        "POST",
        attempt_path + "submit",
        "submit",
        data={"csrfmiddlewaretoken": learner.csrf()},
        headers={"Accept": "application/json", "Referer": host + attempt_path},
    )
    submitted = reply.status_code == 200 and reply.json().get("ok")

    from django.db import connections

    from assessments.models import Attempt

    connections.close_all()
    attempt = Attempt.objects.get()
    stored = {item.position: (item.seq, item.response) for item in attempt.items.all()}
    outage = [entry for entry in learner.log if entry[2] != "200"]
    print(
        f"restart: pg_ctlcluster exit {restart['rc']}, "
        f"{restart['end'] - restart['start']:.1f} s"
    )
    if outage:
        print(
            f"client saw the outage for {outage[-1][0] - outage[0][0]:.1f} s: "
            f"{len(outage)} failed tries ({Counter(e[2] for e in outage)})"
        )
    retried = sum(1 for e in outage if e[1] == "answer")
    print(
        f"answers autosaved: {n}, each acknowledged ({retried} tries failed and were "
        f"retried); responses by status: {dict(learner.statuses)}"
    )
    checks = {
        "PostgreSQL restarted": restart["rc"] == 0,
        "no HTTP 500": learner.statuses.get(500, 0) == 0,
        "answers acknowledged before the restart kept": all(
            stored[p][0] >= seq for p, (seq, _v) in acked_before_restart.items()
        ),
        "every acknowledged answer is in the attempt": all(
            stored[p] == acked[p] for p in acked
        ),
        "submitted once": submitted
        and attempt.status != Attempt.Status.IN_PROGRESS
        and Attempt.objects.count() == 1,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'} {name}", flush=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
