"""The 学时 ledger (学时记录) and external records waiting for approval.

A ``LedgerEntry`` is credit that counts: it is written once and never edited. A
correction is a second entry that ``reverses`` the first, with the negated amounts,
an author and a reason; both stay. Credit a person claims for training elsewhere is
an ``ExternalRecord`` until a coordinator approves it; the approval writes the entry.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit, Person
from training.programmes.models import DAYS, HOURS, Programme


class LedgerEntry(models.Model):
    class Source(models.TextChoices):
        COURSE = "course", _("Online course")
        QUIZ = "quiz", _("Passed test")
        CLASS = "class", _("Class attendance")
        EXTERNAL = "external", _("External record")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        REVERSAL = "reversal", _("Reversal")

    ONLINE_SOURCES = frozenset({Source.COURSE, Source.QUIZ})

    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # What this credit is for, as the person should read it ("课程：…", "培训班：…").
    title = models.CharField(_("training"), max_length=300)
    hours = models.DecimalField(_("学时"), default=0, **HOURS)
    days = models.DecimalField(_("days"), default=0, **DAYS)
    is_online = models.BooleanField(_("online"), default=False)
    is_centralised = models.BooleanField(_("centralised class"), default=False)
    occurred_on = models.DateField(_("date"), db_index=True)
    # Earmarked credit counts toward this programme (and toward every programme
    # that counts all credit); unmarked credit toward the latter only.
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("earmarked for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    # Idempotency: the same event never credits twice ("enrollment:12", "class:3:77").
    source_key = models.CharField(  # noqa: DJ001 (NULL: no key, not unique)
        max_length=80, null=True, blank=True
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["person", "occurred_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=Q(source_key__isnull=False),
                name="unique_ledger_source_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.title} · {self.hours}"


class ApprovalDelegation(models.Model):
    """External records of people in ``unit``'s subtree are approved at
    ``approver_unit`` (an ancestor) instead: a small 基层院 without a training
    office hands its approvals up the tree."""

    unit = models.OneToOneField(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="approval_delegation",
    )
    approver_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("approved by coordinators of"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approval delegation")
        verbose_name_plural = _("approval delegations")

    def __str__(self) -> str:
        return f"{self.unit} → {self.approver_unit}"


class ExternalRecord(models.Model):
    """Training done elsewhere (国家检察官学院, a Party school…), as claimed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="external_records",
    )
    title = models.CharField(_("training"), max_length=300)
    provider = models.CharField(_("organised by"), max_length=200)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"))
    hours = models.DecimalField(
        _("学时"), default=0, validators=[MinValueValidator(0)], **HOURS
    )
    days = models.DecimalField(
        _("days"), default=0, validators=[MinValueValidator(0)], **DAYS
    )
    is_centralised = models.BooleanField(_("centralised (full-time) training"))
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("counts toward"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="external_record",
    )

    class Meta:
        verbose_name = _("external training record")
        verbose_name_plural = _("external training records")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "person"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class ExternalEvidence(models.Model):
    record = models.ForeignKey(
        ExternalRecord,
        verbose_name=_("record"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to="external_evidence/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name
