from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from courses.audience import CATEGORY_CHOICES, GRADE_CHOICES, LEADERSHIP_CHOICES


class CoursePageForm(WagtailAdminPageForm):
    """Audience hints are JSON lists on the model; editors tick boxes."""

    audience_categories = forms.MultipleChoiceField(
        label=_("staff categories"),
        choices=CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
    )
    audience_grades = forms.MultipleChoiceField(
        label=_("prosecutor grades"),
        choices=GRADE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every grade."),
    )
    audience_leadership = forms.MultipleChoiceField(
        label=_("leadership levels"),
        choices=LEADERSHIP_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everyone, leaders or not."),
    )
