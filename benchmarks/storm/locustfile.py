"""The exam storm, as learners: every user signs in ahead of time, then all press
"start" in the same second, autosave an answer every few seconds, and submit in
the last seconds before the exam closes.

Driven by benchmarks/storm/run_storm.py, which writes the plan (JSON, path in
``STORM_PLAN``): the exam's id, the accounts, and the timeline as wall-clock
epochs — ``login_at`` (first sign-in; the rest are staggered ``login_gap`` apart),
``storm_at`` (everyone starts), ``autosave_until``, ``close_at`` (the exam's end,
so every attempt's deadline) and ``submit_window`` (submits are spread over the
last this-many seconds before ``close_at``).

Each user sends ``X-Real-IP`` with an address of its own: production trusts that
header from nginx, so the per-IP login rate limit sees 300 clients, not one.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

PLAN = json.loads(Path(os.environ["STORM_PLAN"]).read_text(encoding="utf-8"))
ACCOUNTS = itertools.count()
STORM = Event()  # set once, at storm_at: every waiting learner presses "start"
FINISHED = {"n": 0}
SIGNED_IN = {"n": 0}  # signed in, or given up trying

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELDSET = re.compile(r'data-position="(\d+)" data-qtype="(\w+)"')


def _sleep_until(epoch: float) -> None:
    delay = epoch - time.time()
    if delay > 0:
        gevent.sleep(delay)


@events.test_start.add_listener
def _arm_the_storm(environment, **_kwargs):
    def fire():
        # At storm_at, or once every learner is signed in if sign-ins queued up
        # behind the password hashing (at most two minutes later): the start burst
        # must hit the server all at once to mean anything.
        _sleep_until(PLAN["storm_at"])
        users = environment.runner.target_user_count
        while SIGNED_IN["n"] < users and time.time() < PLAN["storm_at"] + 120:
            gevent.sleep(0.05)
        STORM.set()
        # The runner records how late the burst came and how many were ready.
        Path(os.environ["STORM_PLAN"]).with_name("fired.json").write_text(
            json.dumps(
                {"delay_s": time.time() - PLAN["storm_at"], "ready": SIGNED_IN["n"]}
            )
        )

    gevent.spawn(fire)


def _items(html: str) -> list[dict]:
    """Positions, types and what each accepts, read from the exam page as a
    browser would (option values and blank inputs)."""
    items = []
    for position, qtype in FIELDSET.findall(html):
        keys = re.findall(rf'name="q-{position}" value="([^"]+)"', html)
        blanks = len(re.findall(rf'name="q-{position}-\d+"', html))
        items.append(
            {"position": int(position), "qtype": qtype, "keys": keys, "blanks": blanks}
        )
    return items


def _response(item: dict, rng: random.Random):
    qtype, keys = item["qtype"], item["keys"]
    if qtype in ("single", "true_false"):
        return rng.choice(keys)
    if qtype == "multiple":
        return sorted(rng.sample(keys, min(2, len(keys))))
    if qtype == "fill":
        return [
            rng.choice(["忠诚", "公正", "清廉", "文明"]) for _ in range(item["blanks"])
        ]
    return "忠诚、公正、清廉、文明。" * rng.randint(1, 5)


class Learner(FastHttpUser):
    # One long task per user; the pacing is inside it.
    wait_time = constant(0)

    def on_start(self):
        self.index = next(ACCOUNTS)
        self.username = PLAN["usernames"][self.index % len(PLAN["usernames"])]
        self.rng = random.Random(self.index)
        ip = 10 * 256 * 256 + self.index + 1
        self.headers = {"X-Real-IP": f"10.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}"}

    def _csrf(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value
        return ""

    def _get(self, path: str, name: str):
        with self.client.get(
            path, name=name, headers=self.headers, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{name}: HTTP {response.status_code}")
            return response

    def _sign_in(self) -> None:
        _sleep_until(PLAN["login_at"] + self.index * PLAN["login_gap"])
        page = self._get("/accounts/login/", "login page")
        token = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            "/accounts/login/",
            data={
                "login": self.username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={**self.headers, "Referer": f"{self.host}/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login: HTTP {response.status_code}")
                raise StopUser
        self._get(f"/quizzes/{PLAN['quiz']}/", "quiz page")

    @task
    def sit_the_exam(self):
        try:
            self._sit_the_exam()
        finally:
            # Every user, finished or stopped by a failure, counts towards the end.
            FINISHED["n"] += 1
            if FINISHED["n"] >= self.environment.runner.target_user_count:
                gevent.spawn_later(1, self.environment.runner.quit)
        raise StopUser

    def _sit_the_exam(self):
        try:
            self._sign_in()
        finally:
            SIGNED_IN["n"] += 1
        STORM.wait()

        # Phase 1: everyone starts at once.
        with self.client.post(
            f"/quizzes/{PLAN['quiz']}/start",
            data={"csrfmiddlewaretoken": self._csrf()},
            headers=self.headers,
            name="start",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 303 or "/attempts/" not in location:
                response.failure(f"start: HTTP {response.status_code} → {location!r}")
                raise StopUser
        attempt_path = location.split("://", 1)[-1]
        attempt_path = attempt_path[attempt_path.index("/attempts/") :]
        page = self._get(attempt_path, "attempt page")
        items = _items(page.text or "")
        if not items:
            raise StopUser

        # Phase 2: an answer every 5–10 s until the autosave window ends.
        seqs: dict[int, int] = {}
        answer_url = f"{attempt_path}answer"
        while time.time() < PLAN["autosave_until"]:
            gevent.sleep(self.rng.uniform(PLAN["save_every"][0], PLAN["save_every"][1]))
            if time.time() >= PLAN["autosave_until"]:
                break
            item = self.rng.choice(items)
            seqs[item["position"]] = seqs.get(item["position"], 0) + 1
            with self.client.post(
                answer_url,
                json={
                    "position": item["position"],
                    "response": _response(item, self.rng),
                    "seq": seqs[item["position"]],
                },
                headers={**self.headers, "X-CSRFToken": self._csrf()},
                name="answer",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(
                        f"answer: HTTP {response.status_code} {response.text[:120]}"
                    )

        # Phase 3: submit in the last seconds before the exam closes.
        _sleep_until(PLAN["close_at"] - self.rng.uniform(1, PLAN["submit_window"]))
        with self.client.post(
            f"{attempt_path}submit",
            data={"csrfmiddlewaretoken": self._csrf()},
            headers={**self.headers, "Accept": "application/json"},
            name="submit",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or '"ok": true' not in (response.text or ""):
                response.failure(f"submit: HTTP {response.status_code}")
