"""The assessments part of ``manage.py seed_demo``: the question bank, a lesson quiz,
a timed exam and attempts in every state.

Everything goes through the real services (``question_create``, ``attempt_start``,
``attempt_answer_save``, ``attempt_submit``, ``attempt_close``, ``item_grade``), so
the demo exercises the same rules a learner meets. Idempotent: questions are found by
their text, quizzes by title, and a learner who already has an attempt at a quiz is
left alone. Which questions an exam attempt draws is random (the server deals with
``SystemRandom``); how each demo learner answers is seeded, so their results vary
between fresh databases only as much as their questions do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from assessments.demo_questions import (
    EMERGENCY,
    ETHICS,
    INFORMATISATION,
    MASS_WORK,
    QUESTIONS,
    SUBJECTS,
    SUPERVISION,
)
from assessments.models import Attempt, AttemptItem, Question, Quiz, QuizSlot, Subject
from assessments.scoring import quantize
from assessments.services import (
    QuestionContent,
    attempt_answer_save,
    attempt_close,
    attempt_start,
    attempt_submit,
    item_grade,
    pool_shortfalls,
    question_create,
)

Type = Question.Type
Review = Quiz.Review

LESSON_QUIZ_TITLE = "检察官职业道德 随堂测验"
EXAM_TITLE = "2026 年度检察业务能力测试"

# The lesson quiz's fixed lines, in lesson order (``ref`` in demo_questions).
LESSON_QUIZ_REFS = (
    "ethics-four-words",
    "ethics-recusal",
    "ethics-five-insist",
    "ethics-gifts",
    "ethics-fill-clean",
)
LESSON_QUIZ_MARKS = Decimal("20")

# The exam's draw lines: subject, type, how many, marks each. 8 single, 4 multiple,
# 4 true/false, 2 fill-in and 1 short answer: 19 questions, 100 marks.
EXAM_LINES: tuple[tuple[str, str, int, str], ...] = (
    (ETHICS, Type.SINGLE, 2, "4"),
    (SUPERVISION, Type.SINGLE, 2, "4"),
    (MASS_WORK, Type.SINGLE, 2, "4"),
    (INFORMATISATION, Type.SINGLE, 1, "4"),
    (EMERGENCY, Type.SINGLE, 1, "4"),
    (ETHICS, Type.MULTIPLE, 1, "6"),
    (SUPERVISION, Type.MULTIPLE, 1, "6"),
    (INFORMATISATION, Type.MULTIPLE, 1, "6"),
    (EMERGENCY, Type.MULTIPLE, 1, "6"),
    (SUPERVISION, Type.TRUE_FALSE, 1, "3"),
    (MASS_WORK, Type.TRUE_FALSE, 1, "3"),
    (INFORMATISATION, Type.TRUE_FALSE, 1, "3"),
    (EMERGENCY, Type.TRUE_FALSE, 1, "3"),
    (SUPERVISION, Type.FILL, 1, "6"),
    (INFORMATISATION, Type.FILL, 1, "6"),
    (SUPERVISION, Type.SHORT, 1, "20"),
)

LESSON_QUIZ_INTRO = (
    "<p>本测验共 5 题，每题 20 分，60 分合格，不限作答次数。</p>"
    "<p>交卷后即可查看得分、每题对错、正确答案和解析。</p>"
)
EXAM_INTRO = (
    "<p>本次测试共 19 题，满分 100 分，60 分合格，限时 30 分钟。"
    "每人可参加 2 次，以最高一次成绩为准。</p>"
    "<p>答案随时自动保存；刷新页面或者换一台电脑登录，可以接着作答。"
    "时间到未交卷的，系统自动交卷。</p>"
    "<p>交卷后即可查看得分和每题对错；正确答案和解析在考试结束后公布。</p>"
)


# --- how the demo learners sit the quizzes ------------------------------------------


@dataclass(frozen=True)
class Sitting:
    """One attempt of a demo learner, placed in the past."""

    ago: timedelta  # when it started, before now
    skill: float  # chance of answering a question right
    minutes: int = 20  # time taken until submitting
    answered: float = 1.0  # share of the questions answered before stopping
    # "submit" (the learner submits), "timeout" (the sweep closes it at the
    # deadline) or "open" (still in progress).
    finish: str = "submit"
    # Share of the short answer's marks the grader gives; None leaves it in the
    # grading queue.
    short_mark: float | None = None
    # Fixed outcome per question ref ("right", "partial", "wrong"), for the main
    # demo login's attempt, whose review page the docs describe.
    outcome: dict[str, str] | None = None


DAY = timedelta(days=1)

# The main demo login: one finished lesson quiz attempt, one question half right
# (partial credit on the multiple-choice question), and no exam attempt, so the
# exam can be started fresh.
LEARNER_QUIZ = (
    Sitting(
        ago=3 * DAY,
        skill=1.0,
        minutes=6,
        outcome={"ethics-five-insist": "partial"},
    ),
)

# Other learners, in the order the caller lists them.
OTHERS_QUIZ: tuple[tuple[Sitting, ...], ...] = (
    (Sitting(ago=9 * DAY, skill=1.0, minutes=5),),
    (
        Sitting(ago=8 * DAY, skill=0.2, minutes=4),
        Sitting(ago=8 * DAY - timedelta(hours=2), skill=0.9, minutes=5),
    ),
    (Sitting(ago=timedelta(hours=1), skill=0.8, answered=0.4, finish="open"),),
    (Sitting(ago=6 * DAY, skill=0.8, minutes=7),),
    (Sitting(ago=5 * DAY, skill=0.6, minutes=6),),
    (Sitting(ago=5 * DAY, skill=0.4, minutes=3),),
    (Sitting(ago=4 * DAY, skill=0.9, minutes=8),),
    (Sitting(ago=2 * DAY, skill=0.7, minutes=5),),
    (Sitting(ago=2 * DAY, skill=0.5, minutes=4),),
)
OTHERS_EXAM: tuple[tuple[Sitting, ...], ...] = (
    (Sitting(ago=6 * DAY, skill=0.95, minutes=21, short_mark=0.9),),
    (Sitting(ago=5 * DAY, skill=0.8, minutes=26, short_mark=0.75),),
    (Sitting(ago=5 * DAY, skill=0.3, minutes=14, short_mark=0.3),),
    (
        Sitting(ago=6 * DAY, skill=0.35, minutes=18, short_mark=0.4),
        Sitting(ago=2 * DAY, skill=0.85, minutes=24, short_mark=0.8),
    ),
    (Sitting(ago=4 * DAY, skill=0.7, answered=0.6, finish="timeout", short_mark=0),),
    (Sitting(ago=1 * DAY, skill=0.75, minutes=27),),  # waits for a grader
    (
        Sitting(
            ago=timedelta(minutes=8), skill=0.8, minutes=6, answered=0.4, finish="open"
        ),
    ),
    (Sitting(ago=3 * DAY, skill=0.5, minutes=29, short_mark=0.5),),
    (Sitting(ago=3 * DAY, skill=0.9, minutes=19, short_mark=0.85),),
    (Sitting(ago=2 * DAY, skill=0.65, minutes=28, short_mark=0.6),),
    (Sitting(ago=2 * DAY, skill=0.55, minutes=25, short_mark=0.45),),
    (Sitting(ago=1 * DAY, skill=0.75, minutes=23, short_mark=0.7),),
)

FEEDBACK = {
    True: "要点齐全，条理清楚。",
    False: "要点不全，请对照参考答案复习。",
}


@dataclass
class SeedCounts:
    subjects: int = 0
    questions: int = 0
    quizzes: int = 0
    attempts: int = 0


# --- entry point --------------------------------------------------------------------


@transaction.atomic
def seed(
    *,
    editor,
    grader,
    learner,
    others: Sequence,
    stdout=None,
    now=None,
) -> SeedCounts:
    """Create what is missing of the demo bank, quizzes and attempts.

    ``editor`` authors the questions and owns the quizzes; ``grader`` (a coordinator
    whose scope covers ``others``) marks the short answers; ``learner`` is the main
    demo login; ``others`` are further learners, taking the sittings above in order.
    """
    now = now or timezone.now()
    write = stdout.write if stdout is not None else (lambda _line: None)
    counts = SeedCounts()
    subjects = _subjects_ensure(counts)
    refs = _questions_ensure(editor=editor, subjects=subjects, counts=counts)
    lesson_quiz = _lesson_quiz_ensure(owner=editor, refs=refs, counts=counts)
    exam = _exam_ensure(owner=editor, subjects=subjects, now=now, counts=counts)
    write(
        f"Question bank: {Question.objects.count()} questions in "
        f"{Subject.objects.count()} subjects, {counts.questions} created; "
        f"{counts.quizzes} of 2 demo quizzes created."
    )

    ref_of = {pk: ref for ref, pk in refs.items()}
    plans: list[tuple[Quiz, Any, tuple[Sitting, ...]]] = [
        (lesson_quiz, learner, LEARNER_QUIZ),
        *((lesson_quiz, u, s) for u, s in zip(others, OTHERS_QUIZ, strict=False)),
    ]
    if exam.is_open(now):
        plans += [(exam, u, s) for u, s in zip(others, OTHERS_EXAM, strict=False)]
    else:
        write(f"  “{exam.title}” has closed; no new attempts at it.")
    skipped_grades = 0
    for quiz, user, sittings in plans:
        if Attempt.objects.filter(quiz=quiz, user=user).exists():
            continue
        for number, sitting in enumerate(sittings, start=1):
            attempt = _sit(
                quiz=quiz,
                user=user,
                sitting=sitting,
                number=number,
                ref_of=ref_of,
                now=now,
            )
            counts.attempts += 1
            if sitting.short_mark is not None and not _grade(
                attempt=attempt, grader=grader, share=sitting.short_mark
            ):
                skipped_grades += 1
    write(
        f"Attempts: {Attempt.objects.filter(quiz__in=[lesson_quiz, exam]).count()} "
        f"at the demo quizzes, {counts.attempts} created."
    )
    if skipped_grades:
        write(
            f"  {skipped_grades} short answer(s) left ungraded: "
            f"{grader} may not grade those learners."
        )
    return counts


# --- bank and quizzes ---------------------------------------------------------------


def _subjects_ensure(counts: SeedCounts) -> dict[str, Subject]:
    subjects = {}
    for order, name in enumerate(SUBJECTS, start=1):
        subject, created = Subject.objects.get_or_create(
            name=name, defaults={"sort_order": order}
        )
        subjects[name] = subject
        counts.subjects += created
    return subjects


def title_of(stem: str) -> str:
    """The question's ``title`` as ``question_create`` stores it (the idempotency
    key): the stem's text with whitespace collapsed."""
    return " ".join(stem.split())[:255]


