from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from training.models import CertificateTemplate, OrgUnit, Person
from training.panels import home_panels
from training.viewsets import OrgUnitViewSet, PersonPolicy, PersonViewSet, ScopedPolicy
from training.viewsets_certificates import (
    CertificateTemplatePolicy,
    CertificateTemplateViewSet,
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
