"""API tokens for integrations: create (the key is returned once), revoke, and the
lookup behind ``Authorization: Bearer <key>``.

Only the SHA-256 of a key is stored, so a copy of the database does not hand out
working keys; the first characters are kept in clear to recognise a token in lists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from training.api.models import ApiToken
from training.org.models import OrgUnit, RoleGrant
from training.org.selectors import scope_paths

KEY_PREFIX = "jcpx_"
PREFIX_LENGTH = 12
# last_used_at is a hint for admins, not a log: one write a minute per token is
# enough and keeps a busy integration from writing on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

ADMIN_ROLES = frozenset({RoleGrant.Role.ADMIN})


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_admin_paths(user) -> list[str] | None:
    """Subtrees in which ``user`` may manage tokens: ``None`` for a superuser (no
    limit), the admin-role subtrees otherwise (empty: not an admin)."""
    return scope_paths(user, ADMIN_ROLES)


def api_token_may_manage(user, unit: OrgUnit) -> bool:
    paths = api_token_admin_paths(user)
    if paths is None:
        return True
    return any(unit.path.startswith(p) for p in paths)


def _require_may_manage(actor, unit: OrgUnit) -> None:
    if actor is None or not api_token_may_manage(actor, unit):
        raise PermissionDenied


@transaction.atomic
def api_token_create(
    *,
    name: str,
    unit: OrgUnit,
    can_write: bool,
    actor,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``unit``'s subtree and its plain key (shown once, never
    stored)."""
    _require_may_manage(actor, unit)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    while True:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        prefix = key[:PREFIX_LENGTH]
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    token = ApiToken(
        name=name.strip(),
        unit=unit,
        can_write=can_write,
        prefix=prefix,
        key_hash=_hash(key),
        created_by=actor,
        expires_at=expires_at,
    )
    token.full_clean(exclude=["unit", "created_by"])
    token.save()
    audit_record(
        action=AuditEvent.Action.ROLE_GRANTED,
        actor=actor,
        target=token,
        detail={
            "api_token": token.prefix,
            "unit": unit.pk,
            "can_write": can_write,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, reason: str) -> ApiToken:
    """Stop a token; the row stays (who, when, why)."""
    token = (
        ApiToken.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=token.pk)
    )
    _require_may_manage(actor, token.unit)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the token is revoked.")})
    if token.revoked_at is not None:
        raise ValidationError(_("This token has already been revoked."))
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.revoke_reason = reason.strip()[:500]
    token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        action=AuditEvent.Action.ROLE_REVOKED,
        actor=actor,
        target=token,
        detail={"api_token": token.prefix, "reason": token.revoke_reason},
    )
    return token


def api_token_status(token: ApiToken, now: dt.datetime | None = None) -> str:
    """active / expired / revoked."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token whose key this is, else ``None`` (unknown, revoked and
    expired keys alike)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("unit")
        .filter(prefix=key[:PREFIX_LENGTH])
        .first()
    )
    # The prefix narrows the lookup; the hash comparison decides, in constant time.
    if token is None or not hmac.compare_digest(token.key_hash, _hash(key)):
        return None
    now = timezone.now()
    if api_token_status(token, now) != "active" or not token.unit.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
