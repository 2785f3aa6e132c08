"""Quizzes in the Wagtail admin (lines inline, publishing checks), item analysis, and
exam invitations (service in assessments, picking page in training)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from assessments.models import Quiz, QuizInvitation
from assessments.services import (
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    quiz_invite,
)
from tests.factories import PersonFactory, Role, UserFactory, grant
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

QUIZZES = "/admin/assessments/quizzes/"


@pytest.fixture
def editor(tree):
    user = UserFactory(username="editor-q", full_name="测验编辑")
    grant(user, Role.EDITOR, tree.prov)
    return user


def slot(question=None, subject=None, count=1, marks="2"):
    return {
        "question": question.pk if question else "",
        "pool_subject": subject.pk if subject else "",
        "pool_qtype": "",
        "pool_difficulty": "",
        "count": count,
        "marks": marks,
    }


def quiz_data(slots, **overrides):
    data = {
        "title": "2026 年度职业道德考试",
        "kind": "exam",
        "description": rich_text(""),
        "audience": "all",
        "open_at": "",
        "close_at": "",
        "time_limit_minutes": "30",
        "max_attempts": "1",
        "grading": "highest",
        "pass_percent": "60",
        "shuffle_questions": "on",
        "shuffle_options": "on",
        "negative_marking": "0",
        "review_score": "after_submit",
        "review_correctness": "after_submit",
        "review_answers": "after_close",
        "review_explanations": "after_close",
        "is_published": "on",
        "slots": inline_formset(slots),
    }
    data.update(overrides)
    return nested_form_data(data)


def test_editor_creates_a_published_quiz_with_lines(client, editor):
    subject = af.subject()
    questions = [af.question() for _ in range(3)]
    client.force_login(editor)
    assert client.get(QUIZZES + "new/").status_code == 200
    response = client.post(
        QUIZZES + "new/",
        quiz_data([slot(questions[0]), slot(subject=subject, count=2)]),
    )
    assert response.status_code == 302, response.context["form"].errors
    quiz = Quiz.objects.get()
    assert quiz.is_published and quiz.owner == editor
    assert [s.sort_order for s in quiz.slots.all()] == [0, 1]
    assert quiz.slots.filter(question__isnull=True).get().count == 2


def test_publishing_is_refused_when_a_pool_is_too_small(client, editor):
    subject = af.subject()
    af.question()
    client.force_login(editor)
    response = client.post(
        QUIZZES + "new/", quiz_data([slot(subject=subject, count=5)])
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["is_published"][0]
    assert "5" in errors and "1" in errors
    assert not Quiz.objects.exists()
    # As a draft it may be saved, to be filled later.
    data = quiz_data([slot(subject=subject, count=5)])
    data.pop("is_published")
    assert client.post(QUIZZES + "new/", data).status_code == 302


def test_publishing_without_lines_is_refused(client, editor):
    client.force_login(editor)
    response = client.post(QUIZZES + "new/", quiz_data([]))
    assert response.status_code == 200
    assert "is_published" in response.context["form"].errors


def test_a_line_is_a_question_or_a_draw(client, editor):
    question = af.question()
    client.force_login(editor)
    both = client.post(
        QUIZZES + "new/", quiz_data([slot(question, subject=af.subject())])
    )
    neither = client.post(QUIZZES + "new/", quiz_data([slot()]))
    assert both.status_code == neither.status_code == 200
    assert not Quiz.objects.exists()


def test_quiz_index_shows_attempt_counts(client, editor, learner):
    quiz = af.quiz([af.question()])
    attempt_start(quiz=quiz, user=learner)
    client.force_login(editor)
    response = client.get(QUIZZES)
    assert response.status_code == 200
    assert [q.attempt_count for q in response.context["object_list"]] == [1]


def _finished_attempts(quiz, users, answers):
    for user, answer in zip(users, answers, strict=True):
        attempt = attempt_start(quiz=quiz, user=user)
        for position, response in enumerate(answer, start=1):
            attempt_answer_save(
                attempt_public_id=attempt.public_id,
                user=user,
                position=position,
                response=response,
                seq=1,
            )
        attempt_submit(attempt_public_id=attempt.public_id, user=user)


def test_item_analysis_page(client, editor, people, django_assert_max_num_queries):
    good, bad = af.question(stem="好题"), af.question(stem="坏题")
    fillers = [af.question(stem="其他一"), af.question(stem="其他二")]
    quiz = af.quiz([good, bad, *fillers])
    codes = ("A1", "A2", "B1", "CITY-A", "CITY-B")
    users = [people[code].user for code in codes]
    # Learners strong on the rest of the quiz get the good question right and the
    # bad one wrong: the bad one's key is probably wrong.
    right, wrong = "A", "B"
    _finished_attempts(
        quiz,
        users,
        [
            [right, wrong, right, right],
            [right, wrong, right, right],
            [right, right, right, wrong],
            [wrong, right, wrong, wrong],
            [wrong, right, wrong, wrong],
        ],
    )
    client.force_login(editor)
    with django_assert_max_num_queries(25):
        response = client.get(f"{QUIZZES}{quiz.pk}/analysis/")
    assert response.status_code == 200
    rows = {r["question"].title: r for r in response.context["rows"]}
    assert rows["坏题"]["flagged"] and not rows["好题"]["flagged"]
    assert rows["好题"]["facility_percent"] == 60
    assert rows["好题"]["choices"][0]["percent"] == 60
    html = response.content.decode()
    assert "qa-bar-fill" in html and "qa-flagged" in html


def test_item_analysis_is_for_editors_and_admins(client, coordinator, learner):
    quiz = af.quiz([af.question()])
    for user in (coordinator, learner):
        client.force_login(user)
        response = client.get(f"{QUIZZES}{quiz.pk}/analysis/")
        assert response.status_code in {302, 403}


# --- invitations ---------------------------------------------------------------


def test_quiz_invite_is_idempotent_and_scoped(people, coordinator):
    quiz = af.quiz([af.question()], audience=Quiz.Audience.INVITED)
    mine = [people["A1"].user_id, people["A2"].user_id]
    assert quiz_invite(actor=coordinator, quiz=quiz, user_ids=mine) == 2
    assert quiz_invite(actor=coordinator, quiz=quiz, user_ids=mine) == 0
    with pytest.raises(PermissionDenied):
        quiz_invite(actor=coordinator, quiz=quiz, user_ids=[people["B1"].user_id])
    assert QuizInvitation.objects.count() == 2


def test_quiz_invite_needs_the_permission(people, leader):
    quiz = af.quiz([af.question()], audience=Quiz.Audience.INVITED)
    with pytest.raises(PermissionDenied):
        quiz_invite(actor=leader, quiz=quiz, user_ids=[people["A1"].user_id])


def test_invite_page_counts_then_invites_the_subtree(client, tree, people, coordinator):
    PersonFactory(unit=tree.a1, category="clerk")
    quiz = af.quiz([af.question()], audience=Quiz.Audience.INVITED)
    client.force_login(coordinator)
    url = f"/invitations/{quiz.pk}/"
    response = client.get(url, {"unit": tree.city_a.pk})
    assert response.status_code == 200
    assert response.context["count"] == 4
    response = client.get(url, {"unit": tree.city_a.pk, "category": "clerk"})
    assert response.context["count"] == 1
    response = client.post(url, {"unit": tree.city_a.pk, "confirm": "1"})
    assert response.status_code == 302
    assert QuizInvitation.objects.filter(quiz=quiz).count() == 4
    assert not QuizInvitation.objects.filter(user=people["B1"].user).exists()


def test_invite_page_refuses_units_outside_scope(client, tree, people, coordinator_b):
    quiz = af.quiz([af.question()], audience=Quiz.Audience.INVITED)
    client.force_login(coordinator_b)
    response = client.post(
        f"/invitations/{quiz.pk}/", {"unit": tree.city_a.pk, "confirm": "1"}
    )
    assert response.status_code == 200  # the unit is not a valid choice
    assert "unit" in response.context["form"].errors
    assert not QuizInvitation.objects.exists()


def test_invite_page_is_for_coordinators(client, people, leader, learner):
    quiz = af.quiz([af.question()], audience=Quiz.Audience.INVITED)
    for user in (leader, learner):
        client.force_login(user)
        assert client.get(f"/invitations/{quiz.pk}/").status_code == 403
