from wagtail import hooks
from wagtail.permissions import register_permission_policy

from cms.models import AuditEvent
from cms.viewsets import AuditEventViewSet, ReadOnlyPolicy

register_permission_policy(AuditEvent, ReadOnlyPolicy(AuditEvent))


@hooks.register("register_admin_viewset")
def register_audit_log():
    return AuditEventViewSet("audit_log")
