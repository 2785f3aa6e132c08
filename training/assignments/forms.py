"""The coordinator's "assign a course" form: which course, to whom, by when, why.

Every choice of people is limited to the actor's *manage* scope: the unit list,
the person checkboxes and the audience query all start from
``people_visible_to(actor, manage=True)`` / ``units_visible_to(actor, manage=True)``,
so an id from another unit is "not a valid choice" before any service is called
(and ``assignment_create`` checks the ids once more).
"""

from __future__ import annotations

import hashlib

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.params import query_int
from courses.models import Assignment, CoursePage
from courses.selectors_learning import assignable_courses
from training.org import selectors
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit, Person

TargetKind = Assignment.TargetKind

NO_LEADERSHIP = "none"
LEADERSHIP_CHOICES = [
    *[(value, label) for value, label in Person.LeadershipLevel.choices if value],
    (NO_LEADERSHIP, gettext_lazy("No leadership post")),
]
QUOTA_CHOICES = [
    ("", gettext_lazy("Quota and non-quota staff")),
    ("yes", gettext_lazy("Quota prosecutors (员额) only")),
    ("no", gettext_lazy("Non-quota staff only")),
]
# How many matches the person search shows at once.
PEOPLE_SEARCH_LIMIT = 30
# Fields that define what is assigned; the preview fingerprint covers them.
FINGERPRINT_FIELDS = (
    "course",
    "target",
    "people",
    "unit",
    "categories",
    "grades",
    "leadership",
    "quota",
    "due_on",
    "required",
    "reason",
)


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, course) -> str:
        return course.title


