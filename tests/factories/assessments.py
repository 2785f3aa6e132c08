"""Builders for the question bank and quizzes, through the real services."""

from __future__ import annotations

from decimal import Decimal

from assessments.models import Question, Quiz, QuizSlot, Subject
from assessments.services import QuestionContent, question_create

Type = Question.Type


def subject(name: str = "检察官职业道德") -> Subject:
    return Subject.objects.get_or_create(name=name)[0]


def question(
    qtype: str = Type.SINGLE,
    *,
    subj: Subject | None = None,
    stem: str = "检察官职业道德的基本要求是？",
    options: list[dict] | None = None,
    answer=None,
    explanation: str = "<p>见《检察官职业道德基本准则》。</p>",
    partial_credit: bool = False,
    difficulty: int = 2,
    actor=None,
) -> Question:
    if options is None and qtype in (Type.SINGLE, Type.MULTIPLE):
        options = [
            {"key": "A", "text": "忠诚、公正、清廉、文明"},
            {"key": "B", "text": "勤勉、高效"},
            {"key": "C", "text": "服从、配合"},
            {"key": "D", "text": "以上都不是"},
        ]
    if answer is None:
        answer = {
            Type.SINGLE: "A",
            Type.MULTIPLE: ["A", "B"],
            Type.TRUE_FALSE: "T",
            Type.FILL: [["忠诚", "忠诚于党"]],
            Type.SHORT: None,
        }[qtype]
    return question_create(
        actor=actor,
        qtype=qtype,
        subject=subj or subject(),
        difficulty=difficulty,
        content=QuestionContent(
            stem=f"<p>{stem}</p>",
            options=options or [],
            answer=answer,
            explanation=explanation,
            partial_credit=partial_credit,
            rubric="要点：忠诚、公正、清廉、文明" if qtype == Type.SHORT else "",
        ),
    )


def quiz(
    questions: list[Question] = (),
    *,
    marks: str = "1",
    pools: list[dict] = (),
    **fields,
) -> Quiz:
    defaults = {
        "title": "职业道德测验",
        "is_published": True,
        "max_attempts": 2,
        "shuffle_questions": False,
        "shuffle_options": False,
    }
    defaults.update(fields)
    q = Quiz.objects.create(**defaults)
    order = 0
    for order, qu in enumerate(questions, start=1):
        QuizSlot.objects.create(
            quiz=q, sort_order=order, question=qu, marks=Decimal(marks)
        )
    for pool in pools:
        order += 1
        QuizSlot.objects.create(quiz=q, sort_order=order, **pool)
    return q