def _questions_ensure(
    *, editor, subjects: dict[str, Subject], counts: SeedCounts
) -> dict[str, int]:
    """Create the missing questions; return ``ref`` → question id for those that
    carry a ``ref``."""
    existing = dict(
        Question.objects.filter(
            title__in=[title_of(q["stem"]) for q in QUESTIONS]
        ).values_list("title", "pk")
    )
    refs = {}
    for spec in QUESTIONS:
        title = title_of(spec["stem"])
        pk = existing.get(title)
        if pk is None:
            question = question_create(
                actor=editor,
                qtype=spec["type"],
                subject=subjects[spec["subject"]],
                content=content_of(spec),
                difficulty=spec["difficulty"],
                tags=spec.get("tags", ""),
                status=Question.Status.IN_USE,
            )
            pk = existing[title] = question.pk
            counts.questions += 1
        if spec.get("ref"):
            refs[spec["ref"]] = pk
    return refs


def content_of(spec: dict) -> QuestionContent:
    """The version content of one entry of ``QUESTIONS``."""
    letters = "ABCDEFGHIJ"
    return QuestionContent(
        stem=f"<p>{spec['stem']}</p>",
        options=[
            {"key": letters[i], "text": text}
            for i, text in enumerate(spec.get("options", ()))
        ],
        answer=spec["answer"],
        explanation=f"<p>{spec['explanation']}</p>" if spec.get("explanation") else "",
        rubric=spec.get("rubric", ""),
        partial_credit=spec.get("partial_credit", False),
    )


