"""Production settings pass ``check --deploy`` when given real values, refuse to
start without their secrets, pick the task backend from the environment, serve
hashed static files with long cache headers, and survive a Redis outage."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from cms.tasks import task_enqueue_or_defer
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3J9vQ2xL7pR1sT8wY4zA6bC0dE5fG2hI9jK1lM3nO7pQ4rS8tU"
# Nothing listens on port 1: connecting fails at once, as with Redis stopped.
REDIS_DOWN = "redis://127.0.0.1:1/7"


def _run(argv, env):
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _manage(*args, env):
    return _run(["manage.py", *args], env)


def _prod_env(tmp_path=None, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "PII_HASH_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "TASKS_BACKEND",
            "LOG_FORMAT",
            "DB_CONN_MAX_AGE",
        }
    }
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.prod"
    if tmp_path is not None:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    env.update(extra)
    return env


def _real_values(tmp_path, **extra):
    return _prod_env(
        tmp_path,
        SECRET_KEY=SECRET,
        PII_HASH_KEY="a-real-hmac-key-for-id-numbers",
        ALLOWED_HOSTS="peixun.example.cn",
        **extra,
    )


def _settings_json(env) -> dict:
    script = (
        "import django, json, sys; django.setup()\n"
        "from django.conf import settings as s\n"
        "from cms.deploy import worker_command\n"
        "json.dump({'tasks': s.TASKS['default']['BACKEND'],"
        " 'apps': s.INSTALLED_APPS,"
        " 'rq': getattr(s, 'RQ_QUEUES', None),"
        " 'session': s.SESSION_ENGINE,"
        " 'conn_max_age': s.DATABASES['default']['CONN_MAX_AGE'],"
        " 'health': s.DATABASES['default']['CONN_HEALTH_CHECKS'],"
        " 'formatter': s.LOGGING['handlers']['console']['formatter'],"
        " 'worker': worker_command('py')}, sys.stdout)\n"
    )
    result = _run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_with_real_values(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=_real_values(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_redis_and_rq(tmp_path):
    # The RQ backend's own checks (django_rq installed, queues configured) pass;
    # the checks do not need Redis to be up.
    env = _real_values(tmp_path, REDIS_URL=REDIS_DOWN)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_refuses_to_start_without_secrets(tmp_path):
    result = _manage("check", env=_prod_env(tmp_path, ALLOWED_HOSTS="peixun.cn"))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_prod_profile_with_redis(tmp_path):
    found = _settings_json(_real_values(tmp_path, REDIS_URL="redis://10.0.0.5:6379/1"))
    assert found["tasks"] == "cms.tasks.RQBackend"
    assert {"django_rq", "django_tasks_rq"} <= set(found["apps"])
    assert found["rq"]["default"]["URL"] == (
        "redis://10.0.0.5:6379/1?socket_connect_timeout=2"
    )
    assert found["session"] == "django.contrib.sessions.backends.cached_db"
    assert (found["conn_max_age"], found["health"]) == (60, True)
    assert found["formatter"] == "json"
    worker = found["worker"]
    assert worker[:3] == ["py", str(ROOT / "manage.py"), "rqworker"]
    assert "--settings=cms.settings.prod" in worker
    assert worker[worker.index("--job-class") + 1] == "django_tasks_rq.Job"
    assert "default" in worker


def test_prod_profile_without_redis_uses_the_database_queue(tmp_path):
    found = _settings_json(_real_values(tmp_path, LOG_FORMAT="plain"))
    assert found["tasks"] == "django_tasks_db.DatabaseBackend"
    assert "django_rq" not in found["apps"]
    assert found["session"] == "django.contrib.sessions.backends.db"
    assert found["formatter"] == "plain"
    assert found["worker"][2:] == [
        "db_worker",
        "--settings=cms.settings.prod",
        "--queue-name",
        "default",
        "--no-reload",
    ]


def test_prod_refuses_rq_without_redis(tmp_path):
    result = _manage("check", env=_real_values(tmp_path, TASKS_BACKEND="rq"))
    assert result.returncode != 0
    assert "TASKS_BACKEND=rq needs REDIS_URL" in result.stderr


def test_hashed_static_files_are_cached_for_a_year(tmp_path):
    env = _real_values(tmp_path, STATIC_ROOT=str(tmp_path / "static"))
    env["ALLOWED_HOSTS"] = "testserver"
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('collectstatic', '--noinput', '-v', '0')\n"
        "from django.contrib.staticfiles.storage import staticfiles_storage as s\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "for name in ('cms/css/site.css',):\n"
        "    url = s.url(name)\n"
        "    r = c.get(url, secure=True, headers={'accept-encoding': 'gzip'})\n"
        "    print(url, r.status_code, r['Cache-Control'],"
        " r.get('Content-Encoding', ''), sep='|')\n"
    )
    result = _run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    url, status, cache_control, encoding = result.stdout.split("|")
    assert url.startswith("/static/cms/css/site.") and url != "/static/cms/css/site.css"
    assert status == "200"
    assert "max-age=315360000" in cache_control and "immutable" in cache_control
    assert encoding.strip() == "gzip"


# --- Redis outage ----------------------------------------------------------------

REDIS_DOWN_CACHE = {
    "default": {
        "BACKEND": "cms.cache.RedisCacheWithFallback",
        "LOCATION": REDIS_DOWN,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}
RQ_DOWN = {
    "TASKS": {"default": {"BACKEND": "cms.tasks.RQBackend", "QUEUES": ["default"]}},
    "RQ_QUEUES": {"default": {"URL": REDIS_DOWN}},
}


@pytest.mark.django_db
@override_settings(
    CACHES=REDIS_DOWN_CACHE,
    SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
)
def test_pages_and_login_work_while_redis_is_down():
    user = UserFactory(username="310100009")
    client = Client()
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": "310100009", "password": PASSWORD}
    )
    assert response.status_code == 302
    # The session was written to the database, so the next request is still
    # logged in though the cache lost it.
    assert client.session.get("_auth_user_id") == str(user.pk)
    assert client.get(reverse("account_change_password")).status_code == 200


@pytest.mark.django_db
@override_settings(CACHES=REDIS_DOWN_CACHE)
def test_rate_limits_still_hold_while_redis_is_down():
    UserFactory(username="310100010")
    client = Client()
    login = reverse("account_login")
    for _attempt in range(5):
        client.post(login, {"login": "310100010", "password": "wrong-1234"})
    # login_failed is 5 per 5 minutes, counted in this process's memory: even the
    # right password is refused now.
    response = client.post(login, {"login": "310100010", "password": PASSWORD})
    refusals = [
        error.code for error in response.context["form"].non_field_errors().as_data()
    ]
    assert refusals == ["too_many_login_attempts"]
    assert client.session.get("_auth_user_id") is None


@pytest.mark.django_db
@override_settings(
    CACHES={
        "default": {
            **REDIS_DOWN_CACHE["default"],
            "BACKEND": "django_redis.cache.RedisCache",
        }
    }
)
def test_plain_ignore_exceptions_would_lock_everyone_out():
    """Why cms.cache exists: allauth's rate-limit lock is cache.add(), which fails
    while Redis is down, and allauth then refuses the login."""
    UserFactory(username="310100011")
    response = Client().post(
        reverse("account_login"), {"login": "310100011", "password": PASSWORD}
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_enqueue_while_redis_is_down_is_deferred_not_failed(caplog):
    from assessments.tasks import close_overdue_attempts_task

    with override_settings(**RQ_DOWN), caplog.at_level(logging.WARNING):
        assert task_enqueue_or_defer(close_overdue_attempts_task) is None
    assert "deferred" in caplog.text
    # With a queue that works, the same call returns the task's result.
    result = task_enqueue_or_defer(close_overdue_attempts_task)
    assert result is not None and result.return_value == 0


@pytest.mark.django_db
def test_other_tasks_wait_for_commit_and_run_in_process_while_redis_is_down(
    caplog, django_capture_on_commit_callbacks
):
    """Wagtail enqueues index updates from post_save, inside the writer's
    transaction: nothing is pushed before commit, and with Redis down the task runs
    here instead of failing the save."""
    from django.db import transaction

    from assessments.tasks import close_overdue_attempts_task

    with override_settings(**RQ_DOWN), caplog.at_level(logging.WARNING):
        with django_capture_on_commit_callbacks() as callbacks:
            with transaction.atomic():
                pending = close_overdue_attempts_task.enqueue()
            assert pending.status == "READY"
            assert "running" not in caplog.text
        # The push waits for the commit (the captured callback)...
        assert len(callbacks) == 1
        # ...and, Redis being down, the task then runs here.
        callbacks[0]()
    assert "running assessments.tasks.close_overdue_attempts_task in this process" in (
        caplog.text
    )


@pytest.mark.django_db
def test_assignment_made_while_redis_is_down_runs_once_it_is_back(
    coordinator, people, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from courses.models import Assignment, Enrollment
    from courses.services import assignment_create, course_catalogue_ensure
    from courses.services.enrolment import assignments_resume_stale
    from tests.courses.conftest import make_course
    from tests.factories.pages import home_page_ensure

    home_page_ensure()
    course = make_course(course_catalogue_ensure())
    ids = [people[code].user.pk for code in ("A1", "A2")]
    with override_settings(**RQ_DOWN):
        with django_capture_on_commit_callbacks(execute=True):
            assignment = assignment_create(
                actor=coordinator,
                course=course,
                user_ids=ids,
                target_kind=Assignment.TargetKind.PEOPLE,
                target_label="甲市院",
            )
        assignment.refresh_from_db()
        assert assignment.status == Assignment.Status.QUEUED
        Assignment.objects.filter(pk=assignment.pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=20)
        )
        # Still down: found, but left waiting for the next run.
        assert assignments_resume_stale() == [assignment.pk]
        assignment.refresh_from_db()
        assert assignment.status == Assignment.Status.QUEUED
    # Redis is back (the test settings' immediate backend runs it at once).
    assert assignments_resume_stale() == [assignment.pk]
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.DONE
    assert Enrollment.objects.filter(course=course, user_id__in=ids).count() == 2
    assert assignments_resume_stale() == []


# --- structured logs ---------------------------------------------------------------


def _record(name="django.request", msg="Internal Server Error: %s", args=("/x/",)):
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


@pytest.mark.django_db
def test_json_log_line_carries_request_status_user_and_exception(rf):
    from django.utils.functional import SimpleLazyObject

    from cms.logging import JsonFormatter

    user = UserFactory(username="310100012")
    request = rf.post("/learning/exam/7/")
    request.user = SimpleLazyObject(lambda: user)
    request.user.pk  # noqa: B018 - the middleware stack had loaded the user
    record = _record(args=("/learning/exam/7/",))
    record.request = request
    record.status_code = 500
    record.task = "training.reports.export_run.report_export_task"
    try:
        raise ValueError("考试已结束")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "django.request"
    assert entry["message"] == "Internal Server Error: /learning/exam/7/"
    assert (entry["method"], entry["path"], entry["status"]) == (
        "POST",
        "/learning/exam/7/",
        500,
    )
    assert entry["user_id"] == user.pk
    assert entry["task"] == "training.reports.export_run.report_export_task"
    assert "ValueError: 考试已结束" in entry["exception"]
    assert entry["time"].endswith("+00:00")


@pytest.mark.django_db
def test_json_log_line_does_not_load_the_user(rf, django_assert_num_queries):
    from django.contrib.auth import get_user
    from django.utils.functional import SimpleLazyObject

    from cms.logging import JsonFormatter

    request = rf.get("/")
    request.session = {}
    request.user = SimpleLazyObject(lambda: get_user(request))
    record = _record(msg="Not Found: /", args=())
    record.request = request
    with django_assert_num_queries(0):
        entry = json.loads(JsonFormatter().format(record))
    assert "user_id" not in entry and entry["path"] == "/"


def test_json_logging_is_configured_in_prod(tmp_path):
    env = _real_values(tmp_path)
    script = (
        "import django, logging; django.setup()\n"
        "logging.getLogger('cms.test').warning('配置 %s', 'ok', extra={'job': 'x'})\n"
    )
    result = _run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "配置 ok" and entry["job"] == "x"
    assert entry["level"] == "WARNING" and entry["logger"] == "cms.test"


@pytest.mark.django_db
def test_large_roster_import_that_missed_the_queue_is_queued_later():
    import datetime as dt

    from django.utils import timezone

    from training.org.models import RosterImport
    from training.org.services.roster.run import roster_imports_resume_stale

    def upload(rows, minutes_ago):
        record = RosterImport.objects.create(
            file="roster_imports/2026/12/x.xlsx", original_name="x.xlsx"
        )
        RosterImport.objects.filter(pk=record.pk).update(
            total_rows=rows,
            created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        )
        return record

    waiting = upload(5000, 3)
    upload(5000, 0)  # its on_commit enqueue may still be on the way
    upload(10, 3)  # small files are imported in the request, never queued
    with override_settings(**RQ_DOWN):
        assert roster_imports_resume_stale() == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.task_id == ""  # still waiting: tried again next time
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        assert roster_imports_resume_stale() == [waiting.pk]
    waiting.refresh_from_db()
    assert waiting.task_id
    assert roster_imports_resume_stale() == []