class AssignForm(forms.Form):
    course = CourseChoiceField(
        label=gettext_lazy("Course"),
        queryset=CoursePage.objects.none(),
        empty_label=gettext_lazy("Choose a published course"),
    )
    target = forms.ChoiceField(
        label=gettext_lazy("Assign to"),
        choices=TargetKind.choices,
        initial=TargetKind.UNIT,
        widget=forms.RadioSelect,
    )
    people_query = forms.CharField(
        label=gettext_lazy("Find people by name or employee number"),
        required=False,
        max_length=50,
    )
    # Rendered by hand (search results + chosen ones), never as a full widget:
    # the queryset is everyone in scope.
    people = forms.ModelMultipleChoiceField(
        label=gettext_lazy("People"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
    )
    unit = UnitChoiceField(
        label=gettext_lazy("Unit (with all units below it)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose a unit"),
    )
    categories = forms.MultipleChoiceField(
        label=gettext_lazy("Staff categories"),
        choices=Person.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    grades = forms.MultipleChoiceField(
        label=gettext_lazy("Prosecutor grades"),
        choices=Person.Grade.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    leadership = forms.MultipleChoiceField(
        label=gettext_lazy("Leadership levels"),
        choices=LEADERSHIP_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    quota = forms.ChoiceField(
        label=gettext_lazy("Quota (员额)"), choices=QUOTA_CHOICES, required=False
    )
    due_on = forms.DateField(
        label=gettext_lazy("Due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Leave empty for no deadline."),
    )
    required = forms.BooleanField(
        label=gettext_lazy("Required course (counts as compulsory training)"),
        required=False,
        initial=True,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason, shown to the learners"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example: 2026 年度政治轮训必修课程。"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["course"].queryset = assignable_courses()
        self.fields["people"].queryset = self._people_in_scope()
        self.fields["unit"].queryset = selectors.units_visible_to(
            actor, manage=True
        ).order_by("path")

    def _people_in_scope(self) -> QuerySet[Person]:
        return selectors.people_visible_to(self.actor, manage=True).filter(
            is_active=True, user__is_active=True
        )

    # --- validation ------------------------------------------------------------

    def clean_due_on(self):
        due_on = self.cleaned_data.get("due_on")
        if due_on and due_on < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due_on

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("target")
        if target == TargetKind.PEOPLE and not cleaned.get("people"):
            self.add_error("people", _("Find and tick at least one person."))
        if target in {TargetKind.UNIT, TargetKind.AUDIENCE} and not cleaned.get("unit"):
            self.add_error("unit", _("Choose a unit."))
        if target == TargetKind.AUDIENCE and not any(
            cleaned.get(name)
            for name in ("categories", "grades", "leadership", "quota")
        ):
            self.add_error(
                None,
                _(
                    "Choose at least one audience criterion (category, grade, "
                    "leadership level or quota), or assign the whole unit."
                ),
            )
        return cleaned

    # --- what the form means (call after is_valid) --------------------------------

    def audience(self) -> QuerySet[Person]:
        """The people this assignment reaches, inside the actor's manage scope."""
        data = self.cleaned_data
        people = self._people_in_scope()
        target = data["target"]
        if target == TargetKind.PEOPLE:
            return people.filter(pk__in=[p.pk for p in data["people"]])
        people = people.filter(unit__path__startswith=data["unit"].path)
        if target == TargetKind.UNIT:
            return people
        if data["categories"]:
            people = people.filter(category__in=data["categories"])
        if data["grades"]:
            people = people.filter(grade__in=data["grades"])
        if data["leadership"]:
            levels = [v for v in data["leadership"] if v != NO_LEADERSHIP]
            q = Q(leadership_level__in=levels)
            if NO_LEADERSHIP in data["leadership"]:
                q |= Q(leadership_level="")
            people = people.filter(q)
        if data["quota"]:
            people = people.filter(is_quota=data["quota"] == "yes")
        return people

    def target_label(self) -> str:
        """What learners and coordinators read as "assigned to"."""
        data = self.cleaned_data
        target = data["target"]
        if target == TargetKind.PEOPLE:
            people = list(data["people"])
            names = "、".join(p.user.get_full_name() for p in people[:3])
            if len(people) > 3:
                return _("%(names)s and %(count)s others") % {
                    "names": names,
                    "count": len(people) - 3,
                }
            return names
        label = _("%(unit)s and the units below it") % {"unit": data["unit"].name}
        if target == TargetKind.UNIT:
            return label[:300]
        parts = [label]
        for name, choices in (
            ("categories", Person.Category.choices),
            ("grades", Person.Grade.choices),
            ("leadership", LEADERSHIP_CHOICES),
        ):
            labels = dict(choices)
            if data[name]:
                parts.append("、".join(str(labels[v]) for v in data[name]))
        if data["quota"]:
            parts.append(str(dict(QUOTA_CHOICES)[data["quota"]]))
        return " · ".join(parts)[:300]

    def criteria(self) -> list[tuple[str, str]]:
        """(label, value) lines describing the choice, for the preview."""
        data = self.cleaned_data
        rows = [
            (_("Course"), data["course"].title),
            (_("Assign to"), self.target_label()),
            (
                _("Due on"),
                data["due_on"].isoformat() if data["due_on"] else _("No deadline"),
            ),
            (_("Required"), _("Yes") if data["required"] else _("No, recommended")),
        ]
        if data["reason"]:
            rows.append((_("Reason"), data["reason"]))
        return rows

    def fingerprint(self) -> str:
        """A digest of the submitted choice, so "confirm" assigns exactly what the
        preview showed (a changed field sends the user back to the preview)."""
        digest = hashlib.sha256()
        for name in FINGERPRINT_FIELDS:
            values = sorted(self.data.getlist(self.add_prefix(name)))
            digest.update(f"{name}={'|'.join(values)};".encode())
        return digest.hexdigest()[:32]

    def people_candidates(self, query: str) -> list[Person]:
        """Search results for the person picker, plus everyone already ticked."""
        chosen_ids = [
            v
            for v in self.data.getlist("people")
            if query_int(v, max_digits=18) is not None
        ]
        in_scope = self._people_in_scope()
        chosen = list(in_scope.filter(pk__in=chosen_ids).order_by("employee_no"))
        found: list[Person] = []
        if query:
            found = list(
                selectors.people_search(user=self.actor, query=query)
                .filter(pk__in=in_scope.values("pk"))
                .exclude(pk__in=[p.pk for p in chosen])[:PEOPLE_SEARCH_LIMIT]
            )
        for person in chosen:
            person.is_chosen = True
        return [*chosen, *found]
