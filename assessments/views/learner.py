"""The learner's exam screens and the autosave endpoints: the list of exams, a
quiz's page, starting, taking (the page, autosave, submit).

Nothing here hands a ``QuestionVersion`` to a template or to JSON: what an item shows
goes through the whitelist in ``assessments.views.items``. The results (an
attempt's review, the learner's history) are in ``assessments.views.results``.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from assessments import selectors
from assessments.models import Attempt, AttemptItem, Question, Quiz
from assessments.services import (
    AttemptClosed,
    AttemptError,
    QuizUnavailable,
    StaleAnswer,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    quiz_check_available,
    quizzes_open_to,
    review_options,
)
from assessments.services.closing import attempt_is_overdue
from assessments.views.items import is_blank, item_view

Type = Question.Type
Status = Attempt.Status

# The item's seq is a PositiveIntegerField: a larger number would not fit.
MAX_SEQ = 2**31 - 1
MAX_POSITION = 32767


# --- helpers ----------------------------------------------------------------------


def see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _json_error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def own_attempt(request: HttpRequest, public_id) -> Attempt:
    """The signed-in learner's attempt; anybody else's is a 404, staff included
    (they look at attempts through the staff screens, never through these)."""
    return get_object_or_404(
        selectors.attempts_of_learner(request.user), public_id=public_id
    )


def _published_quiz(public_id) -> Quiz:
    return get_object_or_404(Quiz, public_id=public_id, is_published=True)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _question_count(quiz: Quiz) -> int:
    return sum(1 if slot.question_id else slot.count for slot in quiz.slots.all())


# --- pages ------------------------------------------------------------------------


@login_required
@require_GET
def exam_list(request: HttpRequest) -> HttpResponse:
    quizzes = list(
        quizzes_open_to(request.user)
        .order_by("close_at", "title")
        .prefetch_related("slots")
    )
    by_quiz: dict[int, list[Attempt]] = {}
    for attempt in selectors.attempts_of_learner(request.user).filter(
        quiz_id__in=[q.pk for q in quizzes]
    ):
        by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    rows = []
    for quiz in quizzes:
        attempts = by_quiz.get(quiz.pk, [])  # newest first
        current = next((a for a in attempts if a.status == Status.IN_PROGRESS), None)
        latest = next((a for a in attempts if a.status != Status.IN_PROGRESS), None)
        shown = None
        if latest is not None:
            options = review_options(latest, attempts_used=len(attempts))
            shown = {"attempt": latest, "score": options.score}
        rows.append(
            {
                "quiz": quiz,
                "question_count": _question_count(quiz),
                "used": len(attempts),
                "current": current,
                "latest": shown,
                "exhausted": bool(
                    quiz.max_attempts
                    and len(attempts) >= quiz.max_attempts
                    and current is None
                ),
            }
        )
    return render(request, "assessments/exam_list.html", {"rows": rows})


@login_required
@require_GET
def quiz_detail(request: HttpRequest, public_id) -> HttpResponse:
    quiz = _published_quiz(public_id)
    attempts = list(
        selectors.attempts_of_learner(request.user)
        .filter(quiz=quiz)
        .order_by("-number")
    )
    current = next((a for a in attempts if a.status == Status.IN_PROGRESS), None)
    unavailable = ""
    if current is None:
        try:
            quiz_check_available(quiz, request.user)
            if quiz.max_attempts and len(attempts) >= quiz.max_attempts:
                raise QuizUnavailable(
                    _("You have used all your attempts at this quiz.")
                )
        except QuizUnavailable as exc:
            unavailable = exc.message
    past = [
        {
            "attempt": a,
            "options": review_options(a, attempts_used=len(attempts)),
        }
        for a in attempts
        if a.status != Status.IN_PROGRESS
    ]
    return render(
        request,
        "assessments/quiz_detail.html",
        {
            "quiz": quiz,
            "question_count": _question_count(quiz),
            "used": len(attempts),
            "current": current,
            "past": past,
            "unavailable": unavailable,
        },
    )


@login_required
@require_POST
def start(request: HttpRequest, public_id) -> HttpResponse:
    quiz = _published_quiz(public_id)
    try:
        attempt = attempt_start(quiz=quiz, user=request.user)
    except AttemptError as exc:
        messages.error(request, exc.message)
        return see_other(reverse("assessments:quiz", args=[quiz.public_id]))
    return see_other(reverse("assessments:attempt", args=[attempt.public_id]))


@never_cache
@login_required
@require_GET
def attempt_page(request: HttpRequest, public_id) -> HttpResponse:
    attempt = own_attempt(request, public_id)
    review_url = reverse("assessments:review", args=[attempt.public_id])
    if attempt.status != Status.IN_PROGRESS:
        return see_other(review_url)
    now = timezone.now()
    if attempt_is_overdue(attempt, now=now):
        attempt_submit(attempt_public_id=attempt.public_id, user=request.user, now=now)
        messages.info(request, _("Time ran out: your answers have been submitted."))
        return see_other(review_url)
    items = [
        item_view(item)
        for item in attempt.items.select_related("version").order_by("position")
    ]
    remaining = None
    if attempt.deadline is not None:
        remaining = max(0, int((attempt.deadline - now).total_seconds()))
    return render(
        request,
        "assessments/attempt.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "items": items,
            "answered_count": sum(1 for i in items if i["answered"]),
            "remaining": remaining,
            "remaining_text": _clock(remaining or 0),
            "review_url": review_url,
        },
    )


# --- endpoints --------------------------------------------------------------------


@require_POST
def answer(request: HttpRequest, public_id) -> JsonResponse:
    """Autosave one answer. Lean on purpose (session, user, and the service's two
    queries): every open exam page calls it on every change."""
    if not request.user.is_authenticated:
        return _json_error(401, "login_required", _("Please sign in again."))
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, "malformed", _("The request could not be read."))
    if not isinstance(payload, dict):
        return _json_error(400, "malformed", _("The request could not be read."))
    position, seq = payload.get("position"), payload.get("seq")
    if not _small_int(position, MAX_POSITION) or not _small_int(seq, MAX_SEQ):
        return _json_error(
            400, "malformed", _("The save carries no valid question or sequence.")
        )
    try:
        item = attempt_answer_save(
            attempt_public_id=public_id,
            user=request.user,
            position=position,
            response=payload.get("response"),
            seq=seq,
        )
    except StaleAnswer as exc:
        return _json_error(409, exc.code, exc.message, saved_seq=exc.saved_seq)
    except AttemptClosed as exc:
        return _json_error(
            409,
            exc.code,
            exc.message,
            review_url=reverse("assessments:review", args=[public_id]),
        )
    except AttemptError as exc:
        status = 404 if exc.code == "not_found" else 400
        return _json_error(status, exc.code, exc.message)
    return JsonResponse(
        {
            "ok": True,
            "seq": item.seq,
            "saved_at": timezone.localtime(item.saved_at).isoformat(timespec="seconds"),
        }
    )


def _small_int(value: Any, maximum: int) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum
    )


@login_required
@require_POST
def submit(request: HttpRequest, public_id) -> HttpResponse:
    """Submit (idempotent). A page without JavaScript posts its answers here too:
    they are saved first, each only if nothing newer is saved for it. With
    ``action=save`` the answers are saved and the learner goes back to the page."""
    attempt = own_attempt(request, public_id)
    review_url = reverse("assessments:review", args=[attempt.public_id])
    if attempt.status == Status.IN_PROGRESS:
        closed = _save_form_answers(request, attempt)
        if request.POST.get("action") == "save" and not closed:
            messages.success(request, _("Your answers have been saved."))
            return see_other(reverse("assessments:attempt", args=[attempt.public_id]))
    try:
        attempt_submit(attempt_public_id=attempt.public_id, user=request.user)
    except AttemptError as exc:  # pragma: no cover - the attempt was just found
        raise Http404 from exc
    if _wants_json(request):
        return JsonResponse({"ok": True, "review_url": review_url})
    return see_other(review_url)


def _form_response(item: AttemptItem, post) -> Any:
    name = f"q-{item.position}"
    if item.qtype in (Type.SINGLE, Type.TRUE_FALSE):
        return post.get(name) or None
    if item.qtype == Type.MULTIPLE:
        return sorted(set(post.getlist(name))) or None
    if item.qtype == Type.FILL:
        count = len(item.version.answer or [])
        blanks = [post.get(f"{name}-{i}", "") for i in range(1, count + 1)]
        return None if is_blank(blanks) else blanks
    return post.get(name, "") or None


def _save_form_answers(request: HttpRequest, attempt: Attempt) -> bool:
    """Save the answers a plain form post carries. Returns True when the attempt
    turned out to be closed (time ran out) while saving."""
    post = request.POST
    if not any(key.startswith("seq-") for key in post):
        return False
    items = attempt.items.select_related("version").order_by("position")
    for item in items:
        try:
            form_seq = int(post.get(f"seq-{item.position}", ""))
        except ValueError:
            continue
        # An answer saved after this page was loaded (another window, the page's
        # own autosave) is newer than what the form carries.
        if form_seq < item.seq:
            continue
        response = _form_response(item, post)
        stored = item.response
        if item.qtype == Type.MULTIPLE and isinstance(stored, list):
            stored = sorted(stored) or None
        if response == stored or (is_blank(response) and is_blank(stored)):
            continue
        try:
            attempt_answer_save(
                attempt_public_id=attempt.public_id,
                user=request.user,
                position=item.position,
                response=response,
                seq=min(item.seq + 1, MAX_SEQ),
            )
        except AttemptClosed:
            return True
        except StaleAnswer:
            continue
        except AttemptError as exc:
            messages.error(
                request,
                _("Question %(n)s was not saved: %(reason)s")
                % {"n": item.position, "reason": exc.message},
            )
    return False
