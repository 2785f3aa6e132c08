"""Certificate templates in the Wagtail admin (a snippet, with the live preview).

Editing a template never changes a certificate already issued: every certificate
keeps its printed fields and its PDF. A template that certificates, classes or
programmes point to cannot be deleted, nor can the default one.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet

from training.certificates.models import Certificate, CertificateTemplate
from training.classes.models import TrainingClass
from training.programmes.models import Programme


class CertificateTemplatePolicy(ModelPermissionPolicy):
    """Django model permissions (the editor and admin role groups), plus: nothing
    in use is deleted (the foreign keys protect it; this hides the button)."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and template_in_use(instance):
            return False
        return super().user_has_permission_for_instance(user, action, instance)


def template_in_use(template: CertificateTemplate) -> bool:
    return (
        template.is_default
        or Certificate.objects.filter(template=template).exists()
        or TrainingClass.objects.filter(certificate_template=template).exists()
        or Programme.objects.filter(certificate_template=template).exists()
    )


class CertificateTemplateDeleteView(snippet_views.DeleteView):
    """The generic delete view checks the model permission only; the template
    itself must not be in use either (a PROTECT foreign key would fail anyway)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if template_in_use(self.object):
            raise PermissionDenied


class CertificateTemplateForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_default"):
            other = (
                CertificateTemplate.objects.filter(is_default=True)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if other is not None:
                self.add_error(
                    "is_default",
                    _(
                        "“%(name)s” is the default template: untick “default "
                        "template” there first."
                    )
                    % {"name": other.name},
                )
        return cleaned


def _field(name: str):
    return CertificateTemplate._meta.get_field(name).verbose_name


class CertificateTemplateViewSet(SnippetViewSet):
    model = CertificateTemplate
    icon = "doc-full"
    menu_label = _("Certificate templates")
    menu_order = 250
    add_to_admin_menu = True
    copy_view_enabled = True
    delete_view_class = CertificateTemplateDeleteView
    inspect_view_enabled = False
    search_fields = ["name", "title", "issuing_body"]
    search_backend_name = None
    ordering = ["name"]
    # Labels are the model's verbose names.
    list_display = [
        "name",
        "title",
        Column("get_orientation_display", label=_field("orientation")),
        BooleanColumn("is_default", label=_field("is_default")),
        DateColumn("updated_at", label=_field("updated_at"), sort_key="updated_at"),
    ]
    list_filter = ["orientation", "is_default"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("title"), FieldPanel("issuing_body")]),
                    FieldPanel("body"),
                    FieldPanel("signature_line"),
                ],
                heading=_("Certificate text"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("seal"),
                    FieldRowPanel(
                        [FieldPanel("orientation"), FieldPanel("is_default")]
                    ),
                ],
                heading=_("Seal and layout"),
            ),
        ],
        base_form_class=CertificateTemplateForm,
    )
