"""The demo question bank and the assessments part of ``seed_demo``."""

from __future__ import annotations

import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments import demo
from assessments.demo_questions import QUESTIONS, SUBJECTS
from assessments.models import (
    Attempt,
    AttemptItem,
    GradeChange,
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    Subject,
)
from assessments.scoring import score_response
from assessments.selectors import grading_queue
from assessments.services import content_validate, pool_shortfalls
from training.certificates.models import Certificate, CertificateTemplate
from training.certificates.services import certificate_status

Status = Attempt.Status
TYPES = {t.value for t in Question.Type}
OPTION_LETTER = re.compile(r"(?<![A-Za-z])[A-J](?![A-Za-z])")


# --- the data (no database) ---------------------------------------------------------


def test_bank_is_large_and_covers_every_subject_and_type():
    assert len(QUESTIONS) >= 60
    per_subject = Counter(q["subject"] for q in QUESTIONS)
    assert set(per_subject) == set(SUBJECTS) and len(SUBJECTS) >= 5
    assert min(per_subject.values()) >= 12
    for subject in SUBJECTS:
        types = {q["type"] for q in QUESTIONS if q["subject"] == subject}
        assert types == TYPES, subject
    assert {q["difficulty"] for q in QUESTIONS} == {1, 2, 3}
    assert any(q.get("partial_credit") for q in QUESTIONS)
    assert any(
        q["type"] == "multiple" and not q.get("partial_credit") for q in QUESTIONS
    )
    # The stem's text is the idempotency key: no two may share it.
    titles = [demo.title_of(q["stem"]) for q in QUESTIONS]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("spec", QUESTIONS, ids=lambda q: q["stem"][:24])
def test_every_question_is_gradable_and_explained(spec):
    content = content_validate(spec["type"], demo.content_of(spec))
    assert spec["explanation"].strip()
    # Options are shuffled per attempt, so the letters a learner sees are not the
    # bank's: an explanation must name options by their text, never by letter.
    assert not OPTION_LETTER.search(spec["explanation"] + spec.get("rubric", ""))
    assert 1 <= spec["difficulty"] <= 3
    if spec["type"] == "short":
        assert spec["rubric"].strip()
        return
    # Every accepted answer (full-width forms included) earns full marks.
    if spec["type"] == "fill":
        assert spec["stem"].count("____") == len(content.answer)
        for position in range(max(len(b) for b in content.answer)):
            response = [b[min(position, len(b) - 1)] for b in content.answer]
            assert score_response(
                qtype="fill", key=content.answer, response=response, marks=Decimal(1)
            ) == Decimal("1.00")
    else:
        assert score_response(
            qtype=spec["type"],
            key=content.answer,
            response=content.answer,
            marks=Decimal(1),
            partial_credit=content.partial_credit,
            option_count=len(content.options),
        ) == Decimal("1.00")


def test_lesson_quiz_refs_name_ethics_questions():
    refs = {q["ref"]: q for q in QUESTIONS if q.get("ref")}
    assert set(demo.LESSON_QUIZ_REFS) <= set(refs)
    assert {refs[r]["subject"] for r in demo.LESSON_QUIZ_REFS} == {"检察官职业道德"}


# --- seed_demo end to end -----------------------------------------------------------


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Subject,
            Question,
            QuestionVersion,
            Quiz,
            QuizSlot,
            Attempt,
            AttemptItem,
            GradeChange,
            Certificate,
        )
    }


@pytest.mark.django_db(transaction=False)
def test_seed_demo_twice_creates_everything_once(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == first
    assert "0 created" in out.getvalue()

    assert first["Question"] >= 60 and first["Subject"] >= 5
    assert not Question.objects.exclude(status=Question.Status.IN_USE).exists()

    exam = Quiz.objects.get(title=demo.EXAM_TITLE)
    lesson_quiz = Quiz.objects.get(title=demo.LESSON_QUIZ_TITLE)
    assert exam.is_published and lesson_quiz.is_published
    assert pool_shortfalls(exam) == []
    assert exam.kind == Quiz.Kind.EXAM and exam.time_limit_minutes == 30
    assert exam.is_open() and exam.max_attempts == 2
    assert lesson_quiz.kind == Quiz.Kind.QUIZ and lesson_quiz.max_attempts == 0
    assert lesson_quiz.slots.filter(question__isnull=False).count() == 5

    exam_attempts = Attempt.objects.filter(quiz=exam)
    assert exam_attempts.filter(status=Status.FINISHED, passed=True).count() >= 2
    assert exam_attempts.filter(status=Status.FINISHED, passed=False).count() >= 2
    assert exam_attempts.filter(status=Status.GRADING).count() == 1
    assert exam_attempts.filter(status=Status.IN_PROGRESS).count() == 1
    assert exam_attempts.filter(closed_by=Attempt.ClosedBy.TIMEOUT).count() == 1
    for attempt in exam_attempts.exclude(status=Status.IN_PROGRESS):
        assert attempt.max_score == Decimal("100.00")
        assert attempt.items.count() == 19

    User = get_user_model()
    learner = User.objects.get(username="learner")
    assert not Attempt.objects.filter(quiz=exam, user=learner).exists()
    mine = Attempt.objects.get(quiz=lesson_quiz, user=learner)
    assert mine.status == Status.FINISHED and mine.passed

    # The ungraded short answer waits in the coordinator's queue.
    coordinator = User.objects.get(username="coordinator")
    assert grading_queue(coordinator).count() == 1

    # Certificates (training/demo/certificates.py): the class and the 政治轮训
    # programme, every status on show, the learner's own still valid.
    assert re.search(r"Certificates: \d+ issued .*, 0 created", out.getvalue())
    certificates = list(
        Certificate.objects.select_related("revocation", "replaced_by", "person__user")
    )
    statuses = Counter(certificate_status(c) for c in certificates)
    assert statuses["valid"] >= 5
    assert statuses["revoked"] == 1 and statuses["superseded"] == 1
    assert {c.kind for c in certificates} == {"class", "programme"}
    mine = [c for c in certificates if c.person.user == learner]
    assert mine and all(certificate_status(c) == "valid" for c in mine)
    assert CertificateTemplate.objects.get(is_default=True).seal is not None


# --- the seeding function on the small test tree ------------------------------------


@pytest.mark.django_db
def test_seed_leaves_answers_ungraded_outside_the_graders_scope(
    people, coordinator_b, superuser, learner
):
    others = [people[code].user for code in ("A2", "CITY-A", "PROV")]
    out = io.StringIO()
    counts = demo.seed(
        editor=superuser,
        grader=coordinator_b,  # CITY-B: may not grade CITY-A people
        learner=learner,
        others=others,
        stdout=out,
    )
    assert counts.questions == len(QUESTIONS) and counts.quizzes == 2
    assert "left ungraded" in out.getvalue()
    assert not GradeChange.objects.exists()
    assert Attempt.objects.filter(
        quiz__title=demo.EXAM_TITLE, status=Status.GRADING
    ).count() == len(others)

    again = demo.seed(
        editor=superuser,
        grader=coordinator_b,
        learner=learner,
        others=others,
        stdout=io.StringIO(),
    )
    assert (again.questions, again.quizzes, again.attempts) == (0, 0, 0)
