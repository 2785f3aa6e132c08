"""Admin forms for the question bank, quizzes, imports, grading and results.

The question form edits a ``Question`` and the content of its current version in one
screen, but never saves either itself: the edit view hands the cleaned values to
``question_create`` / ``question_update``, which decide whether an edit corrects the
current version or starts a new one.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.rich_text import get_rich_text_editor_widget

from assessments.models import Attempt, Question, Quiz, QuizSlot
from assessments.services import QuestionContent, content_validate, pool_shortfalls

Type = Question.Type

CONTENT_FIELDS = ("stem", "options", "answer", "explanation", "rubric")
_OPTION_PREFIX = re.compile(r"^\s*[A-Za-z]\s*[\.．、:：\)）]\s*")


def option_letters(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def options_from_lines(text: str) -> list[dict]:
    """One option per line, lettered A, B, C … in order (a typed "A." is dropped)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    texts = [_OPTION_PREFIX.sub("", line, count=1).strip() or line for line in lines]
    return [
        {"key": key, "text": t}
        for key, t in zip(option_letters(len(texts)), texts, strict=True)
    ]


def answer_from_text(qtype: str, text: str, tf_answer: str):
    text = (text or "").strip()
    if qtype == Type.SINGLE:
        return text.upper()
    if qtype == Type.MULTIPLE:
        return [p for p in re.split(r"[\s,，、;；]+", text.upper()) if p]
    if qtype == Type.TRUE_FALSE:
        return tf_answer
    if qtype == Type.FILL:
        return [
            [a.strip() for a in re.split(r"[|｜]", line) if a.strip()]
            for line in text.splitlines()
            if line.strip()
        ]
    return None


def answer_to_text(qtype: str, answer) -> str:
    if answer is None or qtype == Type.TRUE_FALSE:
        return ""
    if qtype == Type.MULTIPLE:
        return ",".join(answer)
    if qtype == Type.FILL:
        return "\n".join("|".join(blank) for blank in answer)
    return str(answer)


