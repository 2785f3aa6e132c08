"""The learner's exam screens and the autosave endpoints.

Nothing here hands a ``QuestionVersion`` to a template or to JSON: every item is
copied into a plain dict from an explicit whitelist (stem, option texts, keys in
the attempt's order), and answer keys, explanations and grading notes are added
only when ``review_options`` says the quiz's review policy allows them.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
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
from assessments.scoring import normalise_fill
from assessments.services import (
    AttemptClosed,
    AttemptError,
    QuizUnavailable,
    ReviewOptions,
    StaleAnswer,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    notices_mark_read,
    quiz_check_available,
    quizzes_open_to,
    review_options,
)
from assessments.services.attempts import attempt_is_overdue

Type = Question.Type
Status = Attempt.Status

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRUE_FALSE_TEXT = {"T": "正确", "F": "错误"}
# The item's seq is a PositiveIntegerField: a larger number would not fit.
MAX_SEQ = 2**31 - 1
MAX_POSITION = 32767
RESULTS_PER_PAGE = 20


# --- helpers ----------------------------------------------------------------------


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _json_error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _own_attempt(request: HttpRequest, public_id) -> Attempt:
    """The signed-in learner's attempt; anybody else's is a 404, staff included
    (they look at attempts through the staff screens, never through these)."""
    return get_object_or_404(
        selectors.attempts_of_learner(request.user), public_id=public_id
    )


def _published_quiz(public_id) -> Quiz:
    return get_object_or_404(Quiz, public_id=public_id, is_published=True)


def _is_blank(response: Any) -> bool:
    if response in (None, "", []):
        return True
    if isinstance(response, list):
        return all(isinstance(r, str) and not r.strip() for r in response)
    return isinstance(response, str) and not response.strip()


def _option_list(item: AttemptItem) -> list[dict]:
    """Options in the attempt's stored order: key (what is sent back), label (A, B …
    by position, so shuffled options still read A–D) and text."""
    texts = {o["key"]: o["text"] for o in item.version.options}
    if item.qtype == Type.TRUE_FALSE:
        texts = {**TRUE_FALSE_TEXT, **texts}
        return [
            {"key": k, "label": "", "text": texts[k]}
            for k in item.option_order or ["T", "F"]
            if k in texts
        ]
    return [
        {"key": k, "label": LETTERS[i] if i < len(LETTERS) else k, "text": texts[k]}
        for i, k in enumerate(item.option_order or list(texts))
        if k in texts
    ]


def _chosen(item: AttemptItem) -> set[str]:
    response = item.response
    if isinstance(response, str):
        return {response}
    if isinstance(response, list) and item.qtype == Type.MULTIPLE:
        return {r for r in response if isinstance(r, str)}
    return set()


def _item_view(item: AttemptItem) -> dict:
    """What the taking page may show of one item: the whitelist."""
    version = item.version
    chosen = _chosen(item)
    view = {
        "position": item.position,
        "qtype": item.qtype,
        "qtype_label": Type(item.qtype).label,
        "marks": item.marks,
        "stem": version.stem,
        "seq": item.seq,
        "saved_at": item.saved_at,
        "answered": not _is_blank(item.response),
        "options": [],
        "blanks": [],
        "text": "",
    }
    if item.qtype in (Type.SINGLE, Type.MULTIPLE, Type.TRUE_FALSE):
        view["options"] = [
            {**option, "checked": option["key"] in chosen}
            for option in _option_list(item)
        ]
    elif item.qtype == Type.FILL:
        # Only the number of blanks leaves the server, never the accepted answers.
        count = len(version.answer or [])
        saved = item.response if isinstance(item.response, list) else []
        view["blanks"] = [
            {"number": i + 1, "value": saved[i] if i < len(saved) else ""}
            for i in range(count)
        ]
    elif item.qtype == Type.SHORT:
        view["text"] = item.response if isinstance(item.response, str) else ""
    return view


def _review_item_view(item: AttemptItem, options: ReviewOptions) -> dict:
    """The review page's whitelist: the taking view plus what the policy allows."""
    view = _item_view(item)
    version = item.version
    graded = item.score is not None
    view["pending"] = item.qtype == Type.SHORT and not graded
    view["score"] = item.score if options.score and graded else None
    view["result"] = None
    if options.correctness and graded:
        if item.score >= item.marks:
            view["result"] = "right"
        elif item.score > 0:
            view["result"] = "partial"
        else:
            view["result"] = "wrong"
    key = version.answer
    if view["options"]:
        keys = (
            set(key if isinstance(key, list) else [key]) if options.answers else set()
        )
        for option in view["options"]:
            option["is_key"] = option["key"] in keys
        view["key_labels"] = [
            o["label"] or o["text"] for o in view["options"] if o["is_key"]
        ]
    if item.qtype == Type.FILL:
        for i, blank in enumerate(view["blanks"]):
            accepted = key[i] if isinstance(key, list) and i < len(key) else []
            if options.correctness:
                blank["right"] = bool(blank["value"]) and normalise_fill(
                    blank["value"]
                ) in {normalise_fill(a) for a in accepted}
            if options.answers:
                blank["accepted"] = accepted
    view["rubric"] = version.rubric if options.answers else ""
    view["explanation"] = version.explanation if options.explanations else ""
    view["feedback"] = item.feedback if item.qtype == Type.SHORT and graded else ""
    return view


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
        return _see_other(reverse("assessments:quiz", args=[quiz.public_id]))
    return _see_other(reverse("assessments:attempt", args=[attempt.public_id]))


