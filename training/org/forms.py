from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from training.org.models import OrgUnit, Person


class UnitChoiceField(forms.ModelChoiceField):
    """Units as an indented tree (pass a queryset ordered by path)."""

    def label_from_instance(self, unit: OrgUnit) -> str:
        return "　" * (unit.depth - 1) + unit.name


class XlsxUploadForm(forms.Form):
    """One Excel upload, refused for its name or size before anything reads it.
    Subclasses set the label and the limit."""

    file_label = _("File (XLSX)")
    max_mb = 20

    file = forms.FileField(
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = self.file_label

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Upload an .xlsx file (Excel 2007 or later).")
            )
        if upload.size > self.max_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": self.max_mb}
            )
        return upload


class RosterUploadForm(XlsxUploadForm):
    file_label = _("Roster file (XLSX)")
    max_mb = 20


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or employee number"), required=False)
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Person.Category.choices],
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.order_by("path")


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has
    one, else at the top, so the page re-displays with the reason."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)
