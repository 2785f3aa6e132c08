"""Progress reports to the level above (进展报告).

``ProgressReport`` is one unit's report for one period; each submission is an
immutable ``ReportSubmission`` (data snapshot + PDF + SHA-256). A returned report is
revised and submitted again as a new submission; earlier ones stay.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit


class ProgressReport(models.Model):
    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Yearly")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")

    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="progress_reports",
    )
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The coordinator's own words, edited while a draft or returned.
    problems = models.TextField(_("problems and measures"), blank=True)
    comments = models.TextField(_("comments"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period_start", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "period_start"],
                name="unique_progress_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.period_start:%Y-%m} · {self.get_period_display()}"


class ReportSubmission(models.Model):
    report = models.ForeignKey(
        ProgressReport, on_delete=models.PROTECT, related_name="submissions"
    )
    number = models.PositiveIntegerField(_("submission"))
    data = models.JSONField(_("data"))
    problems = models.TextField(_("problems and measures"), blank=True)
    comments = models.TextField(_("comments"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="progress_reports/%Y/")
    sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_comment = models.TextField(_("why returned"), blank=True)

    class Meta:
        verbose_name = _("report submission")
        verbose_name_plural = _("report submissions")
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="unique_report_submission"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} #{self.number}"
