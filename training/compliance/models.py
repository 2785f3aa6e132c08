"""Compliance (达标情况): one row per person, programme and cycle, kept current by
``training.compliance.services``. Exemptions (免修) with reason, approver and period."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit, Person
from training.programmes.models import DAYS, HOURS, Programme, ProgrammeVersion


class ComplianceStatus(models.Model):
    class Status(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        IN_PROGRESS = "in_progress", _("In progress")
        NON_COMPLIANT = "overdue", _("Not compliant")
        EXEMPT = "exempt", _("Exempt")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="compliance"
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="compliance"
    )
    version = models.ForeignKey(
        ProgrammeVersion, on_delete=models.PROTECT, related_name="+"
    )
    # The person's unit when last evaluated: reports count people where they are now.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    cycle_start = models.DateField(_("cycle start"))
    cycle_end = models.DateField(_("cycle end"))
    due_on = models.DateField(_("due on"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    hours = models.DecimalField(_("学时"), default=0, **HOURS)
    days = models.DecimalField(_("days"), default=0, **DAYS)
    online_hours = models.DecimalField(_("online 学时"), default=0, **HOURS)
    centralised_days = models.DecimalField(_("centralised days"), default=0, **DAYS)
    pending_hours = models.DecimalField(
        _("学时 waiting for approval"), default=0, **HOURS
    )
    # What is still missing, as data the explanation is rendered from
    # (see training.programmes.rules.Evaluation.missing).
    missing = models.JSONField(default=dict, blank=True)
    met_on = models.DateField(_("met on"), null=True, blank=True)
    evaluated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compliance status")
        verbose_name_plural = _("compliance statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme", "cycle_start"],
                name="unique_compliance_cycle",
            )
        ]
        indexes = [
            models.Index(fields=["programme", "cycle_start", "status"]),
            models.Index(fields=["unit", "programme", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.programme_id} · {self.status}"


class Exemption(models.Model):
    """免修: the person need not meet the programme from ``valid_from`` to
    ``valid_until``.

    Revoking keeps the row (who, when, why)."""

    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="exemptions",
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="exemptions",
    )
    reason = models.CharField(_("reason"), max_length=500)
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("why revoked"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("exemption")
        verbose_name_plural = _("exemptions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "programme"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.programme}"
