"""Forms of the certificate pages. Choice lists start from the user's scope, so an
id from elsewhere is "not a valid choice" before any service runs (and the services
check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from training.classes.models import TrainingClass
from training.classes.selectors import classes_visible_to
from training.org import selectors
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit
from training.programmes.models import Programme
from training.programmes.selectors import programmes_visible_to

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

STATUS_CHOICES = [
    ("", _("Any status")),
    ("valid", _("Valid")),
    ("revoked", _("Revoked")),
    ("superseded", _("Re-issued")),
]


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, training_class: TrainingClass) -> str:
        return f"{training_class.name}（{training_class.starts_on:%Y-%m-%d}）"


class CertificateFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name, employee number or certificate number"),
        required=False,
        max_length=50,
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("All programmes"),
    )
    training_class = ClassChoiceField(
        label=_("Class"),
        queryset=TrainingClass.objects.none(),
        required=False,
        empty_label=_("All classes"),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=STATUS_CHOICES, required=False
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    issued_from = forms.DateField(
        label=_("Issued from"), required=False, widget=DATE_WIDGET
    )
    issued_to = forms.DateField(
        label=_("Issued to"), required=False, widget=DATE_WIDGET
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = (
            programmes_visible_to(user)
            .exclude(status=Programme.Status.DRAFT)
            .order_by("name")
        )
        self.fields["training_class"].queryset = (
            classes_visible_to(user)
            .filter(status=TrainingClass.Status.COMPLETED)
            .order_by("-starts_on", "name")
        )
        self.fields["unit"].queryset = selectors.units_visible_to(user).order_by("path")

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and end < start:
            self.add_error("issued_to", _("The end date is before the start date."))
        return data


class ReasonForm(forms.Form):
    """Revoke or re-issue: both need a reason, which the person is told."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeForm(ReasonForm):
    prefix = "revoke"


class ReissueForm(ReasonForm):
    prefix = "reissue"


class ReviewDecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to keep the certificate; optional to revoke it."),
    )


class PersonLookupForm(forms.Form):
    employee_no = forms.CharField(label=_("Employee number"), max_length=50)


class CertificateIssueForm(forms.Form):
    """What to certify for one person: a class they passed, or a cycle of a
    programme they met. Values are "class:<id>" or "programme:<id>:<cycle start>"."""

    subject = forms.ChoiceField(
        label=_("Certificate for"), widget=forms.RadioSelect, choices=()
    )

    def __init__(self, *args, options: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = options