@never_cache
@login_required
@require_GET
def attempt_page(request: HttpRequest, public_id) -> HttpResponse:
    attempt = _own_attempt(request, public_id)
    review_url = reverse("assessments:review", args=[attempt.public_id])
    if attempt.status != Status.IN_PROGRESS:
        return _see_other(review_url)
    now = timezone.now()
    if attempt_is_overdue(attempt, now=now):
        attempt_submit(attempt_public_id=attempt.public_id, user=request.user, now=now)
        messages.info(request, _("Time ran out: your answers have been submitted."))
        return _see_other(review_url)
    items = [
        _item_view(item)
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


@login_required
@require_GET
def review(request: HttpRequest, public_id) -> HttpResponse:
    attempt = _own_attempt(request, public_id)
    if attempt.status == Status.IN_PROGRESS:
        if not attempt_is_overdue(attempt):
            return _see_other(reverse("assessments:attempt", args=[attempt.public_id]))
        attempt = attempt_submit(attempt_public_id=attempt.public_id, user=request.user)
    options = review_options(attempt)
    items = [
        _review_item_view(item, options)
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
    attempt = _own_attempt(request, public_id)
    review_url = reverse("assessments:review", args=[attempt.public_id])
    if attempt.status == Status.IN_PROGRESS:
        closed = _save_form_answers(request, attempt)
        if request.POST.get("action") == "save" and not closed:
            messages.success(request, _("Your answers have been saved."))
            return _see_other(reverse("assessments:attempt", args=[attempt.public_id]))
    try:
        attempt_submit(attempt_public_id=attempt.public_id, user=request.user)
    except AttemptError as exc:  # pragma: no cover - the attempt was just found
        raise Http404 from exc
    if _wants_json(request):
        return JsonResponse({"ok": True, "review_url": review_url})
    return _see_other(review_url)


def _form_response(item: AttemptItem, post) -> Any:
    name = f"q-{item.position}"
    if item.qtype in (Type.SINGLE, Type.TRUE_FALSE):
        return post.get(name) or None
    if item.qtype == Type.MULTIPLE:
        return sorted(set(post.getlist(name))) or None
    if item.qtype == Type.FILL:
        count = len(item.version.answer or [])
        blanks = [post.get(f"{name}-{i}", "") for i in range(1, count + 1)]
        return None if _is_blank(blanks) else blanks
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
        if response == stored or (_is_blank(response) and _is_blank(stored)):
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
