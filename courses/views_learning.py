"""My learning (``/learning/``): the signed-in learner's own courses."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from courses.selectors_learning import learning_page


@login_required
@require_GET
def learning(request):
    return render(
        request,
        "courses/learning.html",
        learning_page(user=request.user),
    )
