"""``make prod-smoke``: the production stack, started here and driven over HTTP.

    make prod-smoke
    .venv/bin/python ops/prod_smoke.py --keep-logs

What it starts, on this machine, and always stops again (docs/prod-smoke.md):

1. a fresh PostgreSQL database ``jcpx_smoke`` and Redis db 8 (flushed), migrated
   with ``cms.settings.prod`` while ``collectstatic`` fills a temporary STATIC_ROOT;
2. ``manage.py seed_demo`` (it refuses to run without DEBUG, so it alone runs with
   ``cms.settings.dev`` on the same database, media and keys); meanwhile
3. gunicorn (4 workers, 127.0.0.1:8021) and two task workers, both with
   ``cms.settings.prod`` and the RQ backend, started with the argv
   ``cms.deploy.worker_command`` gives a deployment.

Then, as a browser would (forms and CSRF tokens read from the pages, a cookie jar
per person, ``X-Real-IP`` set as nginx sets it), one line per step:

- the coordinator signs in, fills the roster template with new people, uploads it
  and waits for the import, which runs on a worker (``ROSTER_IMPORT_SYNC_MAX_ROWS``
  is lowered so that a five-row file is a "large" one);
- the coordinator assigns a course to the new people and the demo learner, previews,
  confirms, and waits for the assignment run on a worker;
- the learner opens the assigned course's lessons (their reading clocks start), is
  refused "read" too early, sits the open exam (autosaves every answer, reloads,
  submits) and sees the result;
- the coordinator issues certificates in bulk to those who met a programme, waits
  for the batch on a worker, downloads a PDF, and anyone can verify it;
- the leader starts a background people export from /reports/, waits for it and
  opens the XLSX;
- the learner, once the reading time is over, completes the course and sees it
  completed with its credit hours.

Finally no log may hold a traceback and no response may have been a 5xx. Exit
status 0 only when every step passed. Whatever happens (a failed step, Ctrl-C,
SIGTERM, the overall time limit) the processes are stopped (SIGTERM to each
process group, SIGKILL after 10 s), the database is dropped and Redis db 8 flushed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import html.parser
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

DB_NAME = "jcpx_smoke"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/8"
HOST, PORT = "127.0.0.1", 8021
WEB_WORKERS, TASK_WORKERS = 4, 2
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - seed_demo's published demo password
STOP_GRACE_SECONDS = 10
POLL_TIMEOUT_SECONDS = 90

# Who the roster brings in: new staff of 杭州市上城区人民检察院第一检察部, a unit in
# the demo coordinator's subtree (杭州市人民检察院).
NEW_UNIT_CODE = "ZJ-HZ-SC-01"
NEW_EMPLOYEE_PREFIX = "3301029900"
NEW_PEOPLE = (
    ("王晓明", "检察官"),
    ("陈思远", "检察官助理"),
    ("刘静怡", "书记员"),
    ("张浩然", "检察官"),
    ("赵雨桐", "检察技术人员"),
)
# The demo's shortest course (two reading lessons) that the demo learner has not
# started: assigned to the new people and the learner, then completed by the learner.
COURSE_TITLE = "检察法律文书制作规范"

CERTIFICATE_LINK = re.compile(r'href="/certificates/([A-Za-z0-9_-]+)/"')
QUIZ_LINK = re.compile(r'href="(/quizzes/[0-9a-f-]{36}/)"')
PROGRAMME_LINK = re.compile(r'href="(/programmes/\d+/)"')
ACCESS_5XX = re.compile(r'" (5\d\d) ')


class SmokeFailure(Exception):
    """A step saw something other than what the product promises."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# --- reading pages --------------------------------------------------------------------

VOID_TAGS = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Every choice the form offers, checked or not: name → [(value, label)].
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)

    def choice(self, name: str, label: str) -> str:
        for value, text in self.choices.get(name, []):
            if text.strip() == label:
                return value
        raise SmokeFailure(f"the form offers no {name} labelled {label!r}")


