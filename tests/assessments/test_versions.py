"""Question versions: what a learner answered is never changed under them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.models import AttemptItem, Question, QuestionVersion
from assessments.services import (
    QuestionContent,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    question_update,
)
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

OPTIONS = [
    {"key": "A", "text": "忠诚、公正、清廉、文明"},
    {"key": "B", "text": "勤勉、高效"},
    {"key": "C", "text": "服从、配合"},
    {"key": "D", "text": "以上都不是"},
]


def content(stem="检察官职业道德的基本要求是？", answer="A", **extra):
    return QuestionContent(
        stem=f"<p>{stem}</p>",
        options=OPTIONS,
        answer=answer,
        explanation="<p>见《检察官职业道德基本准则》。</p>",
        **extra,
    )


def use(question, user):
    """Put ``question`` into an attempt of ``user`` and answer it with A."""
    attempt = attempt_start(quiz=af.quiz([question]), user=user)
    attempt_answer_save(
        attempt_public_id=attempt.public_id, user=user, position=1, response="A", seq=1
    )
    return attempt


def test_editing_an_unused_question_edits_in_place(superuser):
    question = af.question(options=OPTIONS)
    v1 = question.current
    question_update(actor=superuser, question=question, content=content("改正后的题干"))
    question.refresh_from_db()
    assert question.current_id == v1.pk
    assert QuestionVersion.objects.filter(question=question).count() == 1
    v1.refresh_from_db()
    assert v1.number == 1 and "改正后的题干" in v1.stem
    assert question.title == "改正后的题干"


def test_editing_a_used_question_makes_version_two(superuser, learner):
    question = af.question(options=OPTIONS)
    v1 = question.current
    attempt = use(question, learner)
    question_update(
        actor=superuser, question=question, content=content("新的题干", answer="B")
    )
    question.refresh_from_db()
    assert question.current.number == 2
    assert question.current.answer == "B"
    assert question.current.created_by == superuser
    v1.refresh_from_db()
    assert "检察官职业道德的基本要求是" in v1.stem and v1.answer == "A"
    # The learner's item still points at what they saw …
    item = AttemptItem.objects.select_related("version").get(attempt=attempt)
    assert item.version_id == v1.pk
    assert "检察官职业道德的基本要求是" in item.version.stem
    # … and is graded against it: A was right in v1.
    done = attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    assert done.score == Decimal("1.00")


def test_the_review_page_shows_the_version_the_learner_saw(superuser, learner, client):
    question = af.question(options=OPTIONS, stem="第一版题干")
    attempt = use(question, learner)
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    question_update(actor=superuser, question=question, content=content("第二版题干"))
    client.force_login(learner)
    response = client.get(reverse("assessments:review", args=[attempt.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "第一版题干" in page
    assert "第二版题干" not in page


def test_new_attempts_get_the_new_version(superuser, learner, people):
    question = af.question(options=OPTIONS)
    use(question, learner)
    question_update(actor=superuser, question=question, content=content("新的题干"))
    question.refresh_from_db()
    other = attempt_start(quiz=af.quiz([question]), user=people["A2"].user)
    assert other.items.get().version_id == question.current_id


def test_unchanged_save_after_use_makes_no_version(superuser, learner):
    question = af.question(options=OPTIONS)
    use(question, learner)
    question_update(actor=superuser, question=question, content=content())
    question.refresh_from_db()
    assert question.current.number == 1
    assert QuestionVersion.objects.filter(question=question).count() == 1


def test_metadata_change_after_use_makes_no_version(superuser, learner):
    question = af.question(options=OPTIONS)
    use(question, learner)
    question_update(
        actor=superuser,
        question=question,
        content=content(),
        difficulty=4,
        tags="职业道德,廉洁",
        status=Question.Status.RETIRED,
    )
    question.refresh_from_db()
    assert QuestionVersion.objects.filter(question=question).count() == 1
    assert (question.difficulty, question.status) == (4, Question.Status.RETIRED)
    assert question.tag_list == ["职业道德", "廉洁"]


def test_each_edit_after_use_adds_one_version(superuser, learner, people):
    question = af.question(options=OPTIONS)
    use(question, learner)
    question_update(actor=superuser, question=question, content=content("第二版"))
    # v2 is unused, so a correction to it is made in place …
    question_update(actor=superuser, question=question, content=content("第二版改"))
    question.refresh_from_db()
    assert question.current.number == 2 and "第二版改" in question.current.stem
    # … until someone answers it.
    use(question, people["A2"].user)
    question_update(actor=superuser, question=question, content=content("第三版"))
    question.refresh_from_db()
    assert question.current.number == 3
    assert list(
        QuestionVersion.objects.filter(question=question)
        .order_by("number")
        .values_list("number", flat=True)
    ) == [1, 2, 3]


def test_bad_content_is_refused_and_changes_nothing(superuser):
    question = af.question(options=OPTIONS)
    with pytest.raises(ValidationError) as err:
        question_update(actor=superuser, question=question, content=content(answer="Z"))
    assert "answer" in err.value.message_dict
    question.current.refresh_from_db()
    assert question.current.answer == "A"
