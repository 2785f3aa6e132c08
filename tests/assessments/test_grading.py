"""Grading by people, at the service level: scope, reasons, the grade-change trail,
regrading after a key correction and the signals training listens to."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import Attempt, AttemptItem, GradeChange, LearnerNotice
from assessments.services import (
    QuestionContent,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    item_grade,
    question_regrade,
    question_update,
)
from cms.models import AuditEvent
from tests.factories import Role, grant
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

Type = af.Type


def take(quiz, user, answers: dict[int, object]) -> Attempt:
    attempt = attempt_start(quiz=quiz, user=user)
    for position, response in answers.items():
        attempt_answer_save(
            attempt_public_id=attempt.public_id,
            user=user,
            position=position,
            response=response,
            seq=1,
        )
    return attempt_submit(attempt_public_id=attempt.public_id, user=user)


@pytest.fixture
def short_quiz():
    """One single choice (1 mark) and one short answer (4 marks); pass at 60 %."""
    return af.quiz(
        [af.question(Type.SINGLE)],
        pools=[{"question": af.question(Type.SHORT), "marks": Decimal("4")}],
        pass_percent=Decimal("60"),
    )


@pytest.fixture
def submitted(short_quiz, learner):
    return take(short_quiz, learner, {1: "A", 2: "忠诚、公正、清廉、文明"})


def short_item(attempt) -> AttemptItem:
    return AttemptItem.objects.get(attempt=attempt, qtype=Type.SHORT)


# --- who may grade --------------------------------------------------------------------


def test_short_answer_waits_for_a_grader(submitted, signal_log):
    assert submitted.status == Attempt.Status.GRADING
    assert submitted.passed is None
    assert short_item(submitted).score is None
    assert signal_log.count("attempt_finished") == 0


def test_coordinator_in_scope_grades_and_the_attempt_finishes(
    submitted, coordinator, signal_log
):
    item = item_grade(
        actor=coordinator,
        item_id=short_item(submitted).pk,
        score="3",
        feedback="要点齐全",
    )
    assert item.score == Decimal("3.00") and item.graded_by == coordinator
    attempt = Attempt.objects.get(pk=submitted.pk)
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.score == Decimal("4.00") and attempt.percent == Decimal("80.00")
    assert attempt.passed is True
    change = GradeChange.objects.get(item=item)
    assert change.kind == GradeChange.Kind.MANUAL
    assert (change.old_score, change.new_score, change.author) == (
        None,
        Decimal("3.00"),
        coordinator,
    )
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CORRECTION, actor=coordinator
    ).exists()
    assert signal_log.count("attempt_finished") == 1
    assert signal_log.count("quiz_passed") == 1
    # The first marking of a pending attempt is not a "result change".
    assert signal_log.count("attempt_result_changed") == 0


@pytest.mark.parametrize("who", ["coordinator_b", "plain_learner", "leader"])
def test_graders_out_of_scope_or_without_the_role_are_refused(
    request, submitted, people, who
):
    actor = (
        people["A2"].user if who == "plain_learner" else request.getfixturevalue(who)
    )
    with pytest.raises(PermissionDenied):
        item_grade(actor=actor, item_id=short_item(submitted).pk, score="3")
    assert short_item(submitted).score is None
    assert not GradeChange.objects.exists()


def test_nobody_grades_their_own_paper(short_quiz, people, coordinator):
    colleague = people["CITY-A"].user
    grant(colleague, Role.COORDINATOR, people["CITY-A"].unit)
    attempt = take(short_quiz, colleague, {1: "A", 2: "答案"})
    with pytest.raises(PermissionDenied):
        item_grade(actor=colleague, item_id=short_item(attempt).pk, score="1")
    # Another coordinator of the same unit may.
    item_grade(actor=coordinator, item_id=short_item(attempt).pk, score="1")


def test_unknown_item_is_refused(coordinator, submitted):
    with pytest.raises(PermissionDenied):
        item_grade(actor=coordinator, item_id=10**9, score="1")


def test_an_open_attempt_cannot_be_graded(short_quiz, learner, coordinator):
    attempt = attempt_start(quiz=short_quiz, user=learner)
    with pytest.raises(ValidationError):
        item_grade(actor=coordinator, item_id=short_item(attempt).pk, score="1")


@pytest.mark.parametrize("score", ["-1", "4.01", "abc", None, "NaN", "Infinity"])
def test_marks_outside_the_item_are_refused(submitted, coordinator, score):
    with pytest.raises(ValidationError) as err:
        item_grade(actor=coordinator, item_id=short_item(submitted).pk, score=score)
    assert "score" in err.value.message_dict
    assert short_item(submitted).score is None


# --- changing a mark ------------------------------------------------------------------


def test_changing_a_mark_needs_a_reason_and_is_recorded(
    submitted, coordinator, signal_log
):
    item_id = short_item(submitted).pk
    item_grade(actor=coordinator, item_id=item_id, score="4")
    with pytest.raises(ValidationError) as err:
        item_grade(actor=coordinator, item_id=item_id, score="1", reason="  ")
    assert "reason" in err.value.message_dict
    assert short_item(submitted).score == Decimal("4.00")
    item_grade(actor=coordinator, item_id=item_id, score="1", reason="漏答要点")
    changes = list(
        GradeChange.objects.filter(item_id=item_id).order_by("created_at", "pk")
    )
    assert [(c.old_score, c.new_score) for c in changes] == [
        (None, Decimal("4.00")),
        (Decimal("4.00"), Decimal("1.00")),
    ]
    assert changes[1].reason == "漏答要点"
    attempt = Attempt.objects.get(pk=submitted.pk)
    assert attempt.score == Decimal("2.00") and attempt.passed is False
    # 100 % → 40 %: the result flipped after it was final.
    assert signal_log.count("attempt_result_changed") == 1
    assert signal_log.of("attempt_result_changed")[0]["was_passed"] is True
    assert signal_log.count("attempt_finished") == 2


# --- regrading after a key correction -------------------------------------------------


OPTIONS = [
    {"key": "A", "text": "甲"},
    {"key": "B", "text": "乙"},
    {"key": "C", "text": "丙"},
]


def corrected(answer, options=OPTIONS):
    return QuestionContent(stem="<p>修正后的题目</p>", options=options, answer=answer)


@pytest.fixture
def wrong_key():
    """A single-choice question whose key says A though B is right."""
    return af.question(Type.SINGLE, options=OPTIONS, answer="A")


def test_regrade_after_key_correction(wrong_key, people, superuser, signal_log):
    quiz = af.quiz([wrong_key], pass_percent=Decimal("60"))
    said_b = take(quiz, people["A1"].user, {1: "B"})
    said_a = take(quiz, people["A2"].user, {1: "A"})
    said_c = take(quiz, people["B1"].user, {1: "C"})
    assert (said_b.passed, said_a.passed, said_c.passed) == (False, True, False)
    assert signal_log.count("quiz_passed") == 1
    v1 = wrong_key.current

    question_update(actor=superuser, question=wrong_key, content=corrected("B"))
    wrong_key.refresh_from_db()
    changed = question_regrade(actor=superuser, question=wrong_key, reason="答案有误")

    assert changed == 2
    for attempt, score, passed in (
        (said_b, Decimal("1.00"), True),
        (said_a, Decimal("0.00"), False),
        (said_c, Decimal("0.00"), False),
    ):
        attempt.refresh_from_db()
        assert (attempt.score, attempt.passed) == (score, passed)
        # The item keeps pointing at the version its learner saw.
        assert attempt.items.get().version_id == v1.pk
    regrades = GradeChange.objects.filter(kind=GradeChange.Kind.REGRADE)
    assert {(c.item.attempt_id, c.old_score, c.new_score) for c in regrades} == {
        (said_b.pk, Decimal("0.00"), Decimal("1.00")),
        (said_a.pk, Decimal("1.00"), Decimal("0.00")),
    }
    assert {c.reason for c in regrades} == {"答案有误"}
    notices = LearnerNotice.objects.all()
    assert {n.user_id for n in notices} == {said_b.user_id, said_a.user_id}
    flips = {
        kw["attempt"].pk: kw["was_passed"]
        for kw in signal_log.of("attempt_result_changed")
    }
    assert flips == {said_b.pk: False, said_a.pk: True}
    # said_b passes for the first time now.
    passes = signal_log.of("quiz_passed")
    assert [kw["attempt"].pk for kw in passes] == [said_a.pk, said_b.pk]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CORRECTION, actor=superuser
    ).exists()
    # Running it again finds nothing left to change.
    assert question_regrade(actor=superuser, question=wrong_key, reason="再核") == 0


def test_regrade_skips_versions_with_other_options(wrong_key, learner, superuser):
    quiz = af.quiz([wrong_key])
    attempt = take(quiz, learner, {1: "B"})
    question_update(
        actor=superuser,
        question=wrong_key,
        content=corrected("B", options=[*OPTIONS, {"key": "D", "text": "丁"}]),
    )
    wrong_key.refresh_from_db()
    assert question_regrade(actor=superuser, question=wrong_key, reason="改选项") == 0
    attempt.refresh_from_db()
    assert attempt.score == Decimal("0.00")


def test_regrade_leaves_open_attempts_alone(wrong_key, learner, superuser):
    attempt = attempt_start(quiz=af.quiz([wrong_key]), user=learner)
    question_update(actor=superuser, question=wrong_key, content=corrected("B"))
    wrong_key.refresh_from_db()
    assert question_regrade(actor=superuser, question=wrong_key, reason="更正") == 0
    assert AttemptItem.objects.get(attempt=attempt).score is None


def test_regrade_needs_a_reason(wrong_key, superuser):
    with pytest.raises(ValidationError):
        question_regrade(actor=superuser, question=wrong_key, reason=" ")


# --- quiz_passed only for the first pass ----------------------------------------------


def test_quiz_passed_is_sent_for_the_first_pass_only(learner, signal_log):
    quiz = af.quiz([af.question()], max_attempts=0)
    assert take(quiz, learner, {1: "B"}).passed is False
    assert signal_log.count("quiz_passed") == 0
    first_pass = take(quiz, learner, {1: "A"})
    assert first_pass.passed is True
    assert take(quiz, learner, {1: "A"}).passed is True
    assert signal_log.count("attempt_finished") == 3
    passes = signal_log.of("quiz_passed")
    assert len(passes) == 1
    assert passes[0]["attempt"].pk == first_pass.pk
    assert passes[0]["user_id"] == learner.pk and passes[0]["quiz"] == quiz
