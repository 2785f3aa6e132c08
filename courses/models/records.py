"""Enrolment, assignment and progress: plain rows with a foreign key to the course
or lesson page, written only by ``courses.services``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models.pages import HOURS, CoursePage, LessonPage

SECONDS = {"max_digits": 9, "decimal_places": 2}


class Assignment(models.Model):
    """A coordinator's "these people must take this course": the ids are stored
    with it so the enrolment task can be re-run or resumed without recomputing the
    audience."""

    class TargetKind(models.TextChoices):
        PEOPLE = "people", _("Chosen people")
        UNIT = "unit", _("Unit and its subordinate units")
        AUDIENCE = "audience", _("Audience")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    course = models.ForeignKey(
        CoursePage,
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_kind = models.CharField(
        _("assigned to"), max_length=16, choices=TargetKind.choices
    )
    target_label = models.CharField(_("target"), max_length=300)
    user_ids = models.JSONField(_("user ids"), default=list, editable=False)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    required = models.BooleanField(_("required"), default=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("people"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("new enrolments"), default=0)
    updated = models.PositiveIntegerField(_("updated enrolments"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("course assignment")
        verbose_name_plural = _("course assignments")

    def __str__(self) -> str:
        return f"{self.course.title} → {self.target_label}"

    @property
    def percent_done(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.processed * 100 // self.total)


class Enrollment(models.Model):
    class Source(models.TextChoices):
        SELF = "self", _("Self-enrolled")
        ASSIGNED = "assigned", _("Assigned")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="course_enrollments",
    )
    course = models.ForeignKey(
        CoursePage,
        verbose_name=_("course"),
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.SELF
    )
    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("assignment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrollments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # 学时 credited at completion (the course's value at that moment).
    credit_hours = models.DecimalField(
        _("credit hours"), null=True, blank=True, **HOURS
    )
    last_lesson = models.ForeignKey(
        LessonPage,
        verbose_name=_("last lesson"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Share of counted lessons completed, kept here for "my learning" lists.
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="courses_enrollment_unique"
            )
        ]
        indexes = [
            models.Index(fields=["user", "completed_at"]),
            models.Index(fields=["course", "completed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course.title}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return bool(
            self.due_on
            and self.completed_at is None
            and self.due_on < timezone.localdate()
        )


class LessonProgress(models.Model):
    """One learner's progress in one lesson, accumulated from heartbeats.

    ``position_seconds`` is where to resume; ``furthest_seconds`` the end of the
    part watched without gaps; ``watched_seconds`` what the server credited (never
    more than the wall time that passed between heartbeats).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )
    lesson = models.ForeignKey(
        LessonPage,
        verbose_name=_("lesson"),
        on_delete=models.CASCADE,
        related_name="progress",
    )
    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("enrolment"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )
    started_at = models.DateTimeField(_("opened"))
    last_beat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    playing = models.BooleanField(_("playing at last heartbeat"), default=False)
    seq = models.PositiveIntegerField(_("last heartbeat number"), default=0)
    position_seconds = models.DecimalField(
        _("resume position (s)"), default=Decimal("0"), **SECONDS
    )
    furthest_seconds = models.DecimalField(
        _("watched up to (s)"), default=Decimal("0"), **SECONDS
    )
    watched_seconds = models.DecimalField(
        _("credited time (s)"), default=Decimal("0"), **SECONDS
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"], name="courses_lessonprogress_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["enrollment"],
                condition=Q(completed_at__isnull=False),
                name="courses_progress_done_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson.title}"

    @property
    def percent(self) -> int:
        if self.completed_at:
            return 100
        duration = self.lesson.video_seconds
        if not duration:
            return 0
        return min(99, int(self.watched_seconds * 100 / duration))
