"""Read-only admin screens for enrolments and assignments, scoped to the people
the viewer may see. Coordinators assign courses from training's own screen."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from courses import selectors
from courses.models import Assignment, Enrollment


class ReadOnlyPolicy(ModelPermissionPolicy):
    def user_has_permission(self, user, action):
        if action in {"add", "change", "delete"}:
            return False
        return super().user_has_permission(user, action)


class ScopedMixin:
    def get_base_queryset(self):
        if self.model is Enrollment:
            return selectors.enrollments_visible_to(self.request.user)
        return selectors.assignments_visible_to(self.request.user)

    def get_object(self, queryset=None):
        try:
            return self.get_base_queryset().get(pk=unquote(str(self.pk)))
        except self.model.DoesNotExist as exc:
            raise Http404 from exc


class ScopedIndexView(ScopedMixin, generic.IndexView):
    pass


class ScopedInspectView(ScopedMixin, generic.InspectView):
    pass


class ReadOnlyViewSet(ModelViewSet):
    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    # Never offered (the policy refuses add/change/delete); required by ModelViewSet.
    form_fields = ["required", "due_on"]


class EnrollmentViewSet(ReadOnlyViewSet):
    model = Enrollment
    icon = "user"
    menu_label = _("Enrolments")
    list_display = [
        "user",
        "course",
        "source",
        "required",
        "due_on",
        "progress_percent",
        "completed_at",
    ]
    list_filter = ["source", "required"]
    search_fields = ["user__username", "user__full_name"]
    inspect_view_fields = [
        "user",
        "course",
        "source",
        "assigned_by",
        "reason",
        "required",
        "due_on",
        "enrolled_at",
        "progress_percent",
        "completed_at",
        "credit_hours",
    ]


class AssignmentViewSet(ReadOnlyViewSet):
    model = Assignment
    icon = "group"
    menu_label = _("Assignments")
    list_display = [
        "course",
        "target_label",
        "created_by",
        "status",
        "total",
        "processed",
        "created_at",
    ]
    list_filter = ["status", "target_kind"]
    inspect_view_fields = [
        "course",
        "target_kind",
        "target_label",
        "created_by",
        "due_on",
        "required",
        "reason",
        "status",
        "total",
        "processed",
        "created",
        "updated",
        "error",
        "created_at",
        "finished_at",
    ]


class CoursesViewSetGroup(ViewSetGroup):
    menu_label = _("Courses")
    menu_icon = "folder-open-inverse"
    menu_order = 220
    items = (EnrollmentViewSet("enrolments"), AssignmentViewSet("assignments"))
