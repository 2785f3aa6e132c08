"""The periodic-job scheduler: slots, one run per slot across schedulers, failures
recorded without stopping the others, ``--once`` and ``--status``."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cms import scheduler
from cms.models import ScheduledRun
from cms.scheduler import (
    JOBS,
    Job,
    jobs_due,
    scheduled_run_claim,
    scheduled_runs_prune,
    scheduler_tick,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour, minute, second=0, day=6):
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def calls(monkeypatch):
    """The commands the scheduler ran, instead of running them; "boom" fails."""
    ran = []

    def fake_call_command(*argv, stdout, stderr):
        ran.append(argv)
        if argv[0] == "boom":
            raise CommandError("the job broke")
        stdout.write(f"{argv[0]} done\n")

    monkeypatch.setattr(scheduler, "call_command", fake_call_command)
    return ran


EVERY_MINUTE = Job("sweep", (("sweep",),), every=dt.timedelta(minutes=1))
DAILY_8 = Job("remind", (("remind",),), at=dt.time(8, 0))


def test_slots_are_aligned_in_shanghai_time():
    five = Job("five", (("five",),), every=dt.timedelta(minutes=5))
    assert five.slot(at(7, 58, 30)) == at(7, 55)
    assert EVERY_MINUTE.slot(at(7, 58, 30)) == at(7, 58)
    # The same instant given in UTC lands on the same local slot.
    assert five.slot(at(7, 58, 30).astimezone(dt.UTC)) == at(7, 55)
    assert DAILY_8.slot(at(8, 0)) == at(8, 0)
    assert DAILY_8.slot(at(7, 59)) == at(8, 0, day=5)


def test_daily_job_runs_late_within_grace_but_not_a_day_late():
    assert DAILY_8.due_slot(at(9, 30)) == at(8, 0)
    # Started at 07:00: yesterday's 08:00 is 23 hours old, not run now.
    assert DAILY_8.due_slot(at(7, 0)) is None


def test_a_job_needs_exactly_one_schedule():
    with pytest.raises(ValueError, match="exactly one"):
        Job("bad", (("x",),))
    with pytest.raises(ValueError, match="exactly one"):
        Job("bad", (("x",),), every=dt.timedelta(minutes=1), at=dt.time(1, 0))


@pytest.mark.django_db
def test_two_schedulers_racing_one_slot_run_the_job_once(calls):
    now = at(8, 0, 5)
    first = scheduled_run_claim(job=EVERY_MINUTE, slot_start=at(8, 0), host="web1:1")
    # The second scheduler read "not claimed" before the first inserted: its insert
    # hits the unique constraint and it skips the slot.
    second = scheduled_run_claim(job=EVERY_MINUTE, slot_start=at(8, 0), host="web2:1")
    assert first is not None and second is None
    assert scheduler_tick(jobs=(EVERY_MINUTE,), now=now, host="web2:1") == []
    assert calls == []

    # A whole tick from each of two servers: one run of each due job in all.
    later = at(8, 1, 2)
    runs_a = scheduler_tick(jobs=(EVERY_MINUTE, DAILY_8), now=later, host="web1:1")
    runs_b = scheduler_tick(jobs=(EVERY_MINUTE, DAILY_8), now=later, host="web2:1")
    assert sorted(run.job for run in runs_a) == ["remind", "sweep"]
    assert runs_b == []
    assert sorted(calls) == [("remind",), ("sweep",)]
    assert ScheduledRun.objects.filter(job="sweep").count() == 2  # 08:00 and 08:01
    assert ScheduledRun.objects.get(job="remind").slot_start == at(8, 0)


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_next_one_still_runs(calls):
    boom = Job("boom", (("boom",), ("never",)), every=dt.timedelta(minutes=1))
    runs = scheduler_tick(jobs=(boom, EVERY_MINUTE), now=at(3, 0))
    assert [(run.job, run.ok) for run in runs] == [("boom", False), ("sweep", True)]
    failed = ScheduledRun.objects.get(job="boom")
    assert "the job broke" in failed.error
    assert failed.finished_at is not None
    # The command after the failing one in the same job was not run.
    assert ("never",) not in calls
    assert ScheduledRun.objects.get(job="sweep").output == "sweep done\n"
    # The next slot tries the failed job again.
    again = scheduler_tick(jobs=(boom,), now=at(3, 1))
    assert [run.job for run in again] == ["boom"]


@pytest.mark.django_db
def test_jobs_due_skips_claimed_slots():
    ScheduledRun.objects.create(
        job="sweep", slot_start=at(8, 0), started_at=at(8, 0), host="x"
    )
    assert jobs_due((EVERY_MINUTE, DAILY_8), at(8, 0, 30)) == [(DAILY_8, at(8, 0))]


@pytest.mark.django_db
def test_once_runs_the_real_due_jobs(monkeypatch):
    fixed = at(8, 0, 10).astimezone(dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    runs = {run.job: run for run in ScheduledRun.objects.all()}
    # At 08:00:10 the minute and five-minute jobs and the 08:00 reminders are due;
    # 00:10 and 02:00 are more than six hours ago.
    assert set(runs) == {
        "close_overdue_attempts",
        "resume_certificate_batches",
        "resume_report_exports",
        "resume_roster_imports",
        "resume_assignments",
        "send_reminders",
    }
    assert all(run.ok for run in runs.values()), {
        name: run.error for name, run in runs.items() if not run.ok
    }
    assert "closed 0 overdue attempt(s)" in runs["close_overdue_attempts"].output
    assert "send_reminders: ok" in out.getvalue()
    # A second scheduler in the same minute finds nothing left to do.
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert out.getvalue().strip() == "Nothing due."
    assert ScheduledRun.objects.count() == 6


@pytest.mark.django_db
def test_once_exits_non_zero_when_a_job_failed(calls, monkeypatch):
    boom = Job("boom", (("boom",),), every=dt.timedelta(minutes=1))
    monkeypatch.setattr(
        "cms.management.commands.run_scheduler.scheduler_tick",
        lambda: scheduler_tick(jobs=(boom,)),
    )
    with pytest.raises(SystemExit) as excinfo:
        call_command(
            "run_scheduler", "--once", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert excinfo.value.code == 1


@pytest.mark.django_db
def test_status_shows_the_last_run_of_each_job():
    ScheduledRun.objects.create(
        job="close_overdue_attempts",
        slot_start=at(8, 0),
        started_at=at(8, 0),
        finished_at=at(8, 0, 2),
        host="web1:42",
        ok=True,
    )
    ScheduledRun.objects.create(
        job="send_reminders",
        slot_start=at(8, 0),
        started_at=at(8, 0),
        finished_at=at(8, 0, 1),
        host="web2:7",
        ok=False,
        error="Traceback ...\nSMTPServerDisconnected: gone",
    )
    out = io.StringIO()
    call_command("run_scheduler", "--status", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:]}
    assert {job.name for job in JOBS} <= set(lines)
    assert "2026-12-06 08:00 ok" in lines["close_overdue_attempts"]
    assert "2.0s" in lines["close_overdue_attempts"]
    assert "FAILED" in lines["send_reminders"]
    assert "SMTPServerDisconnected: gone" in out.getvalue()
    assert "never" in lines["mark_overdue"]


@pytest.mark.django_db
def test_old_runs_are_pruned():
    now = timezone.now()
    ScheduledRun.objects.create(
        job="old", slot_start=now, started_at=now - dt.timedelta(days=31), host="x"
    )
    ScheduledRun.objects.create(job="new", slot_start=now, started_at=now, host="x")
    assert scheduled_runs_prune() == 1
    assert list(ScheduledRun.objects.values_list("job", flat=True)) == ["new"]


def test_every_scheduled_command_exists():
    from django.core.management import get_commands

    commands = get_commands()
    for job in JOBS:
        for argv in job.commands:
            assert argv[0] in commands, (job.name, argv[0])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("when", "job", "printed"),
    [
        (at(0, 10, 30), "mark_overdue", "cycle(s) marked overdue"),
        (at(2, 0, 30), "recompute_compliance", "roll-up row(s) rebuilt"),
    ],
)
def test_nightly_jobs_run_their_commands(when, job, printed):
    runs = {run.job: run for run in scheduler_tick(now=when)}
    assert runs[job].ok, runs[job].error
    assert printed in runs[job].output


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_on_postgresql_run_a_slot_once(calls):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    hosts = [f"web{n}:1" for n in range(4)]
    barrier = threading.Barrier(len(hosts))
    results = {}

    def scheduler(host):
        try:
            barrier.wait()
            results[host] = scheduler_tick(
                jobs=(EVERY_MINUTE, DAILY_8), now=at(8, 0, 1), host=host
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(calls) == [("remind",), ("sweep",)]
    assert sum(len(runs) for runs in results.values()) == 2
    assert ScheduledRun.objects.count() == 2
