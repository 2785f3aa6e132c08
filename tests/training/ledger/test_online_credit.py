"""Online credit reaches the ledger from the lower apps' signals, in their
transactions: a completed course earns its 学时, a passed exam 0.5, once; a regrade
that fails the exam reverses the credit and both entries stay."""

import datetime as dt
from decimal import Decimal

import pytest

from assessments.models import Quiz
from assessments.services import attempt_answer_save, attempt_start, attempt_submit
from courses.services import enrollment_create, lesson_open, progress_read
from tests.courses.conftest import make_course, make_lesson, rewind
from tests.factories import assessments as qa
from tests.factories.training import make_programme
from training.compliance.models import ComplianceStatus
from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_quiz_result_changed


@pytest.fixture
def course_index(db):
    from courses.services import course_catalogue_ensure
    from tests.factories.pages import home_page_ensure

    home_page_ensure()
    return course_catalogue_ensure()


@pytest.fixture
def online_programme(tree):
    return make_programme(
        tree.prov, name="年度网络学习", online_hours_required=Decimal("50")
    )


def take_exam(user, quiz, answer="A"):
    attempt = attempt_start(quiz=quiz, user=user)
    attempt_answer_save(
        attempt_public_id=attempt.public_id,
        user=user,
        position=1,
        response=answer,
        seq=1,
    )
    return attempt_submit(attempt_public_id=attempt.public_id, user=user)


def test_course_completion_credits_once(learner, course_index, online_programme):
    course = make_course(course_index, estimated_minutes=40)
    reading = make_lesson(course, "阅读", min_reading_seconds=30)
    enrollment_create(user=learner, course=course)
    lesson_open(user=learner, lesson=reading)
    rewind(learner, reading, 31)
    progress_read(user=learner, lesson_id=reading.pk)
    progress_read(user=learner, lesson_id=reading.pk)

    entry = LedgerEntry.objects.get(person__user=learner)
    assert entry.source == "course" and entry.is_online
    assert entry.hours == Decimal("1.00")
    row = ComplianceStatus.objects.get(
        person__user=learner, programme=online_programme.programme
    )
    assert row.online_hours == Decimal("1.00")
    assert row.missing == {"online_hours": "49.00"}


def test_exam_pass_credits_half_an_hour_once(learner, online_programme):
    exam = qa.quiz([qa.question()], kind=Quiz.Kind.EXAM, max_attempts=3)
    assert take_exam(learner, exam).passed
    assert take_exam(learner, exam).passed
    entries = LedgerEntry.objects.filter(person__user=learner)
    assert [(e.source, e.hours) for e in entries] == [("quiz", Decimal("0.50"))]


def test_lesson_quiz_earns_nothing_by_itself(learner, online_programme):
    lesson_quiz = qa.quiz([qa.question()], kind=Quiz.Kind.QUIZ)
    assert take_exam(learner, lesson_quiz).passed
    assert not LedgerEntry.objects.filter(person__user=learner).exists()


def test_failed_regrade_reverses_and_keeps_both(learner, online_programme):
    exam = qa.quiz([qa.question()], kind=Quiz.Kind.EXAM)
    attempt = take_exam(learner, exam)
    attempt.passed = False  # as question_regrade leaves it before signalling
    attempt.save(update_fields=["passed"])
    ledger_quiz_result_changed(attempt=attempt, was_passed=True)

    entries = list(LedgerEntry.objects.filter(person__user=learner).order_by("pk"))
    assert [e.source for e in entries] == ["quiz", "reversal"]
    assert entries[1].reverses_id == entries[0].pk
    assert sum(e.hours for e in entries) == 0
    row = ComplianceStatus.objects.get(person__user=learner)
    assert row.online_hours == 0

    # Passed again by a later regrade: credited anew (the old pair stays).
    attempt.passed = True
    attempt.save(update_fields=["passed"])
    ledger_quiz_result_changed(attempt=attempt, was_passed=False)
    assert LedgerEntry.objects.filter(person__user=learner).count() == 3


def test_account_without_staff_record_earns_nothing(superuser, online_programme):
    exam = qa.quiz([qa.question()], kind=Quiz.Kind.EXAM)
    assert take_exam(superuser, exam).passed
    assert not LedgerEntry.objects.exists()


def test_credit_dated_in_shanghai(learner, online_programme):
    from training.ledger.services import ledger_credit_course

    course = type("Course", (), {"title": "跨年课程"})()
    # 2026-12-31 16:30 UTC is already 1 January 2027 in Beijing.
    when = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    entry = ledger_credit_course(
        enrollment_id=999,
        user_id=learner.pk,
        course=course,
        completed_at=when,
        credit_hours=Decimal("1"),
    )
    assert entry.occurred_on == dt.date(2027, 1, 1)
