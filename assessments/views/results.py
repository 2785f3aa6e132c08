"""The learner's results: the review of one attempt, and their history of
attempts with any unread notices about them. What each shows is decided by the
quiz's review policy (``review_options``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from assessments import selectors
from assessments.models import Attempt
from assessments.services import attempt_submit, notices_mark_read, review_options
from assessments.services.closing import attempt_is_overdue
from assessments.views.items import review_item_view
from assessments.views.learner import own_attempt, see_other

Status = Attempt.Status

RESULTS_PER_PAGE = 20


@login_required
@require_GET
def review(request: HttpRequest, public_id) -> HttpResponse:
    attempt = own_attempt(request, public_id)
    if attempt.status == Status.IN_PROGRESS:
        if not attempt_is_overdue(attempt):
            return see_other(reverse("assessments:attempt", args=[attempt.public_id]))
        attempt = attempt_submit(attempt_public_id=attempt.public_id, user=request.user)
    options = review_options(attempt)
    items = [
        review_item_view(item, options)
        for item in attempt.items.select_related("version").order_by("position")
    ]
    # Regrade notices quote scores, so they wait until the score may be shown.
    notices = list(attempt.notices.order_by("-created_at")) if options.score else []
    notices_mark_read(
        user=request.user, notice_ids=[n.pk for n in notices if n.read_at is None]
    )
    return render(
        request,
        "assessments/attempt_review.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "items": items,
            "options": options,
            "notices": notices,
            "answered_count": sum(1 for i in items if i["answered"]),
        },
    )


@login_required
@require_GET
def my_results(request: HttpRequest) -> HttpResponse:
    attempts = selectors.attempts_of_learner(request.user).order_by(
        "-started_at", "-pk"
    )
    page = Paginator(attempts, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    notices = list(selectors.notices_unread_of_learner(request.user))
    counts = selectors.attempt_counts_of_learner(
        request.user,
        {a.quiz_id for a in page.object_list} | {n.attempt.quiz_id for n in notices},
    )
    rows = [
        {
            "attempt": a,
            "options": review_options(a, attempts_used=counts.get(a.quiz_id, 0)),
        }
        for a in page.object_list
    ]
    notices = [
        n
        for n in notices
        if review_options(
            n.attempt, attempts_used=counts.get(n.attempt.quiz_id, 0)
        ).score
    ]
    notices_mark_read(user=request.user, notice_ids=[n.pk for n in notices])
    return render(
        request,
        "assessments/my_results.html",
        {"page": page, "rows": rows, "notices": notices},
    )
