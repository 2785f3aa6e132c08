"""Periodic jobs, run by ``manage.py run_scheduler`` on every app server at once.

Each job has slots (every minute, every five minutes, daily at 08:00 Asia/Shanghai).
Whoever inserts the ``ScheduledRun`` row of a slot runs it; the unique constraint
makes every other scheduler skip that slot, so N servers give N-fold availability
and still one run per slot.

Jobs run in the scheduler process through their management command (the same one
an operator runs by hand), not as queued tasks: the run row then says whether the
job worked and what it printed, a queue outage cannot swallow them (the resume jobs
exist for exactly that case), and all of them are cheap sweeps except the nightly
recompute, which a task worker would not run any faster. In the long-running loop
each job runs in its own thread, so the nightly recompute does not hold up the
every-minute sweep.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass

from django.core.management import call_command
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from cms.models import ScheduledRun

logger = logging.getLogger(__name__)

OUTPUT_KEEP = 10_000  # characters of a job's output kept on its run row
KEEP_RUNS = dt.timedelta(days=30)


@dataclass(frozen=True)
class Job:
    """``commands`` run in order, each as management-command argv; the first that
    fails stops the rest. Give ``every`` (slots aligned on local midnight) or
    ``at`` (daily, local time)."""

    name: str
    commands: tuple[tuple[str, ...], ...]
    every: dt.timedelta | None = None
    at: dt.time | None = None
    # A daily slot is still run this long after its time (the scheduler was down at
    # 08:00 and is back at 09:00); later it is skipped, not run at the wrong time.
    grace: dt.timedelta = dt.timedelta(hours=6)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.at is None):
            raise ValueError(f"Job {self.name}: give exactly one of every= and at=")

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot ``now`` falls in (an aware, local datetime)."""
        local = timezone.localtime(now)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.every is not None:
            return midnight + ((local - midnight) // self.every) * self.every
        start = local.replace(
            hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0
        )
        return start if start <= local else start - dt.timedelta(days=1)

    def due_slot(self, now: dt.datetime) -> dt.datetime | None:
        slot = self.slot(now)
        window = self.every if self.every is not None else self.grace
        return slot if now - slot < window else None

    @property
    def schedule(self) -> str:
        if self.every is not None:
            return f"every {int(self.every.total_seconds() // 60)} min"
        return f"daily {self.at:%H:%M}"


MINUTE = dt.timedelta(minutes=1)
FIVE_MINUTES = dt.timedelta(minutes=5)

JOBS: tuple[Job, ...] = (
    # Exam attempts past their deadline are closed and graded.
    Job("close_overdue_attempts", (("close_overdue_attempts",),), every=MINUTE),
    # Background work whose worker died, or that never reached the queue because
    # Redis was down, is queued again.
    Job(
        "resume_certificate_batches",
        (("resume_certificate_batches",),),
        every=FIVE_MINUTES,
    ),
    Job("resume_report_exports", (("resume_report_exports",),), every=FIVE_MINUTES),
    Job("resume_roster_imports", (("resume_roster_imports",),), every=FIVE_MINUTES),
    Job("resume_assignments", (("resume_assignments",),), every=FIVE_MINUTES),
    # Cycles past their due date become 未达标 before anyone looks at the day's
    # dashboards or reminders.
    Job("mark_overdue", (("mark_overdue",),), at=dt.time(0, 10)),
    # The full recompute (new rules, moved units, missed refreshes), then the
    # roll-ups of current cycles recounted from the status rows.
    Job(
        "recompute_compliance",
        (("recompute_compliance",), ("rebuild_rollups",)),
        at=dt.time(2, 0),
    ),
    Job("send_reminders", (("send_reminders",),), at=dt.time(8, 0)),
)


def scheduler_host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def jobs_due(jobs: tuple[Job, ...], now: dt.datetime) -> list[tuple[Job, dt.datetime]]:
    """The jobs whose current slot nobody has claimed yet."""
    due = [(job, slot) for job in jobs if (slot := job.due_slot(now)) is not None]
    if not due:
        return []
    claimed = set(
        ScheduledRun.objects.filter(
            job__in=[job.name for job, _slot in due],
            slot_start__in=[slot for _job, slot in due],
        ).values_list("job", "slot_start")
    )
    return [(job, slot) for job, slot in due if (job.name, slot) not in claimed]


def scheduled_run_claim(
    *, job: Job, slot_start: dt.datetime, host: str
) -> ScheduledRun | None:
    """The run row when this scheduler won the slot, None when another did."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(
                job=job.name,
                slot_start=slot_start,
                started_at=timezone.now(),
                host=host[:255],
            )
    except IntegrityError:
        return None


def scheduled_run_execute(*, run: ScheduledRun, job: Job) -> ScheduledRun:
    """Run the job's commands and record the outcome; never raises, so one broken
    job cannot stop the scheduler."""
    output = io.StringIO()
    extra = {"job": job.name, "slot": run.slot_start.isoformat()}
    logger.info("Scheduled job %s started", job.name, extra=extra)
    try:
        for argv in job.commands:
            call_command(*argv, stdout=output, stderr=output)
    except BaseException as exc:  # SystemExit from CommandError counts too
        run.ok = False
        run.error = "".join(traceback.format_exception(exc))[-OUTPUT_KEEP:]
        logger.error("Scheduled job %s failed", job.name, exc_info=True, extra=extra)
        if isinstance(exc, KeyboardInterrupt):
            raise
    else:
        run.ok = True
        logger.info("Scheduled job %s finished", job.name, extra=extra)
    run.finished_at = timezone.now()
    run.output = output.getvalue()[-OUTPUT_KEEP:]
    run.save(update_fields=["ok", "error", "finished_at", "output"])
    return run


def scheduler_tick(
    *,
    jobs: tuple[Job, ...] = JOBS,
    now: dt.datetime | None = None,
    host: str | None = None,
) -> list[ScheduledRun]:
    """Claim and run, one after another, every due job nobody else has claimed:
    ``run_scheduler --once``."""
    now = now or timezone.now()
    host = host or scheduler_host()
    runs = []
    for job, slot in jobs_due(jobs, now):
        run = scheduled_run_claim(job=job, slot_start=slot, host=host)
        if run is not None:
            runs.append(scheduled_run_execute(run=run, job=job))
    return runs


def _execute_in_thread(run: ScheduledRun, job: Job) -> None:
    close_old_connections()
    try:
        scheduled_run_execute(run=run, job=job)
    finally:
        close_old_connections()


def scheduler_tick_threaded(
    *,
    running: dict[str, threading.Thread],
    jobs: tuple[Job, ...] = JOBS,
    host: str | None = None,
) -> list[ScheduledRun]:
    """Like ``scheduler_tick`` but each claimed job runs in its own thread. A job
    still running here from an earlier slot is not started again beside itself."""
    host = host or scheduler_host()
    claimed = []
    for job, slot in jobs_due(jobs, timezone.now()):
        previous = running.get(job.name)
        if previous is not None and previous.is_alive():
            continue
        run = scheduled_run_claim(job=job, slot_start=slot, host=host)
        if run is None:
            continue
        thread = threading.Thread(
            target=_execute_in_thread, args=(run, job), name=f"job-{job.name}"
        )
        running[job.name] = thread
        thread.start()
        claimed.append(run)
    return claimed


def scheduled_runs_prune(*, keep: dt.timedelta = KEEP_RUNS) -> int:
    return ScheduledRun.objects.filter(started_at__lt=timezone.now() - keep).delete()[0]


def scheduled_runs_latest(jobs: tuple[Job, ...] = JOBS) -> dict[str, ScheduledRun]:
    """The most recent run of each job (for ``run_scheduler --status``)."""
    latest = {}
    for job in jobs:
        run = ScheduledRun.objects.filter(job=job.name).order_by("-slot_start").first()
        if run is not None:
            latest[job.name] = run
    return latest
