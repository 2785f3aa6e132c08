"""API tokens for integrations (HR systems, the 检察业务 evaluation system).

An admin creates a token for one integration and one unit subtree; the key is shown
once and stored only as its SHA-256. A token reads what a leader of that unit may
read; with ``can_write`` it may also record external training. Revoking keeps the
row (who, when, why).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit


class ApiToken(models.Model):
    name = models.CharField(_("integration"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("scope (unit and its subtree)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    can_write = models.BooleanField(
        _("may record external training"),
        default=False,
        help_text=_("Without this the token only reads."),
    )
    # The first characters of the key, shown in lists so a token can be recognised.
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("why revoked"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
