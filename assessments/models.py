"""Question bank, quizzes, attempts and grades.

A ``Question`` is the bank entry editors see; what a learner answers is one immutable
``QuestionVersion`` of it. Once a version has been put into an attempt it is never
changed: editing the question then makes a new version, so an old attempt still shows
(and is graded against) exactly what its learner saw.

An ``Attempt`` fixes its question set, option order and deadline when it starts; the
browser is told only stems and option texts. Answer keys stay on the server until the
quiz's review policy allows them.
"""

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
from wagtail.search import index

MARKS = {"max_digits": 7, "decimal_places": 2}


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


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        GRADING = "grading", _("Awaiting grading")
        FINISHED = "finished", _("Finished")

    class ClosedBy(models.TextChoices):
        LEARNER = "learner", _("Submitted by the learner")
        TIMEOUT = "timeout", _("Closed when time ran out")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    quiz = models.ForeignKey(
        Quiz, verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="quiz_attempts",
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.IN_PROGRESS,
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    # Decided at start: min(start + time limit, quiz close). Null: no deadline.
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    closed_by = models.CharField(
        _("closed by"), max_length=8, choices=ClosedBy.choices, blank=True
    )
    score = models.DecimalField(_("score"), null=True, blank=True, **MARKS)
    max_score = models.DecimalField(_("out of"), default=Decimal("0"), **MARKS)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [
            ("grade_attempt", _("Can grade attempts of people in scope")),
        ]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="attempt_number_unique"
            ),
            # At most one open attempt per learner and quiz: two tabs or two devices
            # pressing "start" at once get the same attempt, not two.
            models.UniqueConstraint(
                fields=["quiz", "user"],
                condition=Q(status="in_progress"),
                name="attempt_one_in_progress",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["user", "quiz"]),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.number} ({self.user})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS


class AttemptItem(models.Model):
    """One question of one attempt, with the learner's latest saved response."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    version = models.ForeignKey(
        QuestionVersion, on_delete=models.PROTECT, related_name="attempt_items"
    )
    # Copied from the version at start so an autosave validates without a join.
    qtype = models.CharField(max_length=16, choices=Question.Type.choices)
    option_order = models.JSONField(default=list, blank=True)
    marks = models.DecimalField(**MARKS)
    response = models.JSONField(null=True, blank=True)
    # The client's sequence number of the saved response; a save with a lower or
    # equal number (an older tab, a retried request) changes nothing.
    seq = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(null=True, blank=True, **MARKS)
    feedback = models.TextField(_("feedback"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attempt_item_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt} Q{self.position}"

    @property
    def needs_manual_grading(self) -> bool:
        return self.qtype == Question.Type.SHORT and self.score is None


class GradeChange(models.Model):
    """Every change to a mark after automatic grading: by a grader, or a regrade after
    a key correction. Never edited; the item keeps the latest score."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("Graded by hand")
        REGRADE = "regrade", _("Regraded after a key correction")

    item = models.ForeignKey(
        AttemptItem, on_delete=models.PROTECT, related_name="grade_changes"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    old_score = models.DecimalField(_("old score"), null=True, blank=True, **MARKS)
    new_score = models.DecimalField(_("new score"), **MARKS)
    reason = models.TextField(_("reason"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")

    def __str__(self) -> str:
        return f"{self.item}: {self.old_score} → {self.new_score}"


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


class LearnerNotice(models.Model):
    """A message to a learner about their results (e.g. a regrade changed a score),
    shown on their results page until read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="notices"
    )
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message[:60]
