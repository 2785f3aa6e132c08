"""The question bank: subjects, questions and their immutable versions, and the
record of each workbook imported into it."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField
from wagtail.search import index


class Subject(models.Model):
    """A subject of the question bank (职业道德, 法律监督 …), kept as data."""

    name = models.CharField(_("subject name"), max_length=60, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("question subject")
        verbose_name_plural = _("question subjects")

    def __str__(self) -> str:
        return self.name


class Question(index.Indexed, models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")
        FILL = "fill", _("Fill in the blank")
        SHORT = "short", _("Short answer")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_USE = "in_use", _("In use")
        RETIRED = "retired", _("Retired")

    qtype = models.CharField(_("question type"), max_length=16, choices=Type.choices)
    subject = models.ForeignKey(
        Subject,
        verbose_name=_("subject"),
        on_delete=models.PROTECT,
        related_name="questions",
    )
    tags = models.CharField(
        _("tags"),
        max_length=200,
        blank=True,
        help_text=_("Separated by commas."),
    )
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (easy) to 5 (hard)."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    current = models.ForeignKey(
        "QuestionVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The stem's text, kept beside the version for search and the admin list.
    title = models.CharField(_("question"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.FilterField("qtype"),
        index.FilterField("status"),
        index.FilterField("subject"),
    ]

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [
            models.Index(fields=["subject", "qtype", "difficulty", "status"]),
        ]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.replace("，", ",").split(",") if t.strip()]


class QuestionVersion(models.Model):
    """What a learner sees and is graded against. Immutable once used.

    ``options``: ``[{"key": "A", "text": "..."}, ...]`` for choice questions (true/false
    uses keys ``T``/``F``). ``answer``: ``"A"`` (single, true/false), ``["A", "C"]``
    (multiple), ``[["accepted", "also accepted"], [...]]`` one list per blank (fill),
    ``null`` (short answer, graded by hand against ``rubric``).
    """

    question = models.ForeignKey(
        Question,
        verbose_name=_("question"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    stem = RichTextField(_("stem"))
    options = models.JSONField(_("options"), default=list, blank=True)
    answer = models.JSONField(_("answer key"), null=True, blank=True)
    partial_credit = models.BooleanField(
        _("partial credit"),
        default=False,
        help_text=_(
            "Multiple choice: each right choice earns its share, each wrong choice "
            "takes one share off (never below zero). Otherwise all or nothing."
        ),
    )
    explanation = RichTextField(_("explanation"), blank=True)
    rubric = models.TextField(
        _("grading notes"),
        blank=True,
        help_text=_("Short answer: what a full-mark answer contains."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["question", "-number"]
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="question_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question} v{self.number}"

    @property
    def qtype(self) -> str:
        return self.question.qtype

    @property
    def option_keys(self) -> list[str]:
        return [o["key"] for o in self.options]

    @property
    def blank_count(self) -> int:
        return (
            len(self.answer or []) if self.question.qtype == Question.Type.FILL else 0
        )


class QuestionImport(models.Model):
    """An uploaded question workbook and what became of it."""

    class Status(models.TextChoices):
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question import")
        verbose_name_plural = _("question imports")

    def __str__(self) -> str:
        return self.file_name