class Page(html.parser.HTMLParser):
    """What a test needs from an HTML page: forms (fields with their current
    values, the choices they offer), the attributes and text of elements with an
    id, and the page's text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, Form] = {}
        self.attrs_by_id: dict[str, dict[str, str]] = {}
        self.texts: dict[str, list[str]] = {}
        self.all_text: list[str] = []
        self._form: Form | None = None
        self._open: list[list] = []  # [id, tag, depth] of elements being read
        self._select: tuple[Form, str] | None = None
        self._option: list | None = None  # [value, text parts, selected]
        self._textarea: tuple[Form, str, list[str]] | None = None
        self._anonymous = 0
        self.feed(text)
        self.close()

    def _form_for(self, attrs: dict) -> Form | None:
        # <input form="x"> belongs to form x wherever it stands.
        owner = attrs.get("form")
        return self.forms.get(owner) if owner else self._form

    def handle_starttag(self, tag, attr_list):
        attrs = {k: v if v is not None else "" for k, v in attr_list}
        for entry in self._open:
            if entry[1] == tag:
                entry[2] += 1
        if "id" in attrs:
            self.attrs_by_id[attrs["id"]] = attrs
            self.texts.setdefault(attrs["id"], [])
            if tag not in VOID_TAGS:
                self._open.append([attrs["id"], tag, 1])
        if tag == "form":
            self._anonymous += 1
            key = attrs.get("id") or f"form-{self._anonymous}"
            self._form = self.forms[key] = Form(
                action=attrs.get("action", ""), method=attrs.get("method", "get")
            )
            return
        form = self._form_for(attrs)
        name = attrs.get("name")
        if form is None or not name:
            if tag == "option" and self._select is not None:
                self._option_start(attrs)
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            value = attrs.get("value", "on" if kind in {"checkbox", "radio"} else "")
            if kind in {"checkbox", "radio"}:
                form.choices.setdefault(name, []).append((value, ""))
                if "checked" in attrs:
                    form.fields.append((name, value))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                form.fields.append((name, value))
        elif tag == "select":
            self._select = (form, name)
            form.choices.setdefault(name, [])
        elif tag == "textarea":
            self._textarea = (form, name, [])

    def _option_start(self, attrs: dict) -> None:
        self._option = [attrs.get("value"), [], "selected" in attrs]

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            form, name = self._select
            value, parts, selected = self._option
            label = "".join(parts).strip()
            value = label if value is None else value
            form.choices[name].append((value, label))
            if selected:
                form.fields.append((name, value))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            form, name, parts = self._textarea
            form.fields.append((name, "".join(parts)))
            self._textarea = None
        elif tag == "form":
            self._form = None
        for entry in list(self._open):
            if entry[1] == tag:
                entry[2] -= 1
                if entry[2] == 0:
                    self._open.remove(entry)

    def handle_data(self, data):
        self.all_text.append(data)
        for entry in self._open:
            self.texts[entry[0]].append(data)
        if self._option is not None:
            self._option[1].append(data)
        if self._textarea is not None:
            self._textarea[2].append(data)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    # --- questions a step asks ---------------------------------------------------

    def has(self, element_id: str) -> bool:
        return element_id in self.attrs_by_id

    def attr(self, element_id: str, name: str) -> str:
        check(self.has(element_id), f"the page has no #{element_id}")
        return self.attrs_by_id[element_id].get(name, "")

    def text_of(self, element_id: str) -> str:
        check(self.has(element_id), f"the page has no #{element_id}")
        return " ".join("".join(self.texts[element_id]).split())

    def form(self, form_id: str) -> Form:
        check(form_id in self.forms, f"the page has no form #{form_id}")
        return self.forms[form_id]

    def form_with(self, field_name: str) -> Form:
        for form in self.forms.values():
            if any(name == field_name for name, _v in form.fields):
                return form
        raise SmokeFailure(f"the page has no form with a {field_name!r} field")

    @property
    def text(self) -> str:
        return " ".join("".join(self.all_text).split())


# --- a browser without a screen -------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as responses, so a step can check them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def page(self) -> Page:
        return Page(self.text)

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str:
        """The redirect target as a path on this site."""
        target = urllib.parse.urlsplit(self.headers.get("location", ""))
        return target.path + (f"?{target.query}" if target.query else "")


class Client:
    """One person's browser: a cookie jar, the address nginx would pass on."""

    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects()
        )
        self.requests = 0

    def csrf_cookie(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(
        self,
        method: str,
        path: str,
        *,
        data: list[tuple[str, str]] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        json_body: object = None,
        headers: dict[str, str] | None = None,
        expect: int | tuple[int, ...] | None = 200,
    ) -> Response:
        all_headers = {"X-Real-IP": "127.0.0.1", **(headers or {})}
        body = None
        if files:
            body, all_headers["Content-Type"] = multipart(data or [], files)
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
            all_headers["X-CSRFToken"] = self.csrf_cookie()
        request = urllib.request.Request(  # noqa: S310 - our own http:// base
            self.base + path, data=body, headers=all_headers, method=method
        )
        self.requests += 1
        try:
            with self.opener.open(request, timeout=60) as raw:
                status, raw_headers, content = raw.status, raw.headers, raw.read()
        except urllib.error.HTTPError as error:
            status, raw_headers, content = error.code, error.headers, error.read()
        response = Response(
            method,
            path,
            status,
            {k.lower(): v for k, v in raw_headers.items()},
            content,
        )
        wanted = (expect,) if isinstance(expect, int) else expect
        if wanted is not None and status not in wanted:
            raise SmokeFailure(
                f"{method} {path}: HTTP {status}, expected "
                f"{' or '.join(map(str, wanted))}"
                f" — {' '.join(response.text[:300].split())}"
            )
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Response:
        return self.request("POST", path, **kwargs)

    def submit(self, form: Form, *, extra=(), expect=(302, 303), **kwargs) -> Response:
        """Post a form as read from its page (CSRF token included), plus ``extra``."""
        return self.post(
            form.action, data=[*form.fields, *extra], expect=expect, **kwargs
        )

    def sign_in(self, username: str) -> None:
        form = self.get("/accounts/login/").page.form_with("login")
        response = self.post(
            form.action or "/accounts/login/",
            data=[
                ("csrfmiddlewaretoken", form.value("csrfmiddlewaretoken") or ""),
                ("login", username),
                ("password", DEMO_PASSWORD),
            ],
            expect=302,
        )
        check(
            not response.location.startswith("/accounts/"),
            f"{username}: sign-in led to {response.location}, not into the site",
        )
        home = self.get(response.location or "/")
        check(
            "/accounts/logout/" in home.text,
            f"{username}: the home page offers no sign-out",
        )


def multipart(
    fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    boundary = f"----smoke{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
            f"\r\n\r\n{value}\r\n".encode()
        )
    for name, (filename, content, content_type) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        )
        out.write(content)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def poll(
    client: Client, path: str, *, timeout: float = POLL_TIMEOUT_SECONDS
) -> tuple[dict, int]:
    """GET a status.json until it says finished; returns it and the number of
    polls (more than one: the work was still going on when the page asked)."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        polls += 1
        status = client.get(path).json
        if status.get("finished"):
            return status, polls
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{path} not finished after {timeout:.0f} s: {status}")
        time.sleep(0.5)


# --- the processes --------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: get SIGKILL if the smoke process itself is killed, so not even
    ``kill -9`` of the driver leaves a server behind."""
    PR_SET_PDEATHSIG = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Stack:
    """Processes started by the smoke run, each in its own process group."""

    def __init__(self, work: Path):
        self.work = work
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]):
        log = (self.work / f"{name}.log").open("wb")
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def run(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        """Run a one-off command to the end; a failure shows its log's tail."""
        proc = self.start(name, argv, env)
        self.wait(name, proc)

    def wait(self, name: str, proc: subprocess.Popen) -> None:
        code = proc.wait()
        if code != 0:
            tail = (self.work / f"{name}.log").read_text(errors="replace")[-2000:]
            raise SmokeFailure(f"{name} exited with {code}:\n{tail}")

    def alive(self, name: str) -> None:
        for proc_name, proc in self.procs:
            if proc_name == name and proc.poll() is not None:
                raise SmokeFailure(f"{name} stopped (exit {proc.returncode})")

    def stop(self) -> list[str]:
        """SIGTERM every running group, SIGKILL what is left after the grace."""
        running = [(n, p) for n, p in self.procs if p.poll() is None]
        for _name, proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        killed = []
        for name, proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(name)
            # Children that outlived their leader (a forked job) go too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        return killed


def stack_environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "TASKS_BACKEND": "rq",
        # Plain HTTP on loopback: no redirect to https, cookies without Secure.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "MFA_ENFORCED": "0",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # A five-row roster counts as large: its import runs on a task worker.
        "ROSTER_IMPORT_SYNC_MAX_ROWS": "2",
        "LOG_FORMAT": "plain",
        "PYTHONUNBUFFERED": "1",
    }


