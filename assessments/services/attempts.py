"""Attempts: start and autosave.

The server is the only clock and the only dealer. ``attempt_start`` fixes the question
set, the option order and the deadline; ``attempt_answer_save`` refuses anything after
the deadline plus a short grace and anything older than what it already has. Closing
and grading (``attempt_submit``, the timeout sweep) are in ``closing``; what the
learner may see of an attempt is in ``review``.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import (
    Attempt,
    AttemptItem,
    Question,
    QuestionVersion,
    Quiz,
    QuizInvitation,
    QuizSlot,
)
from assessments.scoring import ZERO, quantize
from assessments.services.attempt_errors import (
    AttemptClosed,
    AttemptError,
    QuizUnavailable,
    StaleAnswer,
)
from assessments.services.closing import attempt_close, attempt_is_overdue

Status = Attempt.Status
Type = Question.Type

MAX_TEXT = 5000
MAX_BLANK = 200

_rng = random.SystemRandom()


# --- start -----------------------------------------------------------------------


def quiz_check_available(quiz: Quiz, user, *, now=None) -> None:
    """Raise ``QuizUnavailable`` when ``user`` may not start ``quiz`` now."""
    now = now or timezone.now()
    if not quiz.is_published:
        raise QuizUnavailable(_("This quiz is not published."))
    if quiz.open_at and now < quiz.open_at:
        raise QuizUnavailable(_("This quiz has not opened yet."))
    if quiz.close_at and now >= quiz.close_at:
        raise QuizUnavailable(_("This quiz has closed."))
    if (
        quiz.audience == Quiz.Audience.INVITED
        and not QuizInvitation.objects.filter(quiz=quiz, user=user).exists()
    ):
        raise QuizUnavailable(_("You are not on the list for this exam."))


def _pool_bank(slots) -> list[tuple[int, int, int, str, int]]:
    """(question id, current version id, subject id, type, difficulty) of every
    question in use that a draw line of ``slots`` could draw. One query for all
    lines: an exam drawing from several subjects costs the same as one drawing from
    one (exam starts come all at once)."""
    subject_ids = {slot.pool_subject_id for slot in slots if slot.is_draw}
    if not subject_ids:
        return []
    return list(
        Question.objects.filter(
            subject_id__in=subject_ids,
            status=Question.Status.IN_USE,
            current__isnull=False,
        )
        .order_by()
        .values_list("pk", "current_id", "subject_id", "qtype", "difficulty")
    )


def _pool(slot: QuizSlot, bank, *, exclude: set[int]) -> list[tuple[int, int]]:
    """(question id, version id) of the bank questions ``slot`` draws from."""
    return [
        (pk, version_id)
        for pk, version_id, subject_id, qtype, difficulty in bank
        if subject_id == slot.pool_subject_id
        and pk not in exclude
        and (not slot.pool_qtype or qtype == slot.pool_qtype)
        and (not slot.pool_difficulty or difficulty == slot.pool_difficulty)
    ]


def _draw(slots: list[QuizSlot]) -> list[tuple[int, Decimal]]:
    """(version id, marks) for each question of a new attempt, in quiz order. Random
    draws never repeat a question already chosen in the same attempt."""
    chosen: list[tuple[int, Decimal]] = []
    # Fixed questions are reserved before any pool draws, so a pool listed before a
    # fixed line cannot take its question (and shorten the attempt by one).
    used: set[int] = {slot.question_id for slot in slots if not slot.is_draw}
    placed: set[int] = set()
    bank = _pool_bank(slots)
    for slot in slots:
        if not slot.is_draw:
            if slot.question_id in placed or slot.question.current_id is None:
                continue
            placed.add(slot.question_id)
            chosen.append((slot.question.current_id, slot.marks))
            continue
        candidates = _pool(slot, bank, exclude=used)
        if len(candidates) < slot.count:
            raise QuizUnavailable(
                _(
                    "The question pool of this quiz is too small; "
                    "please tell the quiz's owner."
                )
            )
        for pk, version_id in _rng.sample(candidates, slot.count):
            used.add(pk)
            chosen.append((version_id, slot.marks))
    return chosen


def pool_shortfalls(
    quiz: Quiz, *, slots: list[QuizSlot] | None = None
) -> list[tuple[QuizSlot, int]]:
    """Draw lines that a start could fail to fill: (slot, questions it can count on).
    Checked before a quiz is published so no learner meets the error. ``slots``:
    lines not saved yet (the admin form checks them before saving); default: the
    quiz's saved lines.

    A line can count on its pool minus the quiz's fixed questions minus whatever the
    other draw lines sharing questions with it may take first — the worst case of
    the random order, so a quiz that passes never refuses a start.
    """
    if slots is None:
        slots = list(quiz.slots.all())
    fixed = {slot.question_id for slot in slots if not slot.is_draw}
    draws = [slot for slot in slots if slot.is_draw]
    bank = _pool_bank(draws)
    pools = [{pk for pk, _v in _pool(slot, bank, exclude=fixed)} for slot in draws]
    short = []
    for i, slot in enumerate(draws):
        taken_by_others = sum(
            other.count
            for j, other in enumerate(draws)
            if j != i and pools[j] & pools[i]
        )
        available = max(len(pools[i]) - taken_by_others, 0)
        if available < slot.count:
            short.append((slot, available))
    return short


def attempt_start(*, quiz: Quiz, user, now=None) -> Attempt:
    """The learner's open attempt at ``quiz``, started now if there is none.

    Idempotent: a second tab, a second device or a double click returns the same
    attempt (a partial unique index makes two concurrent starts collide, and the
    loser returns the winner's attempt).
    """
    now = now or timezone.now()
    previous = list(
        Attempt.objects.filter(quiz=quiz, user=user).values_list("pk", "status")
    )
    open_ids = [pk for pk, status in previous if status == Status.IN_PROGRESS]
    if open_ids:
        attempt = Attempt.objects.get(pk=open_ids[0])
        if attempt_is_overdue(attempt, now=now):
            attempt_close(attempt=attempt, closed_by=Attempt.ClosedBy.TIMEOUT, now=now)
        else:
            return attempt
        previous = list(
            Attempt.objects.filter(quiz=quiz, user=user).values_list("pk", "status")
        )
    quiz_check_available(quiz, user, now=now)
    if quiz.max_attempts and len(previous) >= quiz.max_attempts:
        raise QuizUnavailable(_("You have used all your attempts at this quiz."))

    slots = list(quiz.slots.select_related("question").order_by("sort_order", "pk"))
    drawn = _draw(slots)
    if not drawn:
        raise QuizUnavailable(_("This quiz has no questions yet."))
    if quiz.shuffle_questions:
        _rng.shuffle(drawn)
    versions = {
        v["pk"]: v
        for v in QuestionVersion.objects.filter(
            pk__in=[vid for vid, _m in drawn]
        ).values("pk", "options", "question__qtype")
    }
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.close_at and (deadline is None or quiz.close_at < deadline):
        deadline = quiz.close_at

    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz,
                user=user,
                number=len(previous) + 1,
                started_at=now,
                deadline=deadline,
                max_score=quantize(sum((m for _v, m in drawn), ZERO)),
            )
            items = []
            for position, (version_id, marks) in enumerate(drawn, start=1):
                version = versions[version_id]
                qtype = version["question__qtype"]
                keys = [o["key"] for o in version["options"]]
                if quiz.shuffle_options and qtype in (Type.SINGLE, Type.MULTIPLE):
                    _rng.shuffle(keys)
                items.append(
                    AttemptItem(
                        attempt=attempt,
                        position=position,
                        version_id=version_id,
                        qtype=qtype,
                        option_order=keys,
                        marks=marks,
                    )
                )
            AttemptItem.objects.bulk_create(items)
    except IntegrityError:
        # Another request started this learner's attempt a moment ago.
        return Attempt.objects.get(quiz=quiz, user=user, status=Status.IN_PROGRESS)
    return attempt


# --- autosave --------------------------------------------------------------------


def response_clean(item: AttemptItem, response: Any, blank_count: int) -> Any:
    """The response in canonical form, or ``AttemptError`` saying what is wrong."""
    if response is None:
        return None
    qtype = item.qtype
    keys = item.option_order if qtype != Type.TRUE_FALSE else ["T", "F"]
    if qtype in (Type.SINGLE, Type.TRUE_FALSE):
        if not isinstance(response, str) or response not in keys:
            raise AttemptError(_("That is not one of the options."))
        return response
    if qtype == Type.MULTIPLE:
        if (
            not isinstance(response, list)
            or not all(isinstance(k, str) for k in response)
            or not set(response) <= set(keys)
        ):
            raise AttemptError(_("That is not a choice of the options."))
        return sorted(set(response))
    if qtype == Type.FILL:
        if (
            not isinstance(response, list)
            or len(response) != blank_count
            or not all(isinstance(s, str) and len(s) <= MAX_BLANK for s in response)
        ):
            raise AttemptError(
                _("Each blank takes a text of at most %(n)s characters.")
                % {"n": MAX_BLANK}
            )
        return response
    if qtype == Type.SHORT:
        if not isinstance(response, str) or len(response) > MAX_TEXT:
            raise AttemptError(
                _("An answer takes at most %(n)s characters.") % {"n": MAX_TEXT}
            )
        return response
    raise AttemptError(_("Unknown question type."))


def attempt_answer_save(
    *, attempt_public_id, user, position: int, response: Any, seq: int, now=None
) -> AttemptItem:
    """Save one answer. Two queries on the happy path: read the item with its
    attempt, then a conditional update that only wins with a newer ``seq``.

    The read takes a row lock on the attempt (the kind an ordinary UPDATE takes), so
    a save and a submit of the same attempt queue behind each other: a save either
    lands before grading reads the answers or finds the attempt submitted.
    """
    now = now or timezone.now()
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise AttemptError(_("The save carries no valid sequence number."))
    if not isinstance(position, int) or isinstance(position, bool):
        raise AttemptError(_("No such question in your attempt."), "not_found")
    # No savepoint and nothing raised inside the block: inside a caller's
    # transaction this adds no queries and never poisons it; refusals are raised
    # once the lock is released.
    refusal: AttemptError | None = None
    with transaction.atomic(savepoint=False):
        item = (
            AttemptItem.objects.select_related("attempt", "version")
            .select_for_update(of=("attempt",), no_key=True)
            .filter(
                attempt__public_id=_uuid_or_none(attempt_public_id),
                attempt__user=user,
                position=position,
            )
            .first()
        )
        if item is None:
            refusal = AttemptError(_("No such question in your attempt."), "not_found")
        elif item.attempt.status != Status.IN_PROGRESS:
            refusal = AttemptClosed(_("This attempt has been submitted."))
        elif not attempt_is_overdue(item.attempt, now=now):
            refusal = _answer_store(item, response, seq, now)
    if refusal is not None:
        raise refusal
    if attempt_is_overdue(item.attempt, now=now):
        attempt_close(attempt=item.attempt, closed_by=Attempt.ClosedBy.TIMEOUT, now=now)
        raise AttemptClosed(_("Time is up: the attempt has been closed."))
    return item


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _answer_store(item: AttemptItem, response, seq: int, now) -> AttemptError | None:
    """Write a checked response if ``seq`` is newer; the refusal otherwise."""
    blank_count = len(item.version.answer or []) if item.qtype == Type.FILL else 0
    try:
        response = response_clean(item, response, blank_count)
    except AttemptError as error:
        return error
    updated = AttemptItem.objects.filter(pk=item.pk, seq__lt=seq).update(
        response=response, seq=seq, saved_at=now
    )
    if not updated:
        stale = StaleAnswer(_("A newer answer to this question is already saved."))
        stale.saved_seq = item.seq
        return stale
    item.response, item.seq, item.saved_at = response, seq, now
    return None
