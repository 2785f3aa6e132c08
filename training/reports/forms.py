"""The dashboard's filters, read from the URL (GET), so a view can be shared.

One form serves the dashboard pages, their exports, the PDF report and background
export tasks (which store ``cleaned`` parameters and rebuild the filter from them).
Unknown or out-of-scope values never fall back silently: the unit must be in the
requester's scope (else PermissionDenied), other bad values re-display with errors.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from training.org.models import Person
from training.reports.dashboard import (
    FOCUS_LEADERS,
    FOCUS_OTHER,
    FOCUS_QUOTA,
    DashboardFilter,
    dashboard_programmes,
    dashboard_unit,
    default_cycle,
    programme_cycles,
    programme_is_event,
)

FOCUS_CHOICES = [
    ("", _("All people")),
    (FOCUS_LEADERS, _("Leading cadres")),
    (FOCUS_QUOTA, _("Quota prosecutors (front line)")),
    (FOCUS_OTHER, _("Other staff")),
]
PARAMS = ("unit", "programme", "cycle", "category", "grade", "leadership", "focus")


class DashboardFilterForm(forms.Form):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    programme = forms.TypedChoiceField(
        label=_("Programme"), coerce=int, required=False, empty_value=None
    )
    cycle = forms.DateField(label=_("Cycle"), required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Person.Category.choices],
    )
    grade = forms.ChoiceField(
        label=_("Grade"),
        required=False,
        choices=[("", _("All grades")), *Person.Grade.choices],
    )
    leadership = forms.ChoiceField(
        label=_("Leadership level"),
        required=False,
        choices=[
            ("", _("All levels")),
            ("-", _("No leadership post")),
            *[(v, label) for v, label in Person.LeadershipLevel.choices if v],
        ],
    )
    focus = forms.ChoiceField(
        label=_("Focus group"), required=False, choices=FOCUS_CHOICES
    )

    def __init__(self, user, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        self.user = user
        self.programmes = dashboard_programmes()
        self.fields["programme"].choices = [(p.pk, p.name) for p in self.programmes]
        self.cycles: list[dt.date] = []

    def clean(self):
        cleaned = super().clean()
        # PermissionDenied for a unit outside the scope (the caller answers 403/404).
        cleaned["unit_obj"] = dashboard_unit(self.user, cleaned.get("unit"))
        programme = None
        if cleaned.get("programme"):
            programme = next(
                (p for p in self.programmes if p.pk == cleaned["programme"]), None
            )
        elif self.programmes:
            programme = self.programmes[0]
        cleaned["programme_obj"] = programme
        cycle = None
        if programme is not None and not programme_is_event(programme):
            self.cycles = programme_cycles(programme)
            cycle = cleaned.get("cycle")
            if cycle is None:
                cycle = default_cycle(self.cycles)
            elif self.cycles and cycle not in self.cycles:
                self.add_error("cycle", _("This programme has no cycle starting then."))
        cleaned["cycle_obj"] = cycle
        return cleaned

    def dashboard_filter(self) -> DashboardFilter:
        """The filter, once ``is_valid()``."""
        c = self.cleaned_data
        return DashboardFilter(
            unit=c["unit_obj"],
            programme=c["programme_obj"],
            cycle_start=c["cycle_obj"],
            category=c.get("category") or "",
            grade=c.get("grade") or "",
            leadership_level=c.get("leadership") or "",
            focus=c.get("focus") or "",
        )


def filter_params(f: DashboardFilter, **overrides) -> dict[str, str]:
    """The URL parameters for ``f`` (for links, drill-down and stored exports);
    empty values are left out, ``overrides`` replace or drop (None) values."""
    params = {
        "unit": f.unit.pk,
        "programme": f.programme.pk if f.programme else "",
        "cycle": f.cycle_start.isoformat() if f.cycle_start else "",
        "category": f.category,
        "grade": f.grade,
        "leadership": f.leadership_level,
        "focus": f.focus,
    }
    params.update(overrides)
    return {k: str(v) for k, v in params.items() if v not in ("", None)}


def dashboard_filter_from(
    user, data
) -> tuple[DashboardFilterForm, DashboardFilter | None]:
    """Bind the form to ``data`` (request.GET or stored params) and return it with the
    filter, or with None when the values are invalid."""
    form = DashboardFilterForm(user, data)
    if form.is_valid():
        return form, form.dashboard_filter()
    return form, None