def _lesson_quiz_ensure(*, owner, refs: dict[str, int], counts: SeedCounts) -> Quiz:
    quiz = Quiz.objects.filter(title=LESSON_QUIZ_TITLE).first()
    if quiz is not None:
        return quiz
    quiz = Quiz.objects.create(
        title=LESSON_QUIZ_TITLE,
        kind=Quiz.Kind.QUIZ,
        description=LESSON_QUIZ_INTRO,
        audience=Quiz.Audience.ALL,
        pass_percent=Decimal("60"),
        max_attempts=0,
        grading=Quiz.Grading.HIGHEST,
        shuffle_questions=False,
        shuffle_options=True,
        review_score=Review.AFTER_SUBMIT,
        review_correctness=Review.AFTER_SUBMIT,
        review_answers=Review.AFTER_SUBMIT,
        review_explanations=Review.AFTER_SUBMIT,
        is_published=True,
        owner=owner,
    )
    QuizSlot.objects.bulk_create(
        QuizSlot(
            quiz=quiz,
            sort_order=order,
            question_id=refs[ref],
            marks=LESSON_QUIZ_MARKS,
        )
        for order, ref in enumerate(LESSON_QUIZ_REFS, start=1)
    )
    counts.quizzes += 1
    return quiz


def _exam_ensure(
    *, owner, subjects: dict[str, Subject], now, counts: SeedCounts
) -> Quiz:
    quiz = Quiz.objects.filter(title=EXAM_TITLE).first()
    if quiz is not None:
        return quiz
    quiz = Quiz.objects.create(
        title=EXAM_TITLE,
        kind=Quiz.Kind.EXAM,
        description=EXAM_INTRO,
        audience=Quiz.Audience.ALL,
        pass_percent=Decimal("60"),
        max_attempts=2,
        grading=Quiz.Grading.HIGHEST,
        open_at=now - 7 * DAY,
        close_at=now + 30 * DAY,
        time_limit_minutes=30,
        shuffle_questions=True,
        shuffle_options=True,
        review_score=Review.AFTER_SUBMIT,
        review_correctness=Review.AFTER_SUBMIT,
        review_answers=Review.AFTER_CLOSE,
        review_explanations=Review.AFTER_CLOSE,
        is_published=False,
        owner=owner,
    )
    QuizSlot.objects.bulk_create(
        QuizSlot(
            quiz=quiz,
            sort_order=order,
            pool_subject=subjects[subject],
            pool_qtype=qtype,
            count=count,
            marks=Decimal(marks),
        )
        for order, (subject, qtype, count, marks) in enumerate(EXAM_LINES, start=1)
    )
    # Published only with every pool large enough, as the quiz editor insists.
    short = pool_shortfalls(quiz)
    if short:
        raise ValueError(f"demo exam pools too small: {short}")
    quiz.is_published = True
    quiz.save(update_fields=["is_published"])
    counts.quizzes += 1
    return quiz


