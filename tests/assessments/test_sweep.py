"""The overdue sweep: closes and grades attempts whose time ran out, and no others."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Attempt
from assessments.services import (
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    attempts_close_overdue,
)
from assessments.services.closing import GRACE
from assessments.tasks import close_overdue_attempts_task
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(people):
    """Attempts in every state the sweep must tell apart, started 20 minutes ago
    at an exam with a 10-minute limit unless said otherwise."""
    now = timezone.now()
    past = now - timedelta(minutes=20)
    question = af.question()
    timed = af.quiz([question], time_limit_minutes=10, title="限时考试")
    untimed = af.quiz([question], title="不限时")
    long = af.quiz([question], time_limit_minutes=60, title="长考试")
    attempts = {
        "overdue": attempt_start(quiz=timed, user=people["A1"].user, now=past),
        "overdue_answered": attempt_start(quiz=timed, user=people["A2"].user, now=past),
        "untimed": attempt_start(quiz=untimed, user=people["A1"].user, now=past),
        "running": attempt_start(quiz=long, user=people["A1"].user, now=past),
        "in_grace": attempt_start(
            quiz=timed,
            user=people["B1"].user,
            now=now - timedelta(minutes=10) - GRACE + timedelta(seconds=5),
        ),
        "submitted": attempt_start(quiz=timed, user=people["PROV"].user, now=past),
    }
    attempt_answer_save(
        attempt_public_id=attempts["overdue_answered"].public_id,
        user=people["A2"].user,
        position=1,
        response="A",
        seq=1,
        now=past + timedelta(minutes=5),
    )
    attempt_submit(
        attempt_public_id=attempts["submitted"].public_id,
        user=people["PROV"].user,
        now=past + timedelta(minutes=5),
    )
    return now, attempts


def statuses(attempts):
    return {name: Attempt.objects.get(pk=a.pk).status for name, a in attempts.items()}


def test_sweep_closes_only_overdue_attempts_and_grades_them(world, signal_log):
    now, attempts = world
    submitted_before = Attempt.objects.get(pk=attempts["submitted"].pk)

    assert attempts_close_overdue(now=now) == 2

    assert statuses(attempts) == {
        "overdue": Attempt.Status.FINISHED,
        "overdue_answered": Attempt.Status.FINISHED,
        "untimed": Attempt.Status.IN_PROGRESS,
        "running": Attempt.Status.IN_PROGRESS,
        "in_grace": Attempt.Status.IN_PROGRESS,
        "submitted": Attempt.Status.FINISHED,
    }
    answered = Attempt.objects.get(pk=attempts["overdue_answered"].pk)
    assert answered.closed_by == Attempt.ClosedBy.TIMEOUT
    assert answered.score == Decimal("1.00") and answered.passed is True
    assert answered.submitted_at == now
    blank = Attempt.objects.get(pk=attempts["overdue"].pk)
    assert blank.score == Decimal("0.00") and blank.passed is False
    # The learner's own submission is untouched.
    assert Attempt.objects.get(pk=attempts["submitted"].pk).graded_at == (
        submitted_before.graded_at
    )
    assert signal_log.count("attempt_finished") == 2
    # A second sweep has nothing to do.
    assert attempts_close_overdue(now=now) == 0


def test_sweep_picks_up_the_grace_attempt_once_its_grace_is_over(world):
    now, attempts = world
    attempts_close_overdue(now=now)
    assert attempts_close_overdue(now=now + timedelta(seconds=10)) == 1
    assert statuses(attempts)["in_grace"] == Attempt.Status.FINISHED


def test_sweep_limit_leaves_the_rest_for_the_next_run(world):
    now, _attempts = world
    assert attempts_close_overdue(now=now, limit=1) == 1
    assert attempts_close_overdue(now=now, limit=1) == 1
    assert attempts_close_overdue(now=now, limit=1) == 0


def test_the_task_and_the_command_run_the_sweep(world):
    _now, attempts = world
    result = close_overdue_attempts_task.enqueue()
    assert result.return_value == 2
    out = StringIO()
    call_command("close_overdue_attempts", stdout=out)
    assert "closed 0" in out.getvalue()
    assert statuses(attempts)["overdue"] == Attempt.Status.FINISHED
