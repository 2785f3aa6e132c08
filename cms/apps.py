from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms import checks, receivers  # noqa: F401  (registers checks, receivers)


class UsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's user admin, with forms for our single full_name field."""

    user_viewset = "cms.viewsets.UserViewSet"