# --- attempts -----------------------------------------------------------------------


def _sit(
    *, quiz: Quiz, user, sitting: Sitting, number: int, ref_of: dict[int, str], now
) -> Attempt:
    """One attempt through the learner's services: start, save answers one by one
    as the page's autosave would, then submit (or let the time run out)."""
    started = now - sitting.ago
    if quiz.open_at:
        started = max(started, quiz.open_at + timedelta(hours=1))
    attempt = attempt_start(quiz=quiz, user=user, now=started)
    items = list(attempt.items.select_related("version__question").order_by("position"))
    rng = random.Random(f"{quiz.title}|{user.get_username()}|{number}")  # noqa: S311
    to_answer = round(len(items) * sitting.answered)
    spent = timedelta(minutes=sitting.minutes)
    for index, item in enumerate(items[:to_answer]):
        ref = ref_of.get(item.version.question_id)
        outcome = (sitting.outcome or {}).get(ref) or _outcome(rng, item, sitting)
        response = response_for(item, outcome, rng)
        if response is None:
            continue
        attempt_answer_save(
            attempt_public_id=attempt.public_id,
            user=user,
            position=item.position,
            response=response,
            seq=1,
            now=started + spent * (index + 1) / (len(items) + 1),
        )
    if sitting.finish == "open":
        return attempt
    if sitting.finish == "timeout":
        # What the overdue sweep does once the deadline (plus grace) has passed.
        return attempt_close(
            attempt=attempt,
            closed_by=Attempt.ClosedBy.TIMEOUT,
            now=attempt.deadline + timedelta(minutes=1),
        )
    return attempt_submit(
        attempt_public_id=attempt.public_id, user=user, now=started + spent
    )


