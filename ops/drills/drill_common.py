"""Shared by the fault drills: a throwaway PostgreSQL database and media directory,
Django set up in this process against them, and task workers as child processes
(``manage.py db_worker``, the database task backend) that a drill can SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
sys.path.insert(0, str(ROOT))


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)


def drill_environment(db: str) -> dict[str, str]:
    """A fresh database ``db`` and media directory; the environment of this process
    and of the workers it starts."""
    admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
    media = tempfile.mkdtemp(prefix=f"jcpx-{db}-media-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": f"{PG}/{db}",
        "MEDIA_ROOT": media,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    manage(env, "migrate", "--noinput", "-v", "0")
    import django

    django.setup()
    return env


def drop(db: str) -> None:
    """Drop the database and the media directory ``drill_environment`` made."""
    from django.db import connections

    connections.close_all()
    admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    media = os.environ.get("MEDIA_ROOT", "")
    if Path(media).name.startswith(f"jcpx-{db}-media-"):
        shutil.rmtree(media, ignore_errors=True)


def manage(env: dict, *argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our interpreter, our arguments
        [PYTHON, "manage.py", *argv], cwd=ROOT, env=env, check=True, **kwargs
    )


def worker_start(env: dict, *, batch: bool = False) -> subprocess.Popen:
    argv = [PYTHON, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"]
    # No autoreloader (on by default with DEBUG): one process, the one we kill.
    argv.append("--no-reload")
    if batch:
        argv.append("--batch")
    return subprocess.Popen(  # noqa: S603
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def worker_kill(worker: subprocess.Popen) -> None:
    """SIGKILL: no handler runs, no transaction commits, like an OOM kill or a
    power cut of the worker's machine."""
    os.killpg(worker.pid, signal.SIGKILL)  # its own session: the whole group
    worker.wait()


def wait_for(condition, *, timeout: float, every: float = 0.05, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out waiting for {what or condition}")
