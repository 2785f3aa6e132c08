"""``manage.py run_scheduler``: the periodic jobs of cms/scheduler.py, forever.

Run one on every app server (docs/deploy.md); each slot of each job runs once
across all of them. ``--once`` runs what is due now and exits (cron, tests);
``--status`` shows the last run of each job.
"""

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from cms.scheduler import (
    JOBS,
    scheduled_runs_latest,
    scheduled_runs_prune,
    scheduler_host,
    scheduler_tick,
    scheduler_tick_threaded,
)

PRUNE_EVERY = 3600  # seconds
logger = logging.getLogger("cms.scheduler")


class Command(BaseCommand):
    help = "Run the periodic jobs (overdue sweep, resumes, reminders, recompute)."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--once",
            action="store_true",
            help="Run the jobs that are due now (unless another scheduler already "
            "did) one after another, then exit; exit status 1 if one failed.",
        )
        mode.add_argument(
            "--status",
            action="store_true",
            help="Show each job's schedule and its last run, then exit.",
        )

    def handle(self, *args, once=False, status=False, **options):
        if status:
            return self._status()
        if once:
            runs = scheduler_tick()
            for run in runs:
                self.stdout.write(f"{run.job}: {'ok' if run.ok else 'FAILED'}")
                if not run.ok:
                    self.stderr.write(run.error)
            if not runs:
                self.stdout.write("Nothing due.")
            if any(not run.ok for run in runs):
                raise SystemExit(1)
            return None
        return self._loop()

    def _loop(self) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_args: stop.set())
        host = scheduler_host()
        running: dict[str, threading.Thread] = {}
        last_prune = 0.0
        self.stdout.write(f"Scheduler {host}: {len(JOBS)} jobs.")
        while not stop.is_set():
            close_old_connections()
            try:
                for run in scheduler_tick_threaded(running=running, host=host):
                    self.stdout.write(f"{timezone.localtime():%H:%M:%S} {run.job}")
                if time.monotonic() - last_prune > PRUNE_EVERY:
                    scheduled_runs_prune()
                    last_prune = time.monotonic()
            except Exception:
                # The database is down or restarting: try again next minute.
                logger.exception("Scheduler tick failed; retrying in a minute")
            close_old_connections()
            # Wake a second after the next minute starts, when its slots open.
            stop.wait(61 - time.time() % 60)
        self.stdout.write("Stopping: waiting for running jobs to finish.")
        for thread in running.values():
            thread.join()
        return None

    def _status(self) -> None:
        latest = scheduled_runs_latest()
        self.stdout.write(
            f"{'job':<28} {'schedule':<14} {'last slot':<17} {'result':<8} "
            f"{'took':>8}  host"
        )
        for job in JOBS:
            run = latest.get(job.name)
            if run is None:
                self.stdout.write(f"{job.name:<28} {job.schedule:<14} never")
                continue
            if run.finished_at is None:
                result, took = "running", ""
            else:
                result = "ok" if run.ok else "FAILED"
                took = f"{(run.finished_at - run.started_at).total_seconds():.1f}s"
            slot = timezone.localtime(run.slot_start)
            self.stdout.write(
                f"{job.name:<28} {job.schedule:<14} {slot:%Y-%m-%d %H:%M} "
                f"{result:<8} {took:>8}  {run.host}"
            )
            if run.ok is False:
                self.stdout.write("    " + run.error.strip().splitlines()[-1])
        return None
