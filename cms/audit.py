"""The one way to write the audit log. Every app calls ``audit_record``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from cms.models import AuditEvent


def client_ip(request) -> str | None:
    """The client's address, by the same rule as allauth's rate limits: the trusted
    proxy header when one is configured, else the connection's address."""
    if request is None:
        return None
    header = settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "").split(",")[0].strip()
        if value:
            return value
    return request.META.get("REMOTE_ADDR")


def audit_record(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
    request=None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event. Never raises on a missing actor or target."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor else ""),
        detail=detail or {},
        ip_address=client_ip(request),
    )
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
        event.target_label = (target_label or str(target))[:255]
    else:
        event.target_label = target_label[:255]
    event.save()
    return event
