"""Attempts and their items, every change to a mark after automatic grading, and
the notices that tell a learner about such a change."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models.bank import Question, QuestionVersion
from assessments.models.quizzes import MARKS, Quiz


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
