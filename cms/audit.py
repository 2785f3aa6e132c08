"""The one way to write the audit log. Every app calls ``audit_record``."""

from __future__ import annotations

from typing import Any

from django.db import models

from cms.models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy REMOTE_ADDR is the proxy; the proxy is documented to
    # set X-Real-IP. We trust only REMOTE_ADDR otherwise so the value cannot be forged.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


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
