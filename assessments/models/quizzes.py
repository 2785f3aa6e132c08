"""Quizzes and exams: their settings, their lines (fixed questions or random
draws) and who is invited to take them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField

from assessments.models.bank import Question, Subject

MARKS = {"max_digits": 7, "decimal_places": 2}


class Quiz(ClusterableModel):
    """A lesson quiz or a standalone timed exam."""

    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Lesson quiz")
        EXAM = "exam", _("Exam")

    class Grading(models.TextChoices):
        HIGHEST = "highest", _("Highest attempt")
        LAST = "last", _("Last attempt")

    class Audience(models.TextChoices):
        ALL = "all", _("Every signed-in member of staff")
        INVITED = "invited", _("Invited people only")

    class Review(models.TextChoices):
        AFTER_SUBMIT = "after_submit", _("Right after submitting")
        AFTER_CLOSE = "after_close", _("After the quiz closes")
        NEVER = "never", _("Never")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=8, choices=Kind.choices, default=Kind.QUIZ
    )
    description = RichTextField(_("instructions"), blank=True)
    audience = models.CharField(
        _("who may take it"),
        max_length=8,
        choices=Audience.choices,
        default=Audience.ALL,
    )
    pass_percent = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=1, help_text=_("0 means unlimited.")
    )
    grading = models.CharField(
        _("which attempt counts"),
        max_length=8,
        choices=Grading.choices,
        default=Grading.HIGHEST,
    )
    open_at = models.DateTimeField(_("opens"), null=True, blank=True)
    close_at = models.DateTimeField(_("closes"), null=True, blank=True)
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty for no time limit."),
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    negative_marking = models.DecimalField(
        _("negative marking"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "Share of a question's marks taken off for each wrong option chosen in "
            "a multiple-choice question (0 for none). A question never scores below "
            "zero."
        ),
    )
    review_score = models.CharField(
        _("show the score"),
        max_length=16,
        choices=Review.choices,
        default=Review.AFTER_SUBMIT,
    )
    review_correctness = models.CharField(
        _("show right or wrong"),
        max_length=16,
        choices=Review.choices,
        default=Review.AFTER_SUBMIT,
    )
    review_answers = models.CharField(
        _("show the correct answers"),
        max_length=16,
        choices=Review.choices,
        default=Review.AFTER_CLOSE,
    )
    review_explanations = models.CharField(
        _("show explanations"),
        max_length=16,
        choices=Review.choices,
        default=Review.AFTER_CLOSE,
    )
    is_published = models.BooleanField(_("published"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("quiz or exam")
        verbose_name_plural = _("quizzes and exams")

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        if self.open_at and now < self.open_at:
            return False
        return not (self.close_at and now >= self.close_at)

    def is_closed(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.close_at and now >= self.close_at)


class QuizSlot(models.Model):
    """One line of a quiz: a fixed question, or ``count`` questions drawn at random
    from a pool (subject × type × difficulty) when an attempt starts."""

    quiz = ParentalKey(
        Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="slots"
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    question = models.ForeignKey(
        Question,
        verbose_name=_("fixed question"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pool_subject = models.ForeignKey(
        Subject,
        verbose_name=_("draw from subject"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pool_qtype = models.CharField(
        _("draw question type"),
        max_length=16,
        choices=Question.Type.choices,
        blank=True,
    )
    pool_difficulty = models.PositiveSmallIntegerField(
        _("draw difficulty"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    count = models.PositiveSmallIntegerField(
        _("how many"), default=1, validators=[MinValueValidator(1)]
    )
    marks = models.DecimalField(
        _("marks each"),
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
        **MARKS,
    )

    class Meta:
        ordering = ["quiz", "sort_order", "pk"]
        verbose_name = _("quiz line")
        verbose_name_plural = _("quiz lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False) | Q(pool_subject__isnull=False),
                name="quiz_slot_question_or_pool",
            )
        ]

    # The admin's inline editor keeps lines in the order the editor arranges them.
    sort_order_field = "sort_order"

    def __str__(self) -> str:
        if self.question_id:
            return str(self.question)
        return f"{self.pool_subject} × {self.count}"

    @property
    def is_draw(self) -> bool:
        return self.question_id is None


class QuizInvitation(models.Model):
    """Who may take an exam whose audience is "invited people only"."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exam invitation")
        verbose_name_plural = _("exam invitations")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user"], name="quiz_invite_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quiz} → {self.user}"