def worker_argv(env: dict[str, str]) -> list[str]:
    """One task worker, exactly as a deployment starts it (cms.deploy)."""
    os.environ.update(
        {k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "PII_HASH_KEY")}
    )
    for name in ("ALLOWED_HOSTS", "REDIS_URL", "TASKS_BACKEND", "DATABASE_URL"):
        os.environ[name] = env[name]
    from cms.deploy import worker_command

    return worker_command(sys.executable)


def gunicorn_argv() -> list[str]:
    return [
        str(VENV_BIN / "gunicorn"),
        "cms.wsgi",
        "--workers",
        str(WEB_WORKERS),
        "--bind",
        f"{HOST}:{PORT}",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        # Gunicorn 27 opens ~/.gunicorn/gunicorn.ctl by default; another server on
        # this machine (make bench-storm) would fight over it.
        "--no-control-socket",
    ]


def database(action: str) -> None:
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            if action == "create":
                admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    except psycopg.OperationalError as exc:
        raise SmokeFailure(f"PostgreSQL at {PG_SERVER}: {exc}") from exc


def redis_flush() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        raise SmokeFailure(f"Redis at {REDIS_URL}: {exc}") from exc


def port_free() -> None:
    with socket.socket() as probe:
        probe.settimeout(1)
        taken = probe.connect_ex((HOST, PORT)) == 0
    check(not taken, f"something already listens on {HOST}:{PORT}")


