"""Enqueueing that survives a queue outage, and the RQ backend production uses.

Every background job of ours has a durable row (an assignment, a roster import, a
certificate batch, an export) or is redone by a nightly job, so a job that could
not be queued is not lost: ``task_enqueue_or_defer`` leaves the row pending, the
page shows it waiting, and the scheduler's resume jobs (cms/scheduler.py) queue it
once Redis is back.

Wagtail queues its own small tasks (reference index, search index) from model
``post_save`` handlers, inside the writer's transaction. ``RQBackend`` pushes such
jobs to Redis only when that transaction commits (a worker could otherwise run one
before the row exists), and runs them in the request while Redis is down, as the
immediate backend would, so no save fails because of the queue.
"""

from __future__ import annotations

import contextvars
import logging

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_rq import RQBackend as BaseRQBackend
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Set while task_enqueue_or_defer enqueues: the caller keeps a durable row and
# wants the outage reported to it instead of the task run in the request.
_defer_on_outage: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "defer_on_outage", default=False
)


def task_enqueue_or_defer(task: Task, *args, **kwargs) -> TaskResult | None:
    """``task.enqueue(...)``, or None (logged) when the queue cannot be reached."""
    token = _defer_on_outage.set(True)
    try:
        return task.enqueue(*args, **kwargs)
    except RedisError:
        logger.warning(
            "Task queue unreachable; %s deferred to the scheduler's resume job",
            task.module_path,
            exc_info=True,
            extra={"task": task.module_path},
        )
        return None
    finally:
        _defer_on_outage.reset(token)


class RQBackend(BaseRQBackend):
    """django-tasks-rq, pushing after commit and running in-process without Redis."""

    def enqueue(self, task, args, kwargs):
        if _defer_on_outage.get():
            # Our callers enqueue from on_commit already and handle the outage.
            return super().enqueue(task, args, kwargs)
        if transaction.get_connection().in_atomic_block:
            self.validate_task(task)
            pending = TaskResult(
                task=task,
                id=get_random_id(),
                status=TaskResultStatus.READY,
                enqueued_at=None,
                started_at=None,
                last_attempted_at=None,
                finished_at=None,
                args=args,
                kwargs=kwargs,
                backend=self.alias,
                errors=[],
                worker_ids=[],
            )
            transaction.on_commit(lambda: self._push_or_run(task, args, kwargs))
            return pending
        return self._push_or_run(task, args, kwargs)

    def _push_or_run(self, task, args, kwargs) -> TaskResult:
        try:
            return super().enqueue(task, args, kwargs)
        except RedisError:
            logger.warning(
                "Task queue unreachable; running %s in this process",
                task.module_path,
                exc_info=True,
                extra={"task": task.module_path},
            )
            return _immediate(self.alias).enqueue(task, args, kwargs)


_immediate_backends: dict[str, ImmediateBackend] = {}


def _immediate(alias: str) -> ImmediateBackend:
    if alias not in _immediate_backends:
        _immediate_backends[alias] = ImmediateBackend(alias, {"QUEUES": []})
    return _immediate_backends[alias]
