"""Programmes (培训项目) and their rule versions.

A programme is the stable identity (name, owner, responsible department and person);
what it asks of whom lives in ``ProgrammeVersion`` rows. A version never changes once
published; a changed rule is a new version with its own effective date, and each
cycle is measured by the version in force when the cycle began (for event-triggered
cycles: on the event date). So a new rule never rewrites a past cycle silently.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit, Person

HOURS = {"max_digits": 7, "decimal_places": 2}
DAYS = {"max_digits": 6, "decimal_places": 1}


class Programme(models.Model):
    class Kind(models.TextChoices):
        POLITICAL = "political", _("Political rotation training")
        ON_THE_JOB = "on_the_job", _("On-the-job training")
        INDUCTION = "induction", _("Pre-service training")
        APPOINTMENT = "appointment", _("Training on taking office")
        PROMOTION = "promotion", _("Promotion training")
        SPECIALIST = "specialist", _("Specialised professional training")
        LEADERSHIP = "leadership", _("Leadership competence training")
        ALL_STAFF = "all_staff", _("All-staff training")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    # A stable key for ready-made programmes (the national rules), so seeding is
    # idempotent; blank for programmes made in the UI.
    key = models.SlugField(max_length=60, unique=True, null=True, blank=True)
    name = models.CharField(_("programme name"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    owner_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("owner unit"),
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    responsible_department = models.CharField(
        _("responsible department"), max_length=100
    )
    responsible_person = models.CharField(_("responsible person"), max_length=60)
    deadline = models.DateField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_(
            "Optional. When it falls inside a cycle, people must comply by this date "
            "instead of the cycle's end."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    issues_certificate = models.BooleanField(
        _("issue a certificate on compliance"), default=False
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["owner_unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class ProgrammeVersion(models.Model):
    """One version of a programme's rule: audience, requirements and cycle."""

    class CycleKind(models.TextChoices):
        CALENDAR_YEAR = "year", _("Calendar year")
        MULTI_YEAR = "years", _("Several years")
        EVENT = "event", _("Within a period after an event")
        ONCE = "once", _("Once, by the deadline")

    class TriggerEvent(models.TextChoices):
        JOINED = "joined", _("Joining the service")
        APPOINTED = "appointed", _("Taking up the current post")
        PROMOTED = "promoted", _("Promotion to the current grade")

    class Quota(models.TextChoices):
        ANY = "", _("Quota and non-quota staff")
        QUOTA = "quota", _("Quota prosecutors (员额) only")
        NON_QUOTA = "non_quota", _("Non-quota staff only")

    class CreditScope(models.TextChoices):
        ALL = "all", _("All credited training")
        EARMARKED = "earmarked", _("Only training earmarked for this programme")

    # Trigger event -> the Person field holding its date.
    EVENT_FIELDS = {
        TriggerEvent.JOINED: "joined_on",
        TriggerEvent.APPOINTED: "post_since",
        TriggerEvent.PROMOTED: "grade_since",
    }

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    is_published = models.BooleanField(_("published"), default=False)

    # Audience (培训对象). Empty lists mean "no restriction".
    audience_units = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("units (with their subtrees)"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for the owner unit's whole subtree."),
    )
    categories = models.JSONField(_("categories"), default=list, blank=True)
    grades = models.JSONField(_("grades"), default=list, blank=True)
    leadership_levels = models.JSONField(
        _("leadership levels"), default=list, blank=True
    )
    quota = models.CharField(
        _("quota (员额)"), max_length=10, choices=Quota.choices, blank=True
    )

    # Requirements. Hours OR days: met when either configured threshold is reached.
    hours_required = models.DecimalField(
        _("学时 required"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **HOURS,
    )
    days_required = models.DecimalField(
        _("or days required"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **DAYS,
    )
    online_hours_required = models.DecimalField(
        _("online 学时 required"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **HOURS,
    )
    centralised_days_required = models.DecimalField(
        _("days in centralised classes required"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **DAYS,
    )
    required_courses = models.ManyToManyField(
        "courses.CoursePage",
        verbose_name=_("required courses"),
        blank=True,
        related_name="+",
    )
    required_quizzes = models.ManyToManyField(
        "assessments.Quiz",
        verbose_name=_("required exams"),
        blank=True,
        related_name="+",
    )
    required_classes = models.ManyToManyField(
        "training.TrainingClass",
        verbose_name=_("required classes"),
        blank=True,
        related_name="+",
    )
    credit_scope = models.CharField(
        _("what counts"),
        max_length=10,
        choices=CreditScope.choices,
        default=CreditScope.ALL,
    )

    # Cycle (周期).
    cycle_kind = models.CharField(
        _("cycle"),
        max_length=8,
        choices=CycleKind.choices,
        default=CycleKind.CALENDAR_YEAR,
    )
    cycle_years = models.PositiveSmallIntegerField(
        _("years per cycle"), default=1, validators=[MinValueValidator(1)]
    )
    cycle_anchor_year = models.PositiveSmallIntegerField(
        _("first year of the first cycle"), null=True, blank=True
    )
    trigger_event = models.CharField(
        _("triggering event"), max_length=10, choices=TriggerEvent.choices, blank=True
    )
    window_months = models.PositiveSmallIntegerField(
        _("months after the event"), null=True, blank=True
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

    class Meta:
        verbose_name = _("programme rule version")
        verbose_name_plural = _("programme rule versions")
        ordering = ["programme", "-effective_from", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"], name="unique_programme_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme} v{self.number}"

    def clean(self) -> None:
        errors = {}
        valid = {
            "categories": set(Person.Category.values),
            "grades": set(Person.Grade.values),
            "leadership_levels": set(Person.LeadershipLevel.values),
        }
        for field, allowed in valid.items():
            value = getattr(self, field)
            if not isinstance(value, list) or not set(value) <= allowed:
                errors[field] = _("Choose from the listed values.")
        if self.cycle_kind == self.CycleKind.EVENT:
            if not self.trigger_event:
                errors["trigger_event"] = _("Choose the event that starts the period.")
            if not self.window_months:
                errors["window_months"] = _("Say how many months the period lasts.")
        if self.cycle_kind == self.CycleKind.MULTI_YEAR and not self.cycle_anchor_year:
            errors["cycle_anchor_year"] = _(
                "Say which year the first multi-year cycle starts."
            )
        if errors:
            raise ValidationError(errors)
