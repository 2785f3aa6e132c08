import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from cms.forms import WagtailUserCreationForm, WagtailUserEditForm
from cms.models import AuditEvent


class UserViewSet(WagtailUserViewSet):
    def get_form_class(self, for_update=False):
        return WagtailUserEditForm if for_update else WagtailUserCreationForm


class ReadOnlyPolicy(ModelPermissionPolicy):
    """The audit log can be read by holders of ``view`` and changed by nobody."""

    def user_has_permission(self, user, action):
        if action != "view":
            return False
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return self.model._default_manager.none()
        return super().users_with_any_permission(["view"])


class AuditEventFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Time"), widget=DateRangePickerWidget
    )
    actor_label = django_filters.CharFilter(label=_("Actor"), lookup_expr="icontains")
    target_label = django_filters.CharFilter(label=_("Target"), lookup_expr="icontains")

    class Meta:
        model = AuditEvent
        fields = ["action", "created_at", "actor_label", "target_label"]


class AuditEventViewSet(ModelViewSet):
    model = AuditEvent
    icon = "history"
    menu_label = _("Audit log")
    menu_order = 900
    add_to_settings_menu = True
    url_prefix = "audit"
    inspect_view_enabled = True
    filterset_class = AuditEventFilterSet
    list_per_page = 50
    list_display = [
        DateColumn("created_at", label=_("Time"), sort_key="created_at"),
        Column("actor_label", label=_("Actor")),
        Column("get_action_display", label=_("Action")),
        Column("target_label", label=_("Target")),
        Column("ip_address", label=_("IP address")),
    ]
    inspect_view_fields = [
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "ip_address",
        "detail",
    ]
    search_fields = ["actor_label", "target_label"]
    # Required by ModelViewSet; the read-only policy refuses add and change anyway.
    form_fields = ["action"]
    # Ordering by the indexed column keeps the first page cheap on large logs.
    ordering = ["-created_at"]
