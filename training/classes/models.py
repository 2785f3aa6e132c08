"""Offline classes (培训班): centralised rotation classes and on-the-job classes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit, Person
from training.programmes.models import DAYS, HOURS, Programme


class TrainingClass(models.Model):
    class Kind(models.TextChoices):
        CENTRALISED = "centralised", _("Centralised rotation class")
        ON_THE_JOB = "on_the_job", _("On-the-job class")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Open for nominations")
        RUNNING = "running", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("class name"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="classes",
        help_text=_("Credit from this class is earmarked for this programme."),
    )
    organiser_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organised by"),
        on_delete=models.PROTECT,
        related_name="classes",
    )
    place = models.CharField(_("place"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(1)]
    )
    credited_hours = models.DecimalField(
        _("学时 credited"), validators=[MinValueValidator(0)], **HOURS
    )
    credited_days = models.DecimalField(
        _("days credited"), validators=[MinValueValidator(0)], **DAYS
    )
    min_attendance_percent = models.PositiveSmallIntegerField(
        _("attendance required (%)"),
        default=80,
        validators=[MaxValueValidator(100)],
    )
    final_quiz = models.ForeignKey(
        "assessments.Quiz",
        verbose_name=_("final exam"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True)
    issues_certificate = models.BooleanField(
        _("issue certificates on completion"),
        default=True,
        help_text=_("Members who pass receive a 结业证书 when the class is completed."),
    )
    certificate_template = models.ForeignKey(
        "training.CertificateTemplate",
        verbose_name=_("certificate template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the default template."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": _("The class cannot end before it starts.")}
            )


class ClassQuota(models.Model):
    """Seats a child unit may fill by nomination."""

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="quotas"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "unit"], name="unique_class_quota"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.seats}"


class ClassSession(models.Model):
    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="sessions"
    )
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    title = models.CharField(_("topic"), max_length=200)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["date", "starts_at"]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class ClassMember(models.Model):
    class Status(models.TextChoices):
        NOMINATED = "nominated", _("Nominated")
        CONFIRMED = "confirmed", _("Enrolled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Result(models.TextChoices):
        PENDING = "", _("Not yet decided")
        PASSED = "passed", _("Completed")
        FAILED = "failed", _("Not completed")

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="class_memberships",
    )
    nominating_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("nominated by unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    nominated_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED
    )
    result = models.CharField(
        _("result"), max_length=8, choices=Result.choices, blank=True
    )
    attendance_percent = models.DecimalField(
        _("attendance (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    result_note = models.CharField(_("why"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("class member")
        verbose_name_plural = _("class members")
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "person"], name="unique_class_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.training_class} · {self.person}"


class AttendanceRecord(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        LEAVE = "leave", _("On leave")
        ABSENT = "absent", _("Absent")

    # Statuses that count as attending the session.
    ATTENDED = frozenset({Status.PRESENT, Status.LATE})

    session = models.ForeignKey(
        ClassSession, on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        ClassMember, on_delete=models.CASCADE, related_name="attendance"
    )
    status = models.CharField(_("attendance"), max_length=8, choices=Status.choices)
    leave_reason = models.CharField(_("reason for leave"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="unique_attendance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.member_id} · {self.status}"