def wait_for_health(stack: Stack, base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.alive("gunicorn")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200 and json.loads(r.read())["status"] == "ok":
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SmokeFailure(f"{base}/healthz did not answer ok within {timeout:.0f} s")


# --- the flow -------------------------------------------------------------------------


@dataclass
class World:
    """What one step leaves for the next."""

    base: str
    work: Path
    coordinator: Client
    learner: Client
    leader: Client
    new_person_ids: list[str] = field(default_factory=list)
    course_url: str = ""
    lessons: list[dict] = field(default_factory=list)
    hours_before: str = ""


def step_roster_import(w: World) -> str:
    c = w.coordinator
    c.sign_in("coordinator")
    page = c.get("/roster/").page
    form = page.form("roster-upload-form")
    template = c.get("/roster/template.xlsx")
    check(
        "spreadsheetml" in template.headers.get("content-type", ""),
        "the roster template is not an XLSX file",
    )
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template.body))
    ws = wb.worksheets[0]
    header = [cell.value for cell in ws[1]]
    for index, (name, category) in enumerate(NEW_PEOPLE, start=1):
        row = {
            "工号": f"{NEW_EMPLOYEE_PREFIX}{index:02d}",
            "姓名": name,
            "单位代码": NEW_UNIT_CODE,
            "人员类别": category,
            "入职日期": "2026-09-01",
        }
        ws.append([row.get(column) for column in header])
    upload = io.BytesIO()
    wb.save(upload)
    response = c.post(
        form.action or "/roster/",
        data=[f for f in form.fields if f[0] == "csrfmiddlewaretoken"],
        files={"file": ("新进人员名册.xlsx", upload.getvalue(), XLSX)},
        expect=302,
    )
    detail_path = response.location
    check(re.fullmatch(r"/roster/\d+/", detail_path), f"upload led to {detail_path}")
    status, polls = poll(c, f"{detail_path}status.json")
    check(status["status"] == "succeeded", f"roster import ended {status}")
    page = c.get(detail_path).page
    check(page.has("roster-success"), "the import page does not report success")
    people = c.get(f"/people/?q={NEW_EMPLOYEE_PREFIX}").page.text
    missing = [name for name, _category in NEW_PEOPLE if name not in people]
    check(not missing, f"the people list lacks {missing}")
    where = "in the background" if polls > 1 else "by the time the page asked"
    return f"{status['total_rows']} people imported {where} ({polls} polls)"


