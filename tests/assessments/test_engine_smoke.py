from decimal import Decimal

import pytest

from assessments.models import Attempt
from assessments.services import (
    StaleAnswer,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
)
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db


def test_start_save_submit_grades_once(learner):
    qs = [af.question(), af.question(af.Type.MULTIPLE), af.question(af.Type.FILL)]
    quiz = af.quiz(qs)
    attempt = attempt_start(quiz=quiz, user=learner)
    assert attempt_start(quiz=quiz, user=learner).pk == attempt.pk
    pid = attempt.public_id
    attempt_answer_save(
        attempt_public_id=pid, user=learner, position=1, response="A", seq=1
    )
    attempt_answer_save(
        attempt_public_id=pid, user=learner, position=2, response=["A", "B"], seq=1
    )
    attempt_answer_save(
        attempt_public_id=pid, user=learner, position=3, response=["忠 诚"], seq=2
    )
    with pytest.raises(StaleAnswer):
        attempt_answer_save(
            attempt_public_id=pid, user=learner, position=1, response="B", seq=1
        )
    done = attempt_submit(attempt_public_id=pid, user=learner)
    again = attempt_submit(attempt_public_id=pid, user=learner)
    assert done.status == again.status == Attempt.Status.FINISHED
    assert done.score == Decimal("3.00") and done.passed
    assert again.graded_at == done.graded_at
