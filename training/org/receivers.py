"""The organisation's own set-up after migrations: the role groups."""

from django.apps import apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from training.org.services import role_groups_ensure


@receiver(post_migrate)
def ensure_role_groups(sender, app_config=None, using="default", **kwargs):
    # Permissions are created app by app in post_migrate; the role groups need those
    # of several apps, so they are refreshed once the last app has had its turn.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if with_models and app_config is with_models[-1]:
        role_groups_ensure()