def step_assign(w: World) -> str:
    c = w.coordinator
    form = c.get("/assign/").page.form("assign-form")
    course_id = form.choice("course", COURSE_TITLE)
    due_on = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    base = [
        (k, v)
        for k, v in form.fields
        if k not in {"course", "target", "people_query", "due_on", "reason"}
    ] + [
        ("course", course_id),
        ("target", "people"),
        ("due_on", due_on),
        ("reason", "冒烟测试：新进人员必修课程"),
    ]
    if form.value("required") is None:
        base.append(("required", "on"))
    chosen: list[str] = []
    for query in (NEW_EMPLOYEE_PREFIX, "learner"):
        page = c.post(
            "/assign/",
            data=[
                *base,
                *(("people", pk) for pk in chosen),
                ("people_query", query),
                ("action", "find"),
            ],
        ).page
        found = [v for v, _l in page.form("assign-form").choices.get("people", [])]
        chosen = list(dict.fromkeys([*chosen, *found]))
    check(
        len(chosen) == len(NEW_PEOPLE) + 1,
        f"the person search found {len(chosen)} people, expected {len(NEW_PEOPLE) + 1}",
    )
    choice = [*base, *(("people", pk) for pk in chosen), ("people_query", "")]
    page = c.post("/assign/", data=[*choice, ("action", "preview")]).page
    total = page.text_of("preview-total").split()[0]
    check(total == str(len(chosen)), f"the preview says {total} people")
    preview_of = page.form("assign-form").value("preview_of")
    check(preview_of, "the preview offers no confirmation")
    response = c.post(
        "/assign/",
        data=[*choice, ("preview_of", preview_of), ("action", "confirm")],
        expect=302,
    )
    status_path = response.location
    check(re.fullmatch(r"/assign/\d+/", status_path), f"confirm led to {status_path}")
    status, polls = poll(c, f"{status_path}status.json")
    check(status["status"] == "done", f"the assignment ended {status}")
    check(
        status["created"] + status["updated"] == len(chosen),
        f"the assignment enrolled {status}",
    )
    c.get(status_path)
    return (
        f"{COURSE_TITLE} → {status['total']} people, {status['created']} new "
        f"enrolments, run on a worker ({polls} polls)"
    )


def step_learner_starts(w: World) -> str:
    learner = w.learner
    learner.sign_in("learner")
    learning = learner.get("/learning/")
    page = learning.page
    w.hours_before = page.text_of("credit-hours-year").split()[0]
    assigned = page.text_of("learning-assigned")
    check(COURSE_TITLE in assigned, "the assigned course is not in “assigned to me”")
    link = re.search(rf'<a href="([^"]+)">{re.escape(COURSE_TITLE)}</a>', learning.text)
    check(link, "no link to the assigned course")
    w.course_url = link.group(1)
    course_html = learner.get(w.course_url).text
    lesson_urls = list(
        dict.fromkeys(
            re.findall(rf'href="({re.escape(w.course_url)}[^"#?]+/)"', course_html)
        )
    )
    check(lesson_urls, "the course page lists no lesson links")
    for url in lesson_urls:
        lesson = learner.get(url).page
        check(lesson.attr("lesson", "data-tracking") == "1", f"{url} is not tracked")
        w.lessons.append(
            {
                "url": url,
                "read_url": lesson.attr("lesson", "data-read-url"),
                "seconds": int(lesson.attr("lesson", "data-reading-seconds") or 0),
                "opened": time.monotonic(),
            }
        )
    early = learner.post(w.lessons[0]["read_url"], json_body={}, expect=400).json
    check(early.get("error") == "too_soon", f"an early “read” got {early}")
    longest = max(lesson["seconds"] for lesson in w.lessons)
    return (
        f"{len(w.lessons)} lessons opened (reading time up to {longest} s); "
        "“read” refused before it"
    )


