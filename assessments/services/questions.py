"""Writes to the question bank. A version that any attempt has used is never changed:
an edit then makes the next version, and the question points at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from assessments.models import Question, QuestionVersion, Subject

Type = Question.Type

TRUE_FALSE_OPTIONS = [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}]


@dataclass(frozen=True)
class QuestionContent:
    """Everything a version holds, checked by ``validate``."""

    stem: str
    options: list[dict]
    answer: Any
    explanation: str = ""
    rubric: str = ""
    partial_credit: bool = False

    def fields(self) -> dict[str, Any]:
        return {
            "stem": self.stem,
            "options": self.options,
            "answer": self.answer,
            "explanation": self.explanation,
            "rubric": self.rubric,
            "partial_credit": self.partial_credit,
        }


def content_validate(qtype: str, content: QuestionContent) -> QuestionContent:
    """Raise ``ValidationError`` (field -> message) when the content does not make a
    gradable question of ``qtype``; return it normalised."""
    errors: dict[str, str] = {}
    if not strip_tags(content.stem or "").strip():
        errors["stem"] = _("The question has no text.")
    options, answer = content.options, content.answer
    if qtype == Type.TRUE_FALSE:
        options = TRUE_FALSE_OPTIONS
        if answer not in ("T", "F"):
            errors["answer"] = _("A true/false answer is T (true) or F (false).")
    elif qtype in (Type.SINGLE, Type.MULTIPLE):
        keys = [o.get("key") for o in options]
        if len(options) < 2:
            errors["options"] = _("A choice question needs at least two options.")
        elif len(set(keys)) != len(keys) or any(
            not str(o.get("text", "")).strip() for o in options
        ):
            errors["options"] = _("Every option needs a distinct letter and a text.")
        if qtype == Type.SINGLE and answer not in keys:
            errors["answer"] = _("The answer must be one of the option letters.")
        if qtype == Type.MULTIPLE:
            if (
                not isinstance(answer, list)
                or not answer
                or not set(answer) <= set(keys)
            ):
                errors["answer"] = _(
                    "The answer must be one or more of the option letters."
                )
            else:
                answer = sorted(set(answer))
    elif qtype == Type.FILL:
        options = []
        if (
            not isinstance(answer, list)
            or not answer
            or any(
                not isinstance(b, list) or not [a for a in b if str(a).strip()]
                for b in answer
            )
        ):
            errors["answer"] = _("Each blank needs at least one accepted answer.")
        else:
            answer = [[str(a).strip() for a in b if str(a).strip()] for b in answer]
    elif qtype == Type.SHORT:
        options, answer = [], None
    else:
        errors["qtype"] = _("Unknown question type.")
    if errors:
        raise ValidationError(errors)
    return QuestionContent(
        stem=content.stem,
        options=options,
        answer=answer,
        explanation=content.explanation,
        rubric=content.rubric,
        partial_credit=content.partial_credit and qtype == Type.MULTIPLE,
    )


def _title(stem: str) -> str:
    return " ".join(strip_tags(stem).split())[:255]


@transaction.atomic
def question_create(
    *,
    actor,
    qtype: str,
    subject: Subject,
    content: QuestionContent,
    difficulty: int = 2,
    tags: str = "",
    status: str = Question.Status.IN_USE,
) -> Question:
    content = content_validate(qtype, content)
    question = Question(
        qtype=qtype,
        subject=subject,
        difficulty=difficulty,
        tags=tags,
        status=status,
        author=actor,
        title=_title(content.stem),
    )
    question.full_clean(exclude=["current"])
    question.save()
    version = QuestionVersion.objects.create(
        question=question, number=1, created_by=actor, **content.fields()
    )
    question.current = version
    question.save(update_fields=["current"])
    return question


def version_is_used(version: QuestionVersion) -> bool:
    return version.attempt_items.exists()


@transaction.atomic
def question_update(
    *,
    actor,
    question: Question,
    content: QuestionContent,
    subject: Subject | None = None,
    difficulty: int | None = None,
    tags: str | None = None,
    status: str | None = None,
) -> Question:
    """Change a question. The content goes into a new version when the current one
    has been used in an attempt (or is being changed at all after use); an unused
    current version is corrected in place."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    content = content_validate(question.qtype, content)
    current = question.current
    if current is None or version_is_used(current):
        if current is None or _differs(current, content):
            number = (current.number if current else 0) + 1
            current = QuestionVersion.objects.create(
                question=question, number=number, created_by=actor, **content.fields()
            )
    else:
        for field, value in content.fields().items():
            setattr(current, field, value)
        current.save()
    question.current = current
    question.title = _title(content.stem)
    if subject is not None:
        question.subject = subject
    if difficulty is not None:
        question.difficulty = difficulty
    if tags is not None:
        question.tags = tags
    if status is not None:
        question.status = status
    question.full_clean()
    question.save()
    return question


def _differs(version: QuestionVersion, content: QuestionContent) -> bool:
    return any(
        getattr(version, field) != value for field, value in content.fields().items()
    )
