"""What the learner may see: the review policy applied to one attempt, the
learner's own attempt, and the exams open to them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone

from assessments.models import Attempt, Quiz
from assessments.services.closing import GRACE

Status = Attempt.Status


# --- what the learner may see ----------------------------------------------------


@dataclass(frozen=True)
class ReviewOptions:
    score: bool
    correctness: bool
    answers: bool
    explanations: bool

    @property
    def anything(self) -> bool:
        return self.score or self.correctness or self.answers or self.explanations


def _review_open(when: str, attempt: Attempt, *, attempts_left: bool, now) -> bool:
    if attempt.status == Status.IN_PROGRESS or when == Quiz.Review.NEVER:
        return False
    if when == Quiz.Review.AFTER_SUBMIT:
        return True
    quiz = attempt.quiz
    if quiz.close_at:
        # Attempts whose deadline is the close still take answers for GRACE after
        # it: keys shown at the close itself could be passed to them in time.
        return now > quiz.close_at + GRACE
    # No closing time: "after close" means once the learner can no longer retake it.
    return not attempts_left


def review_options(
    attempt: Attempt, *, now=None, attempts_used: int | None = None
) -> ReviewOptions:
    """What the quiz's review policy lets the learner see of ``attempt`` now.
    Every page and endpoint that shows an attempt asks this first.

    ``attempts_used``: how many attempts the learner has at this quiz, when the
    caller already counted them (a list of attempts asks once, not per row)."""
    now = now or timezone.now()
    quiz = attempt.quiz
    attempts_left = True
    if quiz.max_attempts:
        if attempts_used is None:
            attempts_used = Attempt.objects.filter(
                quiz=quiz, user_id=attempt.user_id
            ).count()
        attempts_left = attempts_used < quiz.max_attempts

    def is_open(when):
        return _review_open(when, attempt, attempts_left=attempts_left, now=now)

    return ReviewOptions(
        score=is_open(quiz.review_score),
        correctness=is_open(quiz.review_correctness),
        answers=is_open(quiz.review_answers),
        explanations=is_open(quiz.review_explanations),
    )


def attempt_for_owner(*, attempt_public_id, user) -> Attempt:
    try:
        return Attempt.objects.select_related("quiz").get(
            public_id=attempt_public_id, user=user
        )
    except (Attempt.DoesNotExist, ValidationError, ValueError, TypeError):
        raise PermissionDenied from None


def quizzes_open_to(user, *, now=None):
    """Published exams the user may take now (lesson quizzes are reached through
    their lesson)."""
    now = now or timezone.now()
    return (
        Quiz.objects.filter(is_published=True, kind=Quiz.Kind.EXAM)
        .filter(Q(open_at__isnull=True) | Q(open_at__lte=now))
        .filter(Q(close_at__isnull=True) | Q(close_at__gt=now))
        .filter(
            Q(audience=Quiz.Audience.ALL)
            | Q(audience=Quiz.Audience.INVITED, invitations__user=user)
        )
        .distinct()
    )
