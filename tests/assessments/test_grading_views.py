"""Grading queue in the admin: scoped to the grader's units, never their own paper,
marks through item_grade with a history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.models import Attempt, GradeChange
from assessments.services import attempt_answer_save, attempt_start, attempt_submit
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

QUEUE = "/admin/assessments/grading/"


def submitted_short_answer(user, text="忠诚、公正、清廉、文明", quiz=None):
    quiz = quiz or af.quiz([af.question(af.Type.SHORT)], marks="10")
    attempt = attempt_start(quiz=quiz, user=user)
    attempt_answer_save(
        attempt_public_id=attempt.public_id, user=user, position=1, response=text, seq=1
    )
    attempt_submit(attempt_public_id=attempt.public_id, user=user)
    return attempt.items.get()


def test_coordinator_sees_items_of_own_units_only(client, people, coordinator):
    mine = submitted_short_answer(people["A1"].user)
    quiz = mine.attempt.quiz
    theirs = submitted_short_answer(people["B1"].user, quiz=quiz)
    client.force_login(coordinator)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert [e["item"].pk for e in response.context["items"]] == [mine.pk]
    html = response.content.decode()
    assert "忠诚、公正、清廉、文明" in html  # the answer
    assert "要点" in html  # the rubric
    assert people["A1"].unit.name in html
    assert theirs.pk not in [e["item"].pk for e in response.context["items"]]


def test_queue_query_count(client, people, coordinator, django_assert_max_num_queries):
    quiz = af.quiz([af.question(af.Type.SHORT)], marks="10", max_attempts=0)
    for code in ("A1", "A2", "CITY-A"):
        submitted_short_answer(people[code].user, quiz=quiz)
    client.force_login(coordinator)
    with django_assert_max_num_queries(30) as captured:
        response = client.get(QUEUE)
    assert len(response.context["items"]) == 3
    few = len(captured.captured_queries)
    submitted_short_answer(
        people["A1"].user, quiz=af.quiz([af.question(af.Type.SHORT)])
    )
    with django_assert_max_num_queries(few):
        client.get(QUEUE)


def test_grade_from_the_queue_then_change_with_reason(client, people, coordinator):
    item = submitted_short_answer(people["A1"].user)
    client.force_login(coordinator)
    url = f"{QUEUE}{item.pk}/"
    response = client.post(
        url,
        {
            "from": "queue",
            f"item-{item.pk}-score": "8",
            f"item-{item.pk}-feedback": "好",
        },
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    item.refresh_from_db()
    assert item.score == Decimal("8.00") and item.graded_by == coordinator
    attempt = Attempt.objects.get(pk=item.attempt_id)
    assert attempt.status == Attempt.Status.FINISHED and attempt.score == Decimal("8")
    # Changing a mark needs a reason.
    response = client.post(url, {"score": "9", "feedback": "好"})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(url, {"score": "9", "feedback": "好", "reason": "复核"})
    assert response.status_code == 302
    page = client.get(url)
    assert [c.reason for c in page.context["history"]] == ["复核", "首次评分"]
    assert "复核" in page.content.decode()


def test_mark_above_the_maximum_is_a_form_error(client, people, coordinator):
    item = submitted_short_answer(people["A1"].user)
    client.force_login(coordinator)
    response = client.post(f"{QUEUE}{item.pk}/", {"score": "11"})
    assert response.status_code == 200
    assert "score" in response.context["form"].errors
    assert not GradeChange.objects.exists()


def test_cross_unit_grading_is_refused(client, people, coordinator_b):
    item = submitted_short_answer(people["A1"].user)
    client.force_login(coordinator_b)
    assert client.get(QUEUE).context["items"] == []
    for response in (
        client.get(f"{QUEUE}{item.pk}/"),
        client.post(f"{QUEUE}{item.pk}/", {"score": "5"}),
        client.get(f"{QUEUE}999999/"),
    ):
        assert response.status_code in {403, 404}
    assert not GradeChange.objects.exists()


def test_nobody_grades_their_own_paper(client, people, coordinator):
    from tests.factories import PersonFactory

    PersonFactory(unit=people["A1"].unit, user=coordinator, employee_no="COORD")
    item = submitted_short_answer(coordinator)
    client.force_login(coordinator)
    assert client.get(QUEUE).context["items"] == []
    assert client.get(f"{QUEUE}{item.pk}/").status_code in {403, 404}


def test_leader_and_learner_cannot_grade(client, people, leader, learner):
    item = submitted_short_answer(people["A2"].user)
    for user in (leader, learner):
        client.force_login(user)
        assert client.get(QUEUE).status_code in {302, 403}
        assert client.post(f"{QUEUE}{item.pk}/", {"score": "5"}).status_code in {
            302,
            403,
        }
    assert not GradeChange.objects.exists()


def test_menu_shows_the_waiting_count(client, people, coordinator):
    submitted_short_answer(people["A1"].user)
    client.force_login(coordinator)
    html = client.get("/admin/").content.decode()
    assert "/admin/assessments/grading/" in html
    assert "(1)" in html
