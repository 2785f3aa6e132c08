"""Certificates (结业证书 / 培训合格证明).

A certificate is issued once and never edited: every printed field is kept as a
snapshot next to the stored PDF and its SHA-256. Revoking it adds a
``CertificateRevocation`` row; re-issuing adds a new certificate (a new number, the
next ``generation`` of the same subject) that ``replaces`` the old one, whose verify
page then points to it. The unique (subject, generation) pair is what makes issuing
idempotent: a bulk run that is repeated or resumed after a crash cannot issue the
same certificate twice.
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from wagtail.models import PreviewableMixin

from training.classes.models import TrainingClass
from training.ledger.models import LedgerEntry
from training.org.models import OrgUnit, Person
from training.programmes.models import Programme

# {name} in a template's body text; the values are filled in at issue time.
PLACEHOLDERS = {
    "name": _("full name"),
    "unit": _("unit"),
    "subject": _("programme or class"),
    "start": _("start date"),
    "end": _("end date"),
    "hours": _("学时"),
    "days": _("days"),
    "result": _("result"),
    "issued": _("date of issue"),
}
PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


def placeholder_help() -> str:
    return ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)


class CertificateTemplate(PreviewableMixin, models.Model):
    """What a certificate looks like, edited by editors in the Wagtail admin."""

    class Orientation(models.TextChoices):
        LANDSCAPE = "landscape", _("A4 landscape")
        PORTRAIT = "portrait", _("A4 portrait")

    name = models.CharField(_("template name"), max_length=100, unique=True)
    title = models.CharField(
        _("certificate title"),
        max_length=40,
        help_text=_("For example 结业证书 or 培训合格证明."),
    )
    issuing_body = models.CharField(_("issuing body"), max_length=100)
    body = models.TextField(
        _("body text"),
        help_text=_(
            "Placeholders are replaced when the certificate is issued: "
            "{name} name, {unit} unit, {subject} programme or class, {start} and "
            "{end} dates, {hours} 学时, {days} days, {result} result, {issued} date "
            "of issue. A blank line starts a new paragraph."
        ),
    )
    signature_line = models.CharField(
        _("signature line"),
        max_length=100,
        blank=True,
        help_text=_("Printed above the date, e.g. the issuing body's name."),
    )
    seal = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("seal image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A PNG with a transparent background works best."),
    )
    orientation = models.CharField(
        _("layout"),
        max_length=10,
        choices=Orientation.choices,
        default=Orientation.LANDSCAPE,
    )
    is_default = models.BooleanField(
        _("default template"),
        default=False,
        help_text=_("Used for programmes and classes that do not name a template."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("certificate template")
        verbose_name_plural = _("certificate templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_certificate_template",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = sorted(
            {m for m in PLACEHOLDER_RE.findall(self.body) if m not in PLACEHOLDERS}
        )
        if unknown:
            raise ValidationError(
                {
                    "body": _("Unknown placeholders: %(names)s. Use %(known)s.")
                    % {
                        "names": ", ".join(f"{{{n}}}" for n in unknown),
                        "known": placeholder_help(),
                    }
                }
            )

    # Wagtail admin preview: the certificate with sample data, as HTML or PDF.
    @property
    def preview_modes(self):
        return [("", _("As a web page")), ("pdf", _("As PDF"))]

    # Rendering is the services' job and models never import services: the
    # renderer is handed in at start-up (TrainingConfig.ready).
    preview_renderer: Callable[..., HttpResponse] | None = None

    def serve_preview(self, request, mode_name):
        return type(self).preview_renderer(template=self, mode=mode_name)


class CertificateBatch(models.Model):
    """A bulk issue run as a background task: progress for the page, resumable."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate_batches",
    )
    cycle_start = models.DateField(_("cycle start"), null=True, blank=True)
    training_class = models.ForeignKey(
        TrainingClass,
        verbose_name=_("class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate_batches",
    )
    # Whose scope the batch belongs to (the requester's unit, or the class organiser).
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system issued automatically."),
    )
    person_ids = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("people"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    skipped = models.PositiveIntegerField(_("already had one"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(programme__isnull=True)
                ^ models.Q(training_class__isnull=True),
                name="certificate_batch_one_subject",
            )
        ]

    def __str__(self) -> str:
        return str(self.programme or self.training_class)

    @property
    def subject(self):
        return self.programme or self.training_class

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100


class Certificate(models.Model):
    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Programme")
        CLASS = "class", _("Class")

    # 16 Crockford base-32 characters (80 random bits): the certificate number and
    # the verify URL's key. Printed in groups of four.
    code = models.CharField(_("certificate number"), max_length=16, unique=True)
    # What the certificate is for: "programme:<id>:<person>:<cycle start>" or
    # "class:<id>:<person>"; generation 1 is the first issue, re-issues count up.
    subject_key = models.CharField(max_length=80)
    generation = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit at issue"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    cycle_start = models.DateField(_("cycle start"), null=True, blank=True)
    training_class = models.ForeignKey(
        TrainingClass,
        verbose_name=_("class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    template = models.ForeignKey(
        CertificateTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    # pii: the printed name, unit and amounts as they were on the day of issue.
    fields = models.JSONField(_("printed fields"))
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/%m/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signed = models.BooleanField(_("digitally signed"), default=False)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    batch = models.ForeignKey(
        CertificateBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system issued automatically."),
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key", "generation"], name="certificate_once"
            ),
            models.CheckConstraint(
                condition=models.Q(programme__isnull=True)
                ^ models.Q(training_class__isnull=True),
                name="certificate_one_subject",
            ),
        ]
        indexes = [models.Index(fields=["subject_key"])]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def subject(self):
        return self.programme or self.training_class


class CertificateRevocation(models.Model):
    """Revoking is a new row, never an edit of the certificate."""

    certificate = models.OneToOneField(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        related_name="revocation",
    )
    reason = models.CharField(_("reason"), max_length=500)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), auto_now_add=True)
    # The reversal that prompted it, when it came from a ledger correction.
    reversal = models.ForeignKey(
        LedgerEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("certificate revocation")
        verbose_name_plural = _("certificate revocations")

    def __str__(self) -> str:
        return str(self.certificate)


class CertificateReview(models.Model):
    """A revocation offered because credit behind a valid certificate was reversed;
    a coordinator confirms it (the certificate is revoked) or keeps the
    certificate, with a note."""

    class Outcome(models.TextChoices):
        REVOKED = "revoked", _("Revoked")
        KEPT = "kept", _("Kept")

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    reversal = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("reversal"),
        on_delete=models.PROTECT,
        related_name="certificate_reviews",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("certificate review")
        verbose_name_plural = _("certificate reviews")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "reversal"], name="certificate_review_once"
            )
        ]

    def __str__(self) -> str:
        return str(self.certificate)
