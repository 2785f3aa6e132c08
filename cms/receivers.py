"""Authentication events go to the audit log (allauth and Django both emit them);
published pages go to the search table (cms.search)."""

from allauth.account.signals import password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished

from cms.audit import audit_record
from cms.models import AuditEvent
from cms.search import search_entry_delete, search_entry_update


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    audit_record(
        action=AuditEvent.Action.LOGIN, actor=user, target=user, request=request
    )


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(
            action=AuditEvent.Action.LOGOUT, actor=user, target=user, request=request
        )


@receiver(user_login_failed)
def record_login_failed(sender, credentials, request=None, **kwargs):
    # Only the identifier typed in; never the password.
    login = credentials.get("username") or credentials.get("email") or ""
    audit_record(
        action=AuditEvent.Action.LOGIN_FAILED,
        actor_label=str(login)[:150],
        target_label=str(login)[:255],
        request=request,
    )


@receiver(password_reset)
def record_password_reset(sender, request, user, **kwargs):
    audit_record(
        action=AuditEvent.Action.PASSWORD_RESET,
        actor=user,
        target=user,
        request=request,
    )


@receiver(authenticator_added)
def record_mfa_added(sender, request, user, authenticator, **kwargs):
    audit_record(
        action=AuditEvent.Action.MFA_ACTIVATED,
        actor=user,
        target=user,
        detail={"type": authenticator.type},
        request=request,
    )


@receiver(authenticator_removed)
def record_mfa_removed(sender, request, user, authenticator, **kwargs):
    audit_record(
        action=AuditEvent.Action.MFA_DEACTIVATED,
        actor=user,
        target=user,
        detail={"type": authenticator.type},
        request=request,
    )


# --- search table (cms.search). A deleted page loses its entry by the foreign key's
# ON DELETE CASCADE, so no delete receiver is needed.


@receiver(page_published)
def index_published_page(sender, instance, **kwargs):
    search_entry_update(page=instance)


@receiver(page_unpublished)
def unindex_unpublished_page(sender, instance, **kwargs):
    search_entry_delete(page_id=instance.pk)


@receiver(post_save)
def index_page_created_live(sender, instance, created, raw=False, **kwargs):
    """Pages created already live (``add_child`` in seed data, imports, copies)
    never pass through ``publish()``. Later saves are drafts or the publish
    itself, handled above."""
    if created and not raw and isinstance(instance, Page) and instance.live:
        search_entry_update(page=instance)
