from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from training.api.tokens import api_token_admin_paths
from training.certificates.models import CertificateTemplate
from training.certificates.viewsets import (
    CertificateTemplatePolicy,
    CertificateTemplateViewSet,
)
from training.org.models import OrgUnit, Person
from training.org.panels import home_panels
from training.org.viewsets import (
    OrgUnitViewSet,
    PersonPolicy,
    PersonViewSet,
    ScopedPolicy,
)

register_permission_policy(OrgUnit, ScopedPolicy(OrgUnit))
register_permission_policy(Person, PersonPolicy(Person))
register_permission_policy(
    CertificateTemplate, CertificateTemplatePolicy(CertificateTemplate)
)
register_snippet(CertificateTemplateViewSet)


@hooks.register("cms_home_panels")
def training_home_panels(request):
    return home_panels(request)


@hooks.register("register_admin_viewset")
def register_org_admin():
    return [OrgUnitViewSet("units"), PersonViewSet("people")]


# --- API tokens (superusers and admin-role holders) ---------------------------------


class ApiTokenMenuItem(MenuItem):
    def is_shown(self, request):
        paths = api_token_admin_paths(request.user)
        return paths is None or bool(paths)


@hooks.register("register_admin_urls")
def register_api_token_urls():
    from training.api import token_views as views

    patterns = [
        path("", views.api_token_list, name="list"),
        path("new/", views.api_token_new, name="new"),
        path("<int:pk>/created/", views.api_token_created, name="created"),
        path("<int:pk>/revoke/", views.api_token_revoke_view, name="revoke"),
    ]
    return [
        path(
            "api-tokens/",
            include((patterns, "training_api_tokens"), namespace="training_api_tokens"),
        )
    ]


@hooks.register("register_settings_menu_item")
def register_api_token_menu_item():
    return ApiTokenMenuItem(
        _("API tokens"),
        reverse("training_api_tokens:list"),
        name="api-tokens",
        icon_name="key",
        order=900,
    )
