"""Forms for programmes (培训项目) and their rule versions.

The programme form offers only owner units in the actor's *manage* scope, so a
coordinator cannot pick another city's unit (the service checks again). The version
form edits one draft rule; the views hand its cleaned data to the services.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Quiz
from courses.models import CoursePage
from training.classes.models import TrainingClass
from training.org import selectors
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit, Person
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.selectors import related_units_q

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

PROGRAMME_FIELDS = [
    "name",
    "kind",
    "owner_unit",
    "responsible_department",
    "responsible_person",
    "deadline",
    "description",
    "issues_certificate",
    "certificate_template",
]
VERSION_FIELDS = [
    "effective_from",
    "change_note",
    "audience_units",
    "categories",
    "grades",
    "leadership_levels",
    "quota",
    "hours_required",
    "days_required",
    "online_hours_required",
    "centralised_days_required",
    "required_courses",
    "required_quizzes",
    "required_classes",
    "credit_scope",
    "cycle_kind",
    "cycle_years",
    "cycle_anchor_year",
    "trigger_event",
    "window_months",
]
LEADERSHIP_CHOICES = [
    (value, label if value else _("No leadership post"))
    for value, label in Person.LeadershipLevel.choices
]


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit: OrgUnit) -> str:
        return "　" * (unit.depth - 1) + unit.name


class CourseMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, course) -> str:
        return course.title


class ProgrammeForm(forms.ModelForm):
    owner_unit = UnitChoiceField(
        label=_("Owner unit"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose a unit"),
        help_text=_("The unit whose coordinators manage this programme."),
    )

    class Meta:
        model = Programme
        fields = PROGRAMME_FIELDS
        widgets = {
            "deadline": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = selectors.units_visible_to(
            actor, manage=True
        ).order_by("path")
        self.fields["certificate_template"].empty_label = _("The default template")


class ProgrammeEditForm(forms.ModelForm):
    """The particulars that may change after creation (not the owner or the kind)."""

    class Meta:
        model = Programme
        fields = [
            "name",
            "responsible_department",
            "responsible_person",
            "deadline",
            "description",
            "issues_certificate",
            "certificate_template",
        ]
        widgets = {
            "deadline": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate_template"].empty_label = _("The default template")


class VersionForm(forms.ModelForm):
    """One rule version: audience, requirements and cycle."""

    audience_units = UnitMultipleChoiceField(
        label=_("Units (with their subtrees)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Leave empty for the owner unit's whole subtree."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Staff categories"),
        choices=Person.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
    )
    grades = forms.MultipleChoiceField(
        label=_("Prosecutor grades"),
        choices=Person.Grade.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any grade."),
    )
    leadership_levels = forms.MultipleChoiceField(
        label=_("Leadership levels"),
        choices=LEADERSHIP_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: with or without a leadership post."),
    )
    required_courses = CourseMultipleChoiceField(
        label=_("Required courses"),
        queryset=CoursePage.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    required_quizzes = CourseMultipleChoiceField(
        label=_("Required exams"),
        queryset=Quiz.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    required_classes = forms.ModelMultipleChoiceField(
        label=_("Required classes"),
        queryset=TrainingClass.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = ProgrammeVersion
        fields = VERSION_FIELDS
        widgets = {"effective_from": DATE_WIDGET}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_units"].queryset = selectors.units_visible_to(
            actor, manage=True
        ).order_by("path")
        self.fields["cycle_years"].required = False
        self.fields["required_courses"].queryset = (
            CoursePage.objects.live().specific().order_by("title")
        )
        self.fields["required_quizzes"].queryset = Quiz.objects.filter(
            kind=Quiz.Kind.EXAM
        ).order_by("title")
        self.fields["required_classes"].queryset = TrainingClass.objects.filter(
            related_units_q(actor, "organiser_unit__path")
        ).order_by("-starts_on")
        if self.instance.pk:
            # A draft may keep units chosen by someone with a wider scope.
            chosen = self.instance.audience_units.values("pk")
            self.fields["audience_units"].queryset = (
                self.fields["audience_units"].queryset
                | OrgUnit.objects.filter(pk__in=chosen)
            ).order_by("path")

    def clean(self):
        data = super().clean()
        kind = data.get("cycle_kind")
        if kind != ProgrammeVersion.CycleKind.EVENT:
            data["trigger_event"] = ""
            data["window_months"] = None
        if kind != ProgrammeVersion.CycleKind.MULTI_YEAR or not data.get("cycle_years"):
            data["cycle_years"] = 1
        return data

    def rule_values(self) -> dict:
        """Cleaned data split the way the version services take it."""
        data = dict(self.cleaned_data)
        data["leadership_levels"] = list(data.get("leadership_levels") or [])
        data["categories"] = list(data.get("categories") or [])
        data["grades"] = list(data.get("grades") or [])
        if data.get("cycle_years") is None:
            data["cycle_years"] = 1
        return data