def step_exam(w: World) -> str:
    learner = w.learner
    exams = learner.get("/exams/").text
    quiz_path, quiz = None, None
    for path in dict.fromkeys(QUIZ_LINK.findall(exams)):
        page = learner.get(path).page
        if page.has("start-form") and not page.has("past-attempts"):
            quiz_path, quiz = path, page
            break
    check(quiz is not None, "no exam the learner has not sat yet")
    start = quiz.form("start-form")
    attempt_path = learner.submit(start, expect=303).location
    check(attempt_path.startswith("/attempts/"), f"start led to {attempt_path}")
    html = learner.get(attempt_path).text
    page = Page(html)
    check(page.attr("attempt-form", "data-remaining"), "the exam shows no countdown")
    answer_url = page.attr("attempt-form", "data-answer-url")
    items = re.findall(r'data-position="(\d+)" data-qtype="(\w+)"', html)
    check(items, "the exam page shows no questions")
    for position, qtype in items:
        keys = re.findall(rf'name="q-{position}" value="([^"]+)"', html)
        blanks = len(re.findall(rf'name="q-{position}-\d+"', html))
        if qtype in {"single", "true_false"}:
            response = keys[0]
        elif qtype == "multiple":
            response = keys[:2]
        elif qtype == "fill":
            response = ["公正"] * blanks
        else:
            response = "忠诚、公正、清廉、文明：以法律监督守护公平正义。"
        saved = learner.post(
            answer_url,
            json_body={"position": int(position), "response": response, "seq": 1},
        ).json
        check(saved.get("ok") and saved.get("seq") == 1, f"autosave got {saved}")
    # A reload (another device) shows every answer as saved.
    reloaded = learner.get(attempt_path).page
    answered = reloaded.text_of("answered-count")
    check(answered == str(len(items)), f"{answered} of {len(items)} answers kept")
    submit = reloaded.form("attempt-form")
    review_path = learner.submit(
        submit, extra=[("action", "submit")], expect=303
    ).location
    result = learner.get(review_path).page
    check(result.has("result-summary"), "the result page shows no result")
    if result.has("result-score"):
        outcome = f"score {result.text_of('result-score')}"
        if result.has("result-verdict"):
            outcome += f", {result.text_of('result-verdict')}"
    else:
        check(result.has("awaiting-grading"), "neither a score nor “awaiting grading”")
        outcome = "awaiting grading of the short answers"
    return f"{len(items)} answers autosaved, submitted: {outcome} ({quiz_path})"


def step_certificates(w: World) -> str:
    c = w.coordinator
    programmes = dict.fromkeys(PROGRAMME_LINK.findall(c.get("/programmes/").text))
    batch_path, tried = None, 0
    for path in programmes:
        page = c.get(path).page
        if "programme-certificates-batch" not in page.forms:
            continue
        tried += 1
        response = c.submit(page.form("programme-certificates-batch"), expect=302)
        # Back to the programme means "nobody is waiting for a certificate here".
        if re.fullmatch(r"/certificates/batches/\d+/", response.location):
            batch_path = response.location
            break
    check(batch_path, f"none of {tried} programmes had people waiting")
    status, polls = poll(c, f"{batch_path}status.json", timeout=150)
    check(status["status"] == "done", f"the batch ended {status}")
    check(status["errors"] == 0, f"the batch had errors: {status}")
    check(status["issued"] >= 1, f"the batch issued nothing: {status}")
    detail = c.get(batch_path).text
    table = detail.partition('id="batch-certificates"')[2]
    codes = CERTIFICATE_LINK.findall(table)
    check(codes, "the batch page lists no certificate")
    pdf = c.get(f"/certificates/{codes[0]}/download/")
    check(pdf.body.startswith(b"%PDF"), "the download is not a PDF")
    check(
        pdf.headers.get("content-type", "").startswith("application/pdf"),
        f"the download is {pdf.headers.get('content-type')}",
    )
    verified = Client(w.base).get(f"/certificates/verify/{codes[0]}/").page
    check(
        verified.attr("verify-status", "data-status") == "valid",
        "public verification does not say valid",
    )
    return (
        f"batch of {status['total']}: {status['issued']} issued, "
        f"{status['skipped']} skipped on a worker ({polls} polls); "
        f"PDF {len(pdf.body) // 1024} KB verified publicly"
    )


