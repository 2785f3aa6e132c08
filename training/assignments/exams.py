"""Inviting people to an exam whose audience is "invited people only".

The exam lives in ``assessments``; choosing people needs the organisation tree, so
the page lives here. The coordinator picks a unit in their scope (its whole subtree
is meant) and optionally a category, sees how many people that is, and confirms;
``quiz_invite`` checks the ids against the scope once more.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from assessments.models import Quiz, QuizInvitation
from assessments.services import quiz_invite
from training.org import selectors
from training.org.forms import UnitChoiceField
from training.org.models import OrgUnit, Person


class InviteForm(forms.Form):
    unit = UnitChoiceField(
        label=gettext_lazy("Unit (with all units below it)"),
        queryset=OrgUnit.objects.none(),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=[("", gettext_lazy("All categories")), *Person.Category.choices],
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.order_by("path")


def _chosen_people(user, unit: OrgUnit, category: str):
    people = selectors.people_visible_to(user, manage=True).filter(
        unit__path__startswith=unit.path, is_active=True
    )
    if category:
        people = people.filter(category=category)
    return people


@login_required
@require_http_methods(["GET", "POST"])
def exam_invite(request, quiz_id: int):
    if not request.user.has_perm("assessments.add_quizinvitation"):
        raise PermissionDenied
    if not selectors.user_has_role(request.user, *selectors.MANAGE_ROLES):
        raise PermissionDenied
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    units = selectors.units_visible_to(request.user, manage=True)
    data = request.POST if request.method == "POST" else request.GET
    form = InviteForm(data if "unit" in data else None, units=units)
    count = None
    if form.is_valid():
        people = _chosen_people(
            request.user, form.cleaned_data["unit"], form.cleaned_data["category"]
        )
        if request.method == "POST" and request.POST.get("confirm"):
            user_ids = list(people.values_list("user_id", flat=True))
            added = quiz_invite(actor=request.user, quiz=quiz, user_ids=user_ids)
            messages.success(
                request,
                _("%(added)s people invited (%(already)s were already invited).")
                % {"added": added, "already": len(user_ids) - added},
            )
            return redirect("training:exam_invite", quiz_id=quiz.pk)
        count = people.count()
    visible = selectors.user_ids_in_scope(request.user)
    invited = QuizInvitation.objects.filter(quiz=quiz)
    if visible is not None:
        invited = invited.filter(user_id__in=visible)
    return render(
        request,
        "training/exam_invite.html",
        {
            "quiz": quiz,
            "form": form,
            "count": count,
            "invited_count": invited.count(),
            "is_invited_only": quiz.audience == Quiz.Audience.INVITED,
        },
    )
