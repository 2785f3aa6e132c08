"""Forms of the class pages. Choices of units and people start from the actor's
manage scope, so an id from elsewhere is "not a valid choice" before any service
runs (and the services check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.models import Quiz
from training.classes.models import ClassSession, TrainingClass
from training.org import selectors
from training.org.forms import UnitChoiceField, XlsxUploadForm
from training.org.models import OrgUnit
from training.programmes.models import Programme

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class QuizChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, quiz) -> str:
        return quiz.title


class ClassForm(forms.ModelForm):
    organiser_unit = UnitChoiceField(
        label=gettext_lazy("Organised by"), queryset=OrgUnit.objects.none()
    )
    final_quiz = QuizChoiceField(
        label=gettext_lazy("Final exam"),
        queryset=Quiz.objects.none(),
        required=False,
        empty_label=gettext_lazy("No final exam"),
        help_text=gettext_lazy(
            "If set, only members who passed this exam complete the class."
        ),
    )

    class Meta:
        model = TrainingClass
        fields = [
            "name",
            "kind",
            "programme",
            "organiser_unit",
            "place",
            "starts_on",
            "ends_on",
            "capacity",
            "credited_hours",
            "credited_days",
            "min_attendance_percent",
            "final_quiz",
            "description",
            "issues_certificate",
            "certificate_template",
        ]
        widgets = {
            "starts_on": DATE_WIDGET,
            "ends_on": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organiser_unit"].queryset = selectors.units_visible_to(
            actor, manage=True
        ).order_by("path")
        self.fields["programme"].queryset = Programme.objects.exclude(
            status=Programme.Status.ARCHIVED
        ).order_by("name")
        self.fields["final_quiz"].queryset = Quiz.objects.filter(
            is_published=True, kind=Quiz.Kind.EXAM
        ).order_by("title")
        self.fields["certificate_template"].empty_label = gettext_lazy(
            "The default template"
        )

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The class cannot end before it starts."))
        return cleaned


class QuotaForm(forms.Form):
    unit = UnitChoiceField(label=gettext_lazy("Unit"), queryset=OrgUnit.objects.none())
    seats = forms.IntegerField(
        label=gettext_lazy("Seats"),
        min_value=0,
        max_value=100_000,
        help_text=gettext_lazy("0 removes the unit's quota."),
    )

    def __init__(self, *args, training_class: TrainingClass, **kwargs):
        super().__init__(*args, **kwargs)
        organiser = training_class.organiser_unit
        self.fields["unit"].queryset = (
            OrgUnit.objects.filter(path__startswith=organiser.path, is_active=True)
            .exclude(pk=organiser.pk)
            .order_by("path")
        )


class SessionForm(forms.ModelForm):
    class Meta:
        model = ClassSession
        fields = ["date", "starts_at", "ends_at", "title"]
        widgets = {
            "date": DATE_WIDGET,
            "starts_at": TIME_WIDGET,
            "ends_at": TIME_WIDGET,
        }


class AttendanceImportForm(XlsxUploadForm):
    file_label = gettext_lazy("Attendance file (XLSX)")
    max_mb = 10
