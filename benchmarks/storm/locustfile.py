"""The exam storm, as learners: every user signs in ahead of time, then all press
"start" in the same second, autosave an answer every few seconds, and submit in
the last seconds before the exam closes.

Driven by benchmarks/storm/run_storm.py, which writes the plan (JSON, path in
``STORM_PLAN``): the exam's id, the accounts, and the timeline as wall-clock
epochs — ``login_at`` (first sign-in; the rest are staggered ``login_gap`` apart),
``storm_at`` (everyone starts), ``autosave_until``, ``close_at`` (the exam's end,
so every attempt's deadline) and ``submit_window`` (submits are spread over the
last this-many seconds before ``close_at``).

The browser, the sign-in and the exam steps are benchmarks/locustkit.py's, shared
with the mixed load (benchmarks/load/).
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from pathlib import Path

import gevent
from gevent.event import Event
from locust import constant, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.locustkit import Browser, sleep_until

PLAN = json.loads(Path(os.environ["STORM_PLAN"]).read_text(encoding="utf-8"))
ACCOUNTS = itertools.count()
STORM = Event()  # set once, at storm_at: every waiting learner presses "start"
FINISHED = {"n": 0}
SIGNED_IN = {"n": 0}  # signed in, or given up trying


@events.test_start.add_listener
def _arm_the_storm(environment, **_kwargs):
    def fire():
        # At storm_at, or once every learner is signed in if sign-ins queued up
        # behind the password hashing (at most two minutes later): the start burst
        # must hit the server all at once to mean anything.
        sleep_until(PLAN["storm_at"])
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


class Learner(Browser):
    # One long task per user; the pacing is inside it.
    wait_time = constant(0)

    def on_start(self):
        self.identify(next(ACCOUNTS))
        self.username = PLAN["usernames"][self.index % len(PLAN["usernames"])]

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
            sleep_until(PLAN["login_at"] + self.index * PLAN["login_gap"])
            if not self.sign_in(self.username, PLAN["password"]):
                raise StopUser
            self.get(f"/quizzes/{PLAN['quiz']}/", "quiz page")
        finally:
            SIGNED_IN["n"] += 1
        STORM.wait()

        # Phase 1: everyone starts at once.
        attempt_path, items = self.exam_start(PLAN["quiz"])
        # Phase 2: an answer every 5–10 s until the autosave window ends.
        self.exam_autosave(
            attempt_path,
            items,
            until=PLAN["autosave_until"],
            every=tuple(PLAN["save_every"]),
        )
        # Phase 3: submit in the last seconds before the exam closes.
        sleep_until(PLAN["close_at"] - self.rng.uniform(1, PLAN["submit_window"]))
        self.exam_submit(attempt_path)