def step_export(w: World) -> str:
    leader = w.leader
    leader.sign_in("leader")
    page = leader.get("/reports/").page
    export = leader.submit(page.form("export-people-all"), expect=302).location
    check(re.fullmatch(r"/reports/exports/\d+/", export), f"export led to {export}")
    status, polls = poll(leader, f"{export}status.json")
    check(status["status"] == "done", f"the export ended {status}")
    download = leader.get(f"{export}download/")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(download.body), read_only=True)
    rows = sum(1 for ws in wb.worksheets for _row in ws.iter_rows())
    check(rows > 1, "the export has no data rows")
    return f"{status['total']} people exported on a worker ({polls} polls), {rows} rows"


def step_learner_completes(w: World) -> str:
    learner = w.learner
    waited = 0.0
    for lesson in w.lessons:
        # The server measures from its own clock; one second of slack for the
        # request that opened the lesson.
        due = lesson["opened"] + lesson["seconds"] + 1
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
            waited += delay
    completed = []
    for lesson in w.lessons:
        result = learner.post(lesson["read_url"], json_body={}).json
        check(result.get("completed"), f"“read” got {result}")
        completed.append(result.get("course_completed"))
    check(completed[-1], "the last lesson did not complete the course")
    page = learner.get("/learning/").page
    check(
        COURSE_TITLE in page.text_of("learning-completed"),
        "the course is not under “completed”",
    )
    hours = page.text_of("credit-hours-year").split()[0]
    check(
        float(hours) > float(w.hours_before),
        f"credit hours this year stayed at {hours}",
    )
    return (
        f"waited {waited:.0f} s of reading time; course completed, credit hours "
        f"{w.hours_before} → {hours}"
    )


def step_worker_logs(w: World) -> str:
    """The background work of the steps above ran as RQ jobs on the workers."""
    started: dict[str, int] = {}
    ok = 0
    for log in sorted(w.work.glob("worker*.log")):
        text = log.read_text(errors="replace")
        ok += len(RQ_JOB_OK.findall(text))
        for task in RQ_JOB_START.findall(text):
            started[task] = started.get(task, 0) + 1
    missing = [task for task in BACKGROUND_TASKS if task not in started]
    check(not missing, f"no RQ worker ran {', '.join(missing)}")
    total = sum(started.values())
    check(ok == total, f"{total} RQ jobs started, {ok} finished OK")
    return f"{total} jobs, all OK, including {', '.join(BACKGROUND_TASKS)}"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What steps 1, 2, 5 and 6 hand to the workers.
BACKGROUND_TASKS = (
    "training.org.services.roster.run.roster_import_task",
    "courses.services.enrolment.assignment_run_task",
    "training.certificates.services.batches.certificate_batch_task",
    "training.reports.export_run.report_export_task",
)
RQ_JOB_START = re.compile(r" default: ([\w.]+)\(")
RQ_JOB_OK = re.compile(r" default: Job OK ")

STEPS = (
    ("coordinator imports a roster", step_roster_import),
    ("coordinator assigns a course", step_assign),
    ("learner opens the course", step_learner_starts),
    ("learner sits the exam", step_exam),
    ("coordinator issues certificates", step_certificates),
    ("leader exports people", step_export),
    ("learner completes the course", step_learner_completes),
    ("task workers' logs", step_worker_logs),
)


def log_problems(work: Path) -> list[str]:
    problems = []
    for log in sorted(work.glob("*.log")):
        if log.stem in {"migrate", "collectstatic", "seed_demo"}:
            continue
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            problems.append(f"{log.name} has a traceback")
        if log.stem == "gunicorn":
            errors = ACCESS_5XX.findall(text)
            if errors:
                problems.append(f"gunicorn answered {len(errors)} request(s) with 5xx")
    return problems


# --- the run --------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, flush=True)


def timed(label: str, started: float, fn, *args):
    begin = time.monotonic()
    try:
        detail = fn(*args)
    except Exception as exc:
        say(f"FAIL  {label} [{time.monotonic() - begin:.1f} s]: {exc}")
        exc.reported = True
        raise
    elapsed = time.monotonic() - begin
    say(
        f"ok    {label}: {detail} "
        f"[{elapsed:.1f} s, at {time.monotonic() - started:.0f} s]"
    )
    return detail


