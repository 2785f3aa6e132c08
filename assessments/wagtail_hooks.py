"""The "Exams" admin menu: question bank, quizzes and subjects (viewsets), plus the
grading queue, results and question import (plain admin views under
/admin/assessments/)."""

from django.core.cache import cache
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet

from assessments import selectors
from assessments.views import staff
from assessments.viewsets import ExamsViewSetGroup

register_snippet(ExamsViewSetGroup)

admin_urlpatterns = [
    path("grading/", staff.grading_queue_view, name="grading"),
    path("grading/<int:item_id>/", staff.grade_item_view, name="grade_item"),
    path("results/", staff.results_view, name="results"),
    path("results/export.xlsx", staff.results_export, name="results_export"),
    path("results/<int:pk>/", staff.attempt_detail_view, name="attempt"),
    path("import/", staff.import_upload, name="import"),
    path("import/template.xlsx", staff.import_template, name="import_template"),
    path("import/<int:pk>/", staff.import_detail, name="import_detail"),
]


@hooks.register("register_admin_urls")
def register_assessments_admin_urls():
    return [
        path(
            "assessments/",
            include(
                (admin_urlpatterns, "assessments_admin"),
                namespace="assessments_admin",
            ),
        )
    ]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class GradingMenuItem(PermissionMenuItem):
    """Shows how many answers wait for the user's mark, e.g. "Grading (3)". The
    menu is on every admin page, so the count is cached for a minute per grader
    (and dropped when they save a mark)."""

    def render_component(self, request):
        component = super().render_component(request)
        waiting = cache.get_or_set(
            staff.grading_count_key(request.user),
            lambda: selectors.grading_queue(request.user).count(),
            60,
        )
        if waiting:
            component.label = f"{self.label} ({waiting})"
        return component


@hooks.register("register_assessments_menu_item")
def grading_menu_item():
    return GradingMenuItem(
        _("Grading"),
        reverse("assessments_admin:grading"),
        name="assessments-grading",
        icon_name="edit",
        order=40,
        permission="assessments.grade_attempt",
    )


@hooks.register("register_assessments_menu_item")
def results_menu_item():
    return PermissionMenuItem(
        _("Results"),
        reverse("assessments_admin:results"),
        name="assessments-results",
        icon_name="list-ul",
        order=50,
        permission="assessments.view_attempt",
    )


@hooks.register("register_assessments_menu_item")
def import_menu_item():
    return PermissionMenuItem(
        _("Import questions"),
        reverse("assessments_admin:import"),
        name="assessments-import",
        icon_name="upload",
        order=60,
        permission="assessments.add_questionimport",
    )
