from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.scope import register_visible_user_ids
        from training import receivers  # noqa: F401
        from training.selectors import user_ids_in_scope

        register_visible_user_ids(user_ids_in_scope)
