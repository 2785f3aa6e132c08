"""The mixed load, as people: learners, examinees, coordinators and leaders.

Driven by benchmarks/load/run_mixed.py, which writes the plan (JSON, path in
``MIXED_PLAN``): the accounts of each role (coordinators and leaders with their
TOTP secret and unit), the course, its lessons and the exam, and the timeline as
wall-clock epochs and durations — ``login_at`` (first sign-in; the rest
``login_gap`` apart, the roles interleaved), ``mix_at`` (the mixed phase starts
then, or once every sign-in is done if they queued up), and from that start
``storm_after`` (every examinee presses start) and ``mixed_seconds`` (everyone
stops; examinees submit in the last ``submit_window`` seconds).

Each role is a user class with a ``fixed_count`` from the plan, so 150 users are
exactly the planned 89 / 38 / 15 / 8. Requests are named by route (the runner
keeps the name → route table), never by id. The browser, sign-in (with the TOTP
step) and the exam steps are benchmarks/locustkit.py's.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

import gevent
from gevent.event import Event
from locust import constant, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.locustkit import Browser, failure_text, sleep_until

PLAN = json.loads(Path(os.environ["MIXED_PLAN"]).read_text(encoding="utf-8"))
ROLES = ("learner", "examinee", "coordinator", "leader")
TOTAL = sum(PLAN["counts"].values())
NEXT = {role: itertools.count() for role in ROLES}
MIX = Event()  # set once everyone is signed in: the mixed phase begins
STORM = Event()  # set once, at the storm: every examinee presses "start"
TIMELINE: dict[str, float] = {}  # epochs of the mixed phase, set with MIX
SIGNED_IN = {"n": 0}  # signed in, or given up trying
FINISHED = {"n": 0}

LESSON_SEQ = re.compile(r'data-seq="(\d+)"')
ENROL_FORM = re.compile(r'action="(/learning/enrol/\d+)"')
PERSON_LINK = re.compile(r'href="/people/(\d+)/"')
DRILL_LINK = re.compile(r'<a href="([^"]+)" class="drill-link"')
PREVIEW_OF = re.compile(r'name="preview_of" value="([^"]+)"')


def _slots() -> dict[tuple[str, int], int]:
    """Sign-in order: the roles interleaved in proportion, so every role's users
    are spread over the whole sign-in phase. The slot also gives each user its
    own client address."""
    order = sorted(
        ((number + 0.5) / PLAN["counts"][role], role, number)
        for role in ROLES
        for number in range(PLAN["counts"][role])
    )
    return {(role, number): slot for slot, (_at, role, number) in enumerate(order)}


SLOTS = _slots()


def _write(name: str, data: dict) -> None:
    """Tell the runner (which samples CPU at these instants)."""
    Path(os.environ["MIXED_PLAN"]).with_name(name).write_text(json.dumps(data))


@events.test_start.add_listener
def _arm_the_timeline(environment, **_kwargs):
    def fire():
        # The mixed phase starts at its planned instant, or once every sign-in is
        # done if they queued up behind the password hashing (at most two minutes
        # later): sign-ins are their own phase, measured apart.
        sleep_until(PLAN["mix_at"])
        while SIGNED_IN["n"] < TOTAL and time.time() < PLAN["mix_at"] + 120:
            gevent.sleep(0.05)
        now = time.time()
        TIMELINE.update(
            mix=now,
            storm=now + PLAN["storm_after"],
            end=now + PLAN["mixed_seconds"],
            autosave_until=now + PLAN["mixed_seconds"] - PLAN["submit_window"] - 2,
        )
        _write("mix.json", {"at": now, "delay_s": now - PLAN["mix_at"]})
        MIX.set()
        # Every examinee presses "start" in the same instant.
        sleep_until(TIMELINE["storm"])
        STORM.set()
        _write("fired.json", {"delay_s": time.time() - TIMELINE["storm"]})

    gevent.spawn(fire)


class Person(Browser):
    """Signs in at its slot, works through the mixed phase, then stops."""

    abstract = True
    role = ""
    # One long task per user; the pacing is inside it.
    wait_time = constant(0)

    def on_start(self):
        number = next(NEXT[self.role])
        account = PLAN["accounts"][self.role][number]
        self.identify(SLOTS[self.role, number])
        self.account = account

    def pause(self, low: float, high: float) -> None:
        """Think time, cut short at the end of the run."""
        gevent.sleep(max(0.0, min(self.rng.uniform(low, high), self.left())))

    def left(self) -> float:
        return TIMELINE["end"] - time.time()

    @task
    def live(self):
        try:
            sleep_until(PLAN["login_at"] + self.index * PLAN["login_gap"])
            try:
                signed_in = self.sign_in(
                    self.account["username"],
                    PLAN["password"],
                    self.account.get("totp", ""),
                )
            finally:
                SIGNED_IN["n"] += 1
            MIX.wait()
            if signed_in:
                self.work()
        finally:
            # Every user, finished or stopped by a failure, counts towards the end.
            FINISHED["n"] += 1
            if FINISHED["n"] >= TOTAL:
                gevent.spawn_later(1, self.environment.runner.quit)
        raise StopUser

    def work(self) -> None:
        raise NotImplementedError


class Learner(Person):
    """Opens the catalogue and the course, enrols, then watches the lessons one
    after another with a heartbeat every ``beat_every`` seconds, as the course
    player does, and now and then looks at another page between two beats."""

    role = "learner"
    fixed_count = PLAN["counts"]["learner"]

    def work(self) -> None:
        # Learners arrive over one heartbeat period, not all in the same second.
        sleep_until(TIMELINE["mix"] + self.rng.uniform(0, PLAN["beat_every"]))
        self.get("/learning/", "learning")
        self.get("/courses/", "catalogue")
        page = self.get(PLAN["course_url"], "course page")
        enrol = ENROL_FORM.search(page.text or "")
        if enrol:
            self.post_form(enrol.group(1), "enrol", {"next": PLAN["course_url"]})
        for lesson_pk, lesson_url in itertools.cycle(
            zip(PLAN["lesson_pks"], PLAN["lesson_urls"], strict=True)
        ):
            if self.left() <= 0 or not self.watch(lesson_pk, lesson_url):
                return

    def watch(self, lesson_pk: int, lesson_url: str) -> bool:
        page = self.get(lesson_url, "lesson page")
        found = LESSON_SEQ.search(page.text or "")
        if not found:
            return False  # the page failed (and says so), or it has no player
        seq = int(found.group(1))
        opened = time.time()
        duration = PLAN["video_seconds"]
        while True:
            position = min(time.time() - opened, duration)
            seq += 1
            playing = position < duration
            with self.client.post(
                f"/learning/progress/{lesson_pk}/beat",
                json={"position": round(position, 2), "seq": seq, "playing": playing},
                headers={**self.headers, "X-CSRFToken": self.csrf()},
                name="beat",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(failure_text("beat", response))
            if not playing:
                return True  # the video ended: on to the next lesson
            next_beat = time.time() + PLAN["beat_every"]
            if self.rng.random() < 0.4 and self.left() > 5:
                gevent.sleep(self.rng.uniform(3, PLAN["beat_every"] - 5))
                path, name = self.rng.choice(
                    [
                        ("/courses/", "catalogue"),
                        ("/me/", "my record"),
                        ("/learning/", "learning"),
                        (PLAN["course_url"], "course page"),
                    ]
                )
                self.get(path, name)
            if next_beat > TIMELINE["end"]:
                return False
            sleep_until(next_beat)


class Examinee(Person):
    """The exam storm: everyone starts at once, autosaves, submits at the end."""

    role = "examinee"
    fixed_count = PLAN["counts"]["examinee"]

    def work(self) -> None:
        sleep_until(TIMELINE["mix"] + self.rng.uniform(0, 5))
        self.get("/exams/", "exams")
        self.get(f"/quizzes/{PLAN['quiz']}/", "quiz page")
        STORM.wait()
        attempt_path, items = self.exam_start(PLAN["quiz"])
        self.exam_autosave(
            attempt_path,
            items,
            until=TIMELINE["autosave_until"],
            every=tuple(PLAN["save_every"]),
        )
        sleep_until(TIMELINE["end"] - self.rng.uniform(1, PLAN["submit_window"]))
        self.exam_submit(attempt_path)


class Coordinator(Person):
    """Lists and opens people, looks at the roster page, and assigns a course to
    five people of the list (preview, confirm), then watches the background run."""

    role = "coordinator"
    fixed_count = PLAN["counts"]["coordinator"]

    def work(self) -> None:
        sleep_until(TIMELINE["mix"] + self.rng.uniform(0, 15))
        page_number = 1
        while self.left() > 20:
            page = self.get(
                "/people/" if page_number == 1 else f"/people/?page={page_number}",
                "people list",
            )
            people = sorted(set(PERSON_LINK.findall(page.text or "")))
            page_number = page_number % 3 + 1
            if people:
                self.get(f"/people/{self.rng.choice(people)}/", "person page")
            self.pause(2, 6)
            self.get("/roster/", "roster page")
            self.pause(2, 6)
            if len(people) >= 5:
                self.assign(self.rng.sample(people, 5))
            self.pause(5, 15)

    def assign(self, people: list[str]) -> None:
        self.get("/assign/", "assign page")
        self.pause(2, 5)
        choice = {
            "course": str(self.rng.choice(PLAN["assignable_courses"])),
            "target": "people",
            "people": people,
            "required": "on",
            "due_on": PLAN["assign_due_on"],
            "reason": "2026 年度岗位培训必修课程（压力测试）。",
        }
        page = self.post_form(
            "/assign/", "assign preview", {**choice, "action": "preview"}, expect=200
        )
        fingerprint = PREVIEW_OF.search(page.text or "")
        if not fingerprint:
            return
        self.pause(2, 5)
        response = self.post_form(
            "/assign/",
            "assign confirm",
            {**choice, "action": "confirm", "preview_of": fingerprint.group(1)},
        )
        location = response.headers.get("Location", "")
        if response.status_code != 302 or not location:
            return
        path = location.split("://", 1)[-1]
        path = path[path.index("/assign/") :]
        self.get(path, "assign status page")
        self.poll(f"{path}status.json", "assign status.json")

    def poll(self, path: str, name: str) -> None:
        """The status page's script: every 2 s until finished (a minute at most)."""
        deadline = time.time() + 60
        while time.time() < deadline:
            response = self.get(path, name)
            try:
                if response.json().get("finished"):
                    return
            except ValueError:
                return
            gevent.sleep(2)


