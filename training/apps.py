from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Training")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.scope import register_visible_user_ids
        from training.certificates import receivers as _certificates  # noqa: F401
        from training.certificates.models import CertificateTemplate
        from training.certificates.services import certificate_template_preview
        from training.compliance import receivers as _compliance  # noqa: F401
        from training.ledger import receivers as _ledger  # noqa: F401
        from training.org import receivers as _org  # noqa: F401
        from training.org.selectors import user_ids_in_scope

        # Above: each domain's receivers listen to the domains below it, as the
        # apps' do to courses and assessments (docs/architecture.md). Below: the
        # parts a lower layer calls without importing them.
        register_visible_user_ids(user_ids_in_scope)
        CertificateTemplate.preview_renderer = staticmethod(
            certificate_template_preview
        )