def _outcome(rng: random.Random, item: AttemptItem, sitting: Sitting) -> str:
    roll = rng.random()
    if roll < sitting.skill:
        return "right"
    if item.qtype in (Type.MULTIPLE, Type.FILL) and roll < (1 + sitting.skill) / 2:
        return "partial"
    return "wrong"


def response_for(item: AttemptItem, outcome: str, rng: random.Random) -> Any:
    """A learner's response to ``item`` that is right, partly right or wrong."""
    version = item.version
    key = version.answer
    if item.qtype == Type.TRUE_FALSE:
        return key if outcome == "right" else ("F" if key == "T" else "T")
    if item.qtype == Type.SINGLE:
        if outcome == "right":
            return key
        return next(k for k in item.option_order if k != key)
    if item.qtype == Type.MULTIPLE:
        wrong = [k for k in item.option_order if k not in key]
        if outcome == "right":
            return sorted(key)
        if outcome == "partial" and len(key) > 1:
            return sorted(key[:-1])  # one right option missed
        return sorted({key[0], *wrong[:1]})
    if item.qtype == Type.FILL:
        # Any accepted form, the full-width ones included (scoring folds them).
        right = [rng.choice(accepted) for accepted in key]
        if outcome == "right":
            return right
        if outcome == "partial" and len(right) > 1:
            return [right[0], *["不清楚"] * (len(right) - 1)]
        return ["不清楚"] * len(right)
    if item.qtype == Type.SHORT:
        return _short_answer(version.question.title, good=outcome == "right")
    return None


def _short_answer(title: str, *, good: bool) -> str:
    for spec in QUESTIONS:
        if title_of(spec["stem"]) == title and spec.get("sample_answers"):
            strong, weak = spec["sample_answers"]
            return strong if good else weak
    return "答题要点：依法履职，规范办案，及时报告。"


def _grade(*, attempt: Attempt, grader, share: float) -> bool:
    """Mark the attempt's short answers as the grader would; False when the grader
    may not grade this learner."""
    graded = True
    for item in attempt.items.filter(qtype=Type.SHORT, score__isnull=True):
        score = quantize(item.marks * Decimal(str(share)))
        good = share >= 0.6
        try:
            item_grade(
                actor=grader,
                item_id=item.pk,
                score=score,
                feedback=FEEDBACK[good] if item.response else "未作答。",
            )
        except PermissionDenied:
            graded = False
    return graded
