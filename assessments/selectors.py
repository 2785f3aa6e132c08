"""Reads that need care: whose attempts a grader or coordinator may see, and the
item analysis editors use to fix bad questions."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count, QuerySet

from assessments.models import Attempt, AttemptItem, LearnerNotice, Question, Quiz
from cms.scope import visible_user_ids


def attempts_visible_to(user, *, grade: bool = False) -> QuerySet[Attempt]:
    """Attempts of the people in ``user``'s scope (training's rule: a role on a unit
    covers its subtree), never the user's own. Graders also need the
    ``grade_attempt`` permission."""
    attempts = Attempt.objects.select_related("quiz", "user")
    if not user.is_authenticated:
        return attempts.none()
    perm = "assessments.grade_attempt" if grade else "assessments.view_attempt"
    if not user.has_perm(perm):
        return attempts.none()
    # Nobody marks their own paper, nor reads its marks here: a coordinator or
    # leader sees their own attempts as a learner, under the quiz's review policy
    # (the staff screens show per-question marks and scores before it allows).
    attempts = attempts.exclude(user=user)
    ids = visible_user_ids(user)
    if ids is None:
        return attempts
    return attempts.filter(user_id__in=ids)


def grading_queue(user) -> QuerySet[AttemptItem]:
    """Short answers waiting for a mark, oldest submission first, in scope."""
    return (
        AttemptItem.objects.filter(
            qtype=Question.Type.SHORT,
            score__isnull=True,
            attempt__status=Attempt.Status.GRADING,
            attempt__in=attempts_visible_to(user, grade=True).values("pk"),
        )
        .select_related("attempt__quiz", "attempt__user", "version__question")
        .order_by("attempt__submitted_at", "position")
    )


def attempts_of_learner(user) -> QuerySet[Attempt]:
    return Attempt.objects.filter(user=user).select_related("quiz")


def attempt_counts_of_learner(user, quiz_ids) -> dict[int, int]:
    """quiz id -> how many attempts ``user`` has at it, for a page of quizzes or
    attempts in one query (the review policy depends on attempts left)."""
    rows = (
        Attempt.objects.filter(user=user, quiz_id__in=list(quiz_ids))
        .values("quiz_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["quiz_id"]: row["n"] for row in rows}


def notices_unread_of_learner(user) -> QuerySet[LearnerNotice]:
    return LearnerNotice.objects.filter(user=user, read_at__isnull=True).select_related(
        "attempt__quiz"
    )


def counted_attempts(quiz: Quiz) -> QuerySet[Attempt]:
    """The one attempt per learner that counts by the quiz's rule (highest or last
    finished attempt)."""
    finished = Attempt.objects.filter(quiz=quiz, status=Attempt.Status.FINISHED)
    order = (
        ["user_id", "-score", "number"]
        if quiz.grading == Quiz.Grading.HIGHEST
        else ["user_id", "-number"]
    )
    seen: set[int] = set()
    keep: list[int] = []
    for pk, user_id in finished.order_by(*order).values_list("pk", "user_id"):
        if user_id not in seen:
            seen.add(user_id)
            keep.append(pk)
    return finished.filter(pk__in=keep)


def item_analysis(quiz: Quiz) -> list[dict]:
    """Per question of ``quiz`` over finished attempts (each learner's counted one):

    - facility: mean share of the marks earned (0 hard … 1 easy);
    - discrimination: correlation of the item score with the rest of the attempt's
      score (Moodle's discrimination index; < 0.2 suggests a poor question);
    - choice distribution: how often each option was chosen.
    """
    attempts = {
        a.pk: a.score or Decimal("0")
        for a in counted_attempts(quiz).only("pk", "score")
    }
    if not attempts:
        return []
    items = AttemptItem.objects.filter(attempt_id__in=attempts).select_related(
        "version__question"
    )
    by_question: dict[int, list[AttemptItem]] = defaultdict(list)
    for item in items:
        by_question[item.version.question_id].append(item)
    rows = []
    for question_items in by_question.values():
        question = question_items[0].version.question
        fractions, rests = [], []
        choices: Counter = Counter()
        for item in question_items:
            score = item.score or Decimal("0")
            fractions.append(float(score / item.marks) if item.marks else 0.0)
            rests.append(float(attempts[item.attempt_id] - score))
            response = item.response
            if isinstance(response, list) and item.qtype == Question.Type.MULTIPLE:
                choices.update(response)
            elif isinstance(response, str) and item.qtype in (
                Question.Type.SINGLE,
                Question.Type.TRUE_FALSE,
            ):
                choices[response] += 1
            elif response in (None, "", []):
                choices["—"] += 1
        options = question_items[-1].version.options
        rows.append(
            {
                "question": question,
                "answers": len(question_items),
                "facility": sum(fractions) / len(fractions),
                "discrimination": _correlation(fractions, rests),
                "choices": [
                    {
                        "key": o["key"],
                        "text": o["text"],
                        "count": choices.get(o["key"], 0),
                    }
                    for o in options
                ],
                "blank": choices.get("—", 0),
            }
        )
    rows.sort(key=lambda r: (r["discrimination"] is None, r["discrimination"] or 0))
    return rows


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)