class QuestionForm(WagtailAdminModelForm):
    """A question and its current content. ``qtype`` is fixed once created: learners'
    answers to earlier versions must stay gradable against the same kind of key."""

    stem = forms.CharField(
        label=_("Question text"),
        widget=get_rich_text_editor_widget(features=["bold", "italic", "image"]),
        help_text=_("Fill-in questions: mark each blank with ____."),
    )
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Choice questions: one option per line; they are lettered A, B, C … "
            "in this order."
        ),
    )
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Single choice: one letter, e.g. B. Multiple choice: letters separated "
            "by commas, e.g. A,C. Fill in the blank: one line per blank, accepted "
            "alternatives separated by |."
        ),
    )
    tf_answer = forms.ChoiceField(
        label=_("True or false answer"),
        required=False,
        choices=[("T", "正确"), ("F", "错误")],
        widget=forms.RadioSelect,
    )
    partial_credit = forms.BooleanField(
        label=_("Partial credit"),
        required=False,
        help_text=_(
            "Multiple choice only: each right choice earns its share, each wrong "
            "choice takes one share off (never below zero)."
        ),
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        widget=get_rich_text_editor_widget(features=["bold", "italic", "image"]),
        help_text=_("Shown to learners when the quiz's review policy allows."),
    )
    rubric = forms.CharField(
        label=_("Grading notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Short answer: what a full-mark answer contains."),
    )

    class Meta:
        model = Question
        fields = ["qtype", "subject", "difficulty", "tags", "status"]

    class Media:
        js = ["assessments/js/question-form.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        question = self.instance
        if question.pk:
            self.fields["qtype"].disabled = True
            self.fields["qtype"].help_text = _(
                "The type cannot change once a question exists."
            )
            version = question.current
            if version is not None and not self.is_bound:
                self.initial.update(
                    {
                        "stem": version.stem,
                        "options": "\n".join(o["text"] for o in version.options)
                        if question.qtype in (Type.SINGLE, Type.MULTIPLE)
                        else "",
                        "answer": answer_to_text(question.qtype, version.answer),
                        "tf_answer": version.answer
                        if question.qtype == Type.TRUE_FALSE
                        else "",
                        "partial_credit": version.partial_credit,
                        "explanation": version.explanation,
                        "rubric": version.rubric,
                    }
                )

    def clean(self):
        cleaned = super().clean()
        qtype = self.instance.qtype if self.instance.pk else cleaned.get("qtype")
        if not qtype:
            return cleaned
        options = []
        if qtype in (Type.SINGLE, Type.MULTIPLE):
            options = options_from_lines(cleaned.get("options", ""))
        content = QuestionContent(
            stem=cleaned.get("stem", ""),
            options=options,
            answer=answer_from_text(
                qtype, cleaned.get("answer", ""), cleaned.get("tf_answer", "")
            ),
            explanation=cleaned.get("explanation", ""),
            rubric=cleaned.get("rubric", ""),
            partial_credit=bool(cleaned.get("partial_credit")),
        )
        try:
            self.content = content_validate(qtype, content)
        except ValidationError as exc:
            self.add_service_errors(exc)
        return cleaned

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ``ValidationError`` on the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        qtype = self.instance.qtype or self.cleaned_data.get("qtype")
        for field, errors in exc.error_dict.items():
            if field == "answer" and qtype == Type.TRUE_FALSE:
                field = "tf_answer"
            self.add_error(field if field in self.fields else None, errors)


class QuizForm(WagtailAdminModelForm):
    """Quiz settings with its lines inline. Publishing is refused while a draw line's
    pool is too small or the quiz has no lines, so no learner meets the error."""

    def clean(self):
        cleaned = super().clean()
        open_at, close_at = cleaned.get("open_at"), cleaned.get("close_at")
        if open_at and close_at and close_at <= open_at:
            self.add_error("close_at", _("The quiz must close after it opens."))
        formset = self.formsets.get("slots")
        slots = self._checked_slots(formset) if formset is not None else None
        if slots is None:
            return cleaned  # the lines' own errors are shown first
        if not cleaned.get("is_published"):
            return cleaned
        if not slots:
            self.add_error(
                "is_published",
                _("Add at least one question or draw line before publishing."),
            )
            return cleaned
        short = pool_shortfalls(self.instance, slots=slots)
        if short:
            details = "; ".join(
                _("“%(line)s” draws %(count)s but only %(available)s match")
                % {"line": slot, "count": slot.count, "available": available}
                for slot, available in short
            )
            self.add_error(
                "is_published",
                _(
                    "The quiz cannot be published: some draw lines have too few "
                    "questions in use (%(details)s). Add questions to the bank or "
                    "draw fewer."
                )
                % {"details": details},
            )
        return cleaned

    @staticmethod
    def _checked_slots(formset) -> list[QuizSlot] | None:
        """The lines that will be kept (unsaved objects), or None when a line has
        errors. A line is a fixed question or a draw, never both or neither."""
        if not formset.is_valid():
            return None
        slots = []
        for form in formset.forms:
            if not form.cleaned_data or formset._should_delete_form(form):
                continue
            question = form.cleaned_data.get("question")
            subject = form.cleaned_data.get("pool_subject")
            if question and subject:
                form.add_error(
                    None,
                    _("Choose a fixed question or a subject to draw from, not both."),
                )
            elif not question and not subject:
                form.add_error(
                    None,
                    _("Choose a fixed question, or a subject to draw questions from."),
                )
            slots.append(form.instance)
        if any(form.errors for form in formset.forms):
            return None
        return slots


class QuestionImportForm(forms.Form):
    file = forms.FileField(
        label=_("Question workbook (XLSX)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet"
            }
        ),
    )


class RegradeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Learners whose score changes are told, with this reason kept in the "
            "grade history."
        ),
    )


class GradeForm(forms.Form):
    score = forms.DecimalField(label=_("Mark"), min_value=0, decimal_places=2)
    feedback = forms.CharField(
        label=_("Feedback to the learner"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=_("Reason for changing the mark"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if item is not None:
            self.fields["score"].max_value = item.marks
            self.fields["score"].widget.attrs.update(
                {"max": item.marks, "min": 0, "step": "0.5"}
            )
            self.fields["score"].help_text = _("Out of %(marks)s.") % {
                "marks": item.marks
            }
            if item.score is None:
                self.fields["reason"].widget = forms.HiddenInput()
            else:
                self.fields["reason"].required = True
                self.initial.setdefault("score", item.score)
                self.initial.setdefault("feedback", item.feedback)

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class ResultsFilterForm(forms.Form):
    quiz = forms.ModelChoiceField(
        label=_("Quiz or exam"),
        queryset=Quiz.objects.all(),
        required=False,
        empty_label=_("All quizzes"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Attempt.Status.choices],
    )
    passed = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("", _("Any result")), ("yes", _("Passed")), ("no", _("Not passed"))],
    )
    unit = forms.CharField(label=_("Unit name contains"), required=False)
    q = forms.CharField(label=_("Name or employee number"), required=False)
    date_from = forms.DateField(
        label=_("Started on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("Started on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
