"""Home-page entry points offered by the training app (the ``cms_home_panels`` hook)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from training.org.selectors import MANAGE_ROLES, VIEW_ROLES, user_has_role, user_roles


def home_panels(request) -> list[dict]:
    user = request.user
    panels = [
        {
            "order": 10,
            "title": _("My training record"),
            "text": _("Your unit, category, grade and roles."),
            "url": reverse("training:my_record"),
            "icon": "user",
        }
    ]
    if user_has_role(user, *MANAGE_ROLES):
        panels += [
            {
                "order": 20,
                "title": _("Import a roster"),
                "text": _("Add or update staff from an Excel file."),
                "url": reverse("training:roster_upload"),
                "icon": "upload",
            },
        ]
    if user_has_role(user, *MANAGE_ROLES) and user.has_perm("courses.add_assignment"):
        panels.append(
            {
                "order": 25,
                "title": _("Assign a course"),
                "text": _(
                    "Make a course required for people, a unit or an audience, "
                    "with a due date."
                ),
                "url": reverse("training:assign"),
                "icon": "book",
            }
        )
    if user_has_role(user, *VIEW_ROLES):
        panels += [
            {
                "order": 30,
                "title": _("People in my units"),
                "text": _(
                    "Search, filter and export the staff you are responsible for."
                ),
                "url": reverse("training:people_list"),
                "icon": "people",
            },
            {
                "order": 40,
                "title": _("My units"),
                "text": _("The units you oversee, with head counts."),
                "url": reverse("training:unit_list"),
                "icon": "tree",
            },
        ]
    if user.is_superuser or {"editor", "admin"} & user_roles(user):
        panels.append(
            {
                "order": 50,
                "title": _("Content and administration"),
                "text": _(
                    "Edit pages and courses, manage units, people and the audit log."
                ),
                "url": reverse("wagtailadmin_home"),
                "icon": "admin",
            }
        )
    return panels