class Leader(Person):
    """Opens the dashboard of their unit, drills down two levels, lists the people
    in progress, downloads the units table, and starts one background people
    export, which they watch and download."""

    role = "leader"
    fixed_count = PLAN["counts"]["leader"]

    def work(self) -> None:
        sleep_until(TIMELINE["mix"] + self.rng.uniform(0, 20))
        exported = False
        while self.left() > 10:
            root = self.get("/reports/", "dashboard")
            links = DRILL_LINK.findall(root.text or "")
            query = f"unit={self.account['unit']}"
            if links:
                child = html.unescape(self.rng.choice(links))
                page = self.get(child, "dashboard drill-down")
                query = child.split("?", 1)[-1]
                deeper = DRILL_LINK.findall(page.text or "")
                self.pause(3, 8)
                if deeper:
                    grandchild = html.unescape(self.rng.choice(deeper))
                    self.get(grandchild, "dashboard drill-down")
                    query = grandchild.split("?", 1)[-1]
            self.pause(3, 8)
            self.get(f"/reports/people/?{query}&status=in_progress", "dashboard people")
            self.pause(3, 8)
            self.get(f"/reports/export/units.xlsx?{query}", "units.xlsx")
            if not exported:
                exported = True
                self.export()
            self.pause(5, 15)

    def export(self) -> None:
        response = self.post_form(
            "/reports/exports/new/",
            "export new",
            {"kind": "people", "unit": str(self.account["unit"])},
        )
        location = response.headers.get("Location", "")
        if response.status_code != 302 or "/reports/exports/" not in location:
            return
        path = location.split("://", 1)[-1]
        path = path[path.index("/reports/exports/") :]
        self.get(path, "export page")
        deadline = time.time() + 120
        while time.time() < deadline:
            gevent.sleep(2)
            status = self.get(f"{path}status.json", "export status.json")
            try:
                data = status.json()
            except ValueError:
                return
            if data.get("status") == "done":
                self.get(f"{path}download/", "export download")
                return
            if data.get("status") == "failed":
                return
