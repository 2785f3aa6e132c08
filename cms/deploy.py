"""How to start the processes of a deployment, in one place.

docs/deploy.md shows the same commands as systemd units; benchmarks and tests that
start real workers import them from here so they follow the configured backend.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DB_BACKEND = "django_tasks_db.DatabaseBackend"
RQ_BACKENDS = {"django_tasks_rq.RQBackend", "cms.tasks.RQBackend"}
# django-tasks-rq runs each job through its own Job class, which calls the task's
# function and fires the task signals; plain rq jobs would refuse the task path.
RQ_JOB_CLASS = "django_tasks_rq.Job"


def _manage_argv(python: str, command: str) -> list[str]:
    # --settings must follow the subcommand: manage.py takes argv[1] as its name.
    argv = [python, str(settings.BASE_DIR / "manage.py"), command]
    if settings.SETTINGS_MODULE:
        argv.append(f"--settings={settings.SETTINGS_MODULE}")
    return argv


def worker_command(python: str) -> list[str]:
    """The argv that starts one task worker for the configured default backend.

    ``python`` is the interpreter of the virtualenv (``.venv/bin/python``). Start as
    many of these as the host has cores for background work; they share the queue.
    """
    backend = settings.TASKS["default"]["BACKEND"]
    queues = list(settings.TASKS["default"].get("QUEUES") or ["default"])
    if backend in RQ_BACKENDS:
        # --with-scheduler moves tasks enqueued with run_after onto the queue when
        # due; rq takes a lock per queue, so any number of workers may carry it.
        return [
            *_manage_argv(python, "rqworker"),
            *queues,
            "--job-class",
            RQ_JOB_CLASS,
            "--with-scheduler",
        ]
    if backend == DB_BACKEND:
        return [
            *_manage_argv(python, "db_worker"),
            "--queue-name",
            ",".join(queues),
            "--no-reload",
        ]
    raise ImproperlyConfigured(
        f"Tasks backend {backend!r} has no worker process (tasks run in the request "
        "or not at all); use the database or RQ backend."
    )


def scheduler_command(python: str) -> list[str]:
    """The argv that starts the job scheduler (one per app server is fine)."""
    return _manage_argv(python, "run_scheduler")
