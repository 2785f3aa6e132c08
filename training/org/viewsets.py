"""Wagtail admin screens for units and people, scoped like every other screen.

Wagtail's generic views find objects with the model's default manager; here every
view gets its queryset and its single object from ``training.org.selectors`` instead, so
a coordinator who types another unit's id into an admin URL gets a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from training.org import selectors
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit, Person
from training.org.services import org_unit_create, org_unit_move
from training.org.signals import people_changed


class ScopedPolicy(ModelPermissionPolicy):
    """Django permissions (from the role groups) say *what*; selectors say *where*.

    Deleting is never offered: people and units are deactivated, not removed, so
    their training records keep pointing at something.
    """

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        return super().user_has_permission(user, action)


class PersonPolicy(ScopedPolicy):
    """People are created by roster import (all-or-nothing, checked), not one by one."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)


def _scoped(model, user, *, manage: bool = False):
    if model is Person:
        return selectors.people_visible_to(user, manage=manage)
    return selectors.units_visible_to(user, manage=manage)


class ScopedObjectMixin:
    scope_manage = False

    def get_base_queryset(self):
        return _scoped(self.model, self.request.user, manage=self.scope_manage)

    def get_object(self, queryset=None):
        pk = unquote(str(self.kwargs["pk"]))
        obj = self.get_base_queryset().filter(pk=pk).first()
        if obj is None:
            raise Http404
        return obj


class ScopedIndexView(ScopedObjectMixin, generic.IndexView):
    pass


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    scope_manage = True


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    # The policy refuses deleting; this view loads its object before that check,
    # so it must not find objects outside the scope either (no id probing).
    scope_manage = True


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedViewSet(ModelViewSet):
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    inspect_view_class = ScopedInspectView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_admin_menu = True
    list_per_page = 50
    # Plain ORM filtering: these models are not in the search index.
    search_backend_name = None


# --- people -------------------------------------------------------------------------


class PersonForm(WagtailAdminModelForm):
    full_name = forms.CharField(label=_("Full name"), max_length=100)

    class Meta:
        model = Person
        fields = [
            "unit",
            "category",
            "is_quota",
            "grade",
            "leadership_level",
            "position_title",
            "joined_on",
            "grade_since",
            "post_since",
            "is_active",
        ]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        if self.instance.pk:
            self.fields["full_name"].initial = self.instance.user.full_name
        if for_user is not None:
            # Only units the editor manages can be chosen as a person's unit.
            self.fields["unit"].queryset = selectors.units_visible_to(
                for_user, manage=True
            ).order_by("path")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and selectors.protected_user_ids(
            self.for_user, [self.instance.user_id]
        ):
            raise forms.ValidationError(
                _(
                    "This person has an administrator account; only an "
                    "administrator can change it."
                )
            )
        return cleaned

    def save(self, commit=True):
        person = super().save(commit=commit)
        if commit:
            user = person.user
            user.full_name = self.cleaned_data["full_name"]
            user.is_active = person.is_active
            user.save(update_fields=["full_name", "is_active"])
            if self.changed_data:
                people_changed.send(sender=Person, person_ids=[person.pk])
        return person


class PersonViewSet(ScopedViewSet):
    model = Person
    icon = "user"
    menu_label = _("People")
    menu_order = 210
    url_prefix = "people"
    form_fields = None
    list_display = [
        Column("employee_no", label=_("Employee number"), sort_key="employee_no"),
        Column("full_name", label=_("Full name"), accessor="user.full_name"),
        Column("unit", label=_("Unit")),
        Column("get_category_display", label=_("Category")),
        Column("get_grade_display", label=_("Grade")),
        BooleanColumn("is_active", label=_("In service")),
    ]
    list_filter = ["category", "leadership_level", "is_quota", "is_active"]
    search_fields = ["employee_no", "user__full_name"]
    inspect_view_fields = [
        "employee_no",
        "unit",
        "category",
        "is_quota",
        "grade",
        "leadership_level",
        "position_title",
        "national_id_last4",
        "joined_on",
        "grade_since",
        "post_since",
        "is_active",
    ]

    def get_form_class(self, for_update=False):
        return PersonForm


# --- units --------------------------------------------------------------------------


class OrgUnitForm(WagtailAdminModelForm):
    """Units are tree nodes: creating one adds it under a parent, changing the parent
    moves the whole subtree (through the service, which keeps paths consistent)."""

    parent = UnitChoiceField(
        label=_("Parent unit"), queryset=OrgUnit.objects.none(), required=False
    )

    class Meta:
        model = OrgUnit
        fields = [
            "code",
            "name",
            "short_name",
            "kind",
            "level",
            "sort_order",
            "is_active",
        ]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        units = OrgUnit.objects.all()
        if for_user is not None:
            units = selectors.units_visible_to(for_user, manage=True)
        if self.instance.pk:
            units = units.exclude(path__startswith=self.instance.path)
            self.fields["parent"].initial = self.instance.get_parent()
        self.fields["parent"].queryset = units.order_by("path")
        if for_user is not None and not for_user.is_superuser:
            self.fields["parent"].required = True

    def save(self, commit=True):
        unit = self.instance
        parent = self.cleaned_data.get("parent")
        if unit.pk is None:
            return org_unit_create(
                code=unit.code,
                name=unit.name,
                short_name=unit.short_name,
                kind=unit.kind,
                level=unit.level,
                sort_order=unit.sort_order,
                parent=parent,
            )
        unit.save()
        if parent is not None and parent != unit.get_parent(update=True):
            unit = org_unit_move(unit=unit, new_parent=parent, actor=self.for_user)
        return unit


class OrgUnitViewSet(ScopedViewSet):
    model = OrgUnit
    icon = "site"
    menu_label = _("Organisation")
    menu_order = 200
    url_prefix = "units"
    ordering = ["path"]
    list_display = [
        Column("code", label=_("Code"), sort_key="code"),
        Column("name", label=_("Unit name")),
        Column("get_kind_display", label=_("Kind")),
        Column("get_level_display", label=_("Level")),
        BooleanColumn("is_active", label=_("In use")),
    ]
    list_filter = ["kind", "level", "is_active"]
    search_fields = ["code", "name", "short_name"]
    inspect_view_fields = ["code", "name", "short_name", "kind", "level", "is_active"]

    def get_form_class(self, for_update=False):
        return OrgUnitForm
