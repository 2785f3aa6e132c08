"""Forms of the compliance pages: granting and revoking an exemption (免修)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from training.ledger.forms import DATE_INPUT
from training.programmes.models import Programme


class ExemptionForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.none()
    )
    valid_from = forms.DateField(label=_("From"), widget=DATE_INPUT)
    valid_until = forms.DateField(label=_("Until"), widget=DATE_INPUT)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("For example 病假 (sick leave) or 援派 (on secondment)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(
            status=Programme.Status.PUBLISHED
        ).order_by("name")

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error(
                "valid_until", _("The exemption cannot end before it starts.")
            )
        return data


class RevokeExemptionForm(forms.Form):
    revoke_reason = forms.CharField(label=_("Why is it revoked?"), max_length=500)
