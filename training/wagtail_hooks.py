from wagtail import hooks
from wagtail.permissions import register_permission_policy

from training.models import OrgUnit, Person
from training.panels import home_panels
from training.viewsets import OrgUnitViewSet, PersonPolicy, PersonViewSet, ScopedPolicy

register_permission_policy(OrgUnit, ScopedPolicy(OrgUnit))
register_permission_policy(Person, PersonPolicy(Person))


@hooks.register("cms_home_panels")
def training_home_panels(request):
    return home_panels(request)


@hooks.register("register_admin_viewset")
def register_org_admin():
    return [OrgUnitViewSet("units"), PersonViewSet("people")]