def bring_up(stack: Stack, env: dict[str, str], started: float) -> None:
    def prepare() -> str:
        port_free()
        database("create")
        redis_flush()
        migrate = stack.start(
            "migrate", [sys.executable, "manage.py", "migrate", "--noinput"], env
        )
        static = stack.start(
            "collectstatic",
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            env,
        )
        stack.wait("migrate", migrate)
        stack.wait("collectstatic", static)
        return f"fresh database {DB_NAME} migrated, static files collected"

    def seed_and_serve() -> str:
        # seed_demo refuses to run without DEBUG: the development settings, on the
        # same database, media, Redis and keys. It imports its people in-process.
        seed_env = {**env, "DJANGO_SETTINGS_MODULE": "cms.settings.dev"}
        del seed_env["ROSTER_IMPORT_SYNC_MAX_ROWS"]
        seed = stack.start(
            "seed_demo", [sys.executable, "manage.py", "seed_demo"], seed_env
        )
        stack.start("gunicorn", gunicorn_argv(), env)
        argv = worker_argv(env)
        for number in range(1, TASK_WORKERS + 1):
            stack.start(f"worker{number}", argv, env)
        stack.wait("seed_demo", seed)
        wait_for_health(stack, f"http://{HOST}:{PORT}")
        for number in range(1, TASK_WORKERS + 1):
            stack.alive(f"worker{number}")
        return (
            f"demo seeded; gunicorn -w {WEB_WORKERS} on {HOST}:{PORT} healthy, "
            f"{TASK_WORKERS} × {' '.join(Path(a).name for a in argv[1:3])}"
        )

    timed("migrate + collectstatic", started, prepare)
    timed("seed_demo + start the stack", started, seed_and_serve)


def _raise_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


class TimeLimit(Exception):
    pass


def _time_limit(_signum, _frame):
    raise TimeLimit("the run took longer than its time limit")


def run(keep_logs: bool, time_limit: int) -> int:
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGALRM, _time_limit)
    signal.alarm(time_limit)
    work = Path(tempfile.mkdtemp(prefix="prod-smoke-"))
    env = stack_environment(work)
    stack = Stack(work)
    base = f"http://{HOST}:{PORT}"
    failed = True
    say(f"prod-smoke: logs in {work}")
    try:
        bring_up(stack, env, started)
        world = World(
            base=base,
            work=work,
            coordinator=Client(base),
            learner=Client(base),
            leader=Client(base),
        )
        for number, (label, fn) in enumerate(STEPS, start=1):
            timed(f"{number}. {label}", started, fn, world)
        for name in ("gunicorn", *(f"worker{n}" for n in range(1, TASK_WORKERS + 1))):
            stack.alive(name)
        failed = False
    except (SmokeFailure, TimeLimit) as exc:
        if not getattr(exc, "reported", False):
            say(f"FAIL  {exc}")
    except Exception:
        traceback.print_exc()
    finally:
        signal.alarm(0)
        killed = stack.stop()
        problems = log_problems(work)
        if killed:
            problems.append(f"needed SIGKILL: {', '.join(killed)}")
        for problem in problems:
            say(f"FAIL  {problem}")
        failed = failed or bool(problems)
        with contextlib.suppress(Exception):
            database("drop")
        with contextlib.suppress(Exception):
            redis_flush()
        for big in ("static", "media"):
            shutil.rmtree(work / big, ignore_errors=True)
        if failed or keep_logs:
            say(f"prod-smoke: logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        say(
            f"prod-smoke: {'FAILED' if failed else 'passed'} in "
            f"{time.monotonic() - started:.0f} s; stack stopped, {DB_NAME} dropped, "
            "Redis db 8 flushed"
        )
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the logs after a passing run"
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=420,
        help="seconds before the run gives up and stops everything (default 420)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="run N times, print the median time"
    )
    args = parser.parse_args()
    times, code = [], 0
    for _ in range(args.repeat):
        begin = time.monotonic()
        code = run(args.keep_logs, args.time_limit) or code
        times.append(time.monotonic() - begin)
    if args.repeat > 1:
        say(
            f"prod-smoke: {args.repeat} runs, "
            f"{', '.join(f'{t:.0f}' for t in times)} s; "
            f"median {statistics.median(times):.0f} s"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
