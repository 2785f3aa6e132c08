from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class User(AbstractUser):
    """A login. Chinese names are not first + last, so there is one full_name.

    The username is the 工号 (employee number) for staff created from a roster.
    """

    first_name = None
    last_name = None
    full_name = models.CharField(
        _("full name"), max_length=100, blank=True
    )  # pii: name

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


class AuditEvent(models.Model):
    """Append-only record of a sensitive action; written by ``cms.audit.audit_record``.

    Rows are never updated or deleted by the application; the admin view is read-only.
    """

    # An append-only log: nothing ever asks where an audit event is "used", so
    # Wagtail's reference index (a task per save once the admin viewset is
    # registered) is skipped.
    wagtail_reference_index_ignore = True

    class Action(models.TextChoices):
        LOGIN = "auth.login", _("Logged in")
        LOGIN_FAILED = "auth.login_failed", _("Failed login")
        LOGOUT = "auth.logout", _("Logged out")
        PASSWORD_RESET = "auth.password_reset", _("Password reset")
        MFA_ACTIVATED = "auth.mfa_activated", _("Two-factor authentication activated")
        MFA_DEACTIVATED = (
            "auth.mfa_deactivated",
            _("Two-factor authentication deactivated"),
        )
        ROLE_GRANTED = "role.granted", _("Role granted")
        ROLE_REVOKED = "role.revoked", _("Role revoked")
        ROSTER_IMPORTED = "roster.imported", _("Roster imported")
        ROSTER_REJECTED = "roster.rejected", _("Roster import rejected")
        UNIT_MOVED = "org.unit_moved", _("Unit moved")
        PERSON_CHANGED = "org.person_changed", _("Person changed")
        EXPORT = "data.export", _("Data exported")
        APPROVAL = "record.approval", _("Approval")
        CORRECTION = "record.correction", _("Correction")
        CERTIFICATE_ISSUED = "certificate.issued", _("Certificate issued")
        CERTIFICATE_REVOKED = "certificate.revoked", _("Certificate revoked")
        PROGRAMME_PUBLISHED = "programme.published", _("Programme rule published")
        CLASS_COMPLETED = "class.completed", _("Class completed")
        REPORT_SUBMITTED = "report.submitted", _("Progress report submitted")
        REPORT_RETURNED = "report.returned", _("Progress report returned")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The username at the time, so the row still reads after the user is gone.
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class HomePage(Page):
    """The site's front door: a welcome text plus role-aware entry points.

    The entry points come from the ``cms_home_panels`` hook so that the apps
    above cms (training, courses) add their own without cms importing them.
    """

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        from wagtail import hooks

        context = super().get_context(request, *args, **kwargs)
        panels = []
        if request.user.is_authenticated:
            for hook in hooks.get_hooks("cms_home_panels"):
                panels.extend(hook(request) or [])
        context["panels"] = sorted(panels, key=lambda panel: panel.get("order", 100))
        return context


class StandardPage(Page):
    """A plain content page: notices, policy texts, help."""

    introduction = models.CharField(_("introduction"), max_length=500, blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class SearchEntry(models.Model):
    """A plain-text copy of one published page, for the site search (``/search/``).

    Wagtail's database backend splits text into words at spaces, and Chinese has
    none, so "廉洁" would never find 《公正廉洁执法》. This table holds each live
    page's title and text as extracted from its ``search_fields`` and is queried by
    substring (``cms.search``). Kept in step by receivers on publish, unpublish and
    delete; ``manage.py rebuild_search_entries`` rebuilds it. docs/search.md.
    """

    page = models.OneToOneField(
        "wagtailcore.Page",
        verbose_name=_("page"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_entry",
    )
    title = models.CharField(_("title"), max_length=255)
    text = models.TextField(_("text"), blank=True)
    # "app_label.modelname" of the specific page class, e.g. "courses.lessonpage".
    kind = models.CharField(_("kind"), max_length=100, db_index=True)
    updated_at = models.DateTimeField(_("indexed"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return self.title


class ScheduledRun(models.Model):
    """One run of a scheduled job for one time slot. The unique (job, slot_start)
    is the lock: of several schedulers (one per app server) the one whose insert
    succeeds runs the job; the others see the row and skip the slot."""

    job = models.CharField(_("job"), max_length=64)
    slot_start = models.DateTimeField(_("slot"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    host = models.CharField(_("host"), max_length=255)
    ok = models.BooleanField(_("succeeded"), null=True)
    error = models.TextField(_("error"), blank=True)
    output = models.TextField(_("output"), blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-slot_start", "job"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "slot_start"], name="cms_scheduledrun_one_per_slot"
            )
        ]
        indexes = [models.Index(fields=["started_at"], name="cms_scheduledrun_started")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot_start:%Y-%m-%d %H:%M}"
