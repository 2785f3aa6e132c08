"""Forms for external records, ledger corrections, exemptions and delegations."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from training.ledger.services import external_record_submit
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit
from training.programmes.models import Programme

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 10
# Extension → the bytes such a file starts with. A renamed .exe is refused.
EVIDENCE_TYPES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pattern from Django's file upload docs)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else single(data, initial)


def _check_evidence(upload) -> None:
    suffix = PurePath(upload.name).suffix.lower()
    if suffix not in EVIDENCE_TYPES:
        raise forms.ValidationError(
            _("“%(name)s”: only PDF, JPG and PNG files can be attached."),
            params={"name": upload.name},
            code="file_type",
        )
    if upload.size > EVIDENCE_MAX_BYTES:
        raise forms.ValidationError(
            _("“%(name)s” is larger than 10 MB."),
            params={"name": upload.name},
            code="file_size",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(EVIDENCE_TYPES[suffix]):
        raise forms.ValidationError(
            _("“%(name)s” is not a real %(kind)s file."),
            params={"name": upload.name, "kind": suffix[1:].upper()},
            code="file_content",
        )


SUBMIT_FIELDS = (
    "title",
    "provider",
    "started_on",
    "ended_on",
    "hours",
    "days",
    "is_centralised",
    "programme",
    "note",
    "files",
)


class ExternalRecordForm(forms.Form):
    title = forms.CharField(label=_("Training"), max_length=300)
    provider = forms.CharField(label=_("Organised by"), max_length=200)
    started_on = forms.DateField(label=_("From"), widget=DATE_INPUT)
    ended_on = forms.DateField(label=_("To"), widget=DATE_INPUT)
    hours = forms.DecimalField(
        label=_("学时"),
        max_digits=7,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(Decimal(0))],
    )
    days = forms.DecimalField(
        label=_("Days"),
        max_digits=6,
        decimal_places=1,
        required=False,
        validators=[MinValueValidator(Decimal(0))],
    )
    is_centralised = forms.BooleanField(
        label=_("Centralised (full-time) training"), required=False
    )
    programme = forms.ModelChoiceField(
        label=_("Counts toward"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("Any programme that counts all credit"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea)
    files = MultipleFileField(
        label=_("Evidence (certificate, attendance proof)"),
        help_text=_("PDF, JPG or PNG, at most 10 MB each. Several files allowed."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(
            status=Programme.Status.PUBLISHED
        ).order_by("name")

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > EVIDENCE_MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(n)s files."), params={"n": EVIDENCE_MAX_FILES}
            )
        errors = []
        for upload in files:
            try:
                _check_evidence(upload)
            except forms.ValidationError as exc:
                errors.append(exc)
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        data["hours"] = data.get("hours") or Decimal(0)
        data["days"] = data.get("days") or Decimal(0)
        start, end = data.get("started_on"), data.get("ended_on")
        if start and end and end < start:
            self.add_error("ended_on", _("The training cannot end before it starts."))
        elif end and end > timezone.localdate():
            self.add_error(
                "ended_on", _("Only training that has ended can be recorded.")
            )
        if "hours" not in self.errors and not data["hours"] and not data["days"]:
            self.add_error("hours", _("Enter the 学时, the days or both."))
        return data


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting; shown to the person."),
    )


class ReverseEntryForm(forms.Form):
    reason = forms.CharField(label=_("Why is this entry reversed?"), max_length=500)


class AdjustmentForm(forms.Form):
    title = forms.CharField(label=_("Training"), max_length=300)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    hours = forms.DecimalField(
        label=_("学时"), max_digits=7, decimal_places=2, required=False
    )
    days = forms.DecimalField(
        label=_("Days"), max_digits=6, decimal_places=1, required=False
    )
    is_centralised = forms.BooleanField(
        label=_("Centralised (full-time) training"), required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def clean(self):
        data = super().clean()
        data["hours"] = data.get("hours") or Decimal(0)
        data["days"] = data.get("days") or Decimal(0)
        if (
            "hours" not in self.errors
            and "days" not in self.errors
            and not data["hours"]
            and not data["days"]
        ):
            self.add_error("hours", _("Enter the 学时, the days or both."))
        return data


class DelegationForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    approver_unit = UnitChoiceField(
        label=_("Approved by coordinators of"),
        queryset=OrgUnit.objects.none(),
        help_text=_("A unit above the chosen one in the tree."),
    )

    def __init__(self, *args, units=None, approver_units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.order_by("path")
        if approver_units is not None:
            self.fields["approver_unit"].queryset = approver_units.order_by("path")

    def clean(self):
        data = super().clean()
        unit, approver = data.get("unit"), data.get("approver_unit")
        if (
            unit
            and approver
            and not (approver.path != unit.path and unit.path.startswith(approver.path))
        ):
            self.add_error(
                "approver_unit", _("Choose a unit above this one in the tree.")
            )
        return data


def external_record_submit_from(form: ExternalRecordForm, *, person, actor):
    """Submit a validated form through the service (the page and the API)."""

    data = form.cleaned_data
    return external_record_submit(
        person=person, actor=actor, **{name: data[name] for name in SUBMIT_FIELDS}
    )
