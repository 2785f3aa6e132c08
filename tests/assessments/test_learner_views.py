"""The learner's exam screens and autosave endpoints: who may see what, that no
answer key leaves the server before the review policy allows it, and that the
autosave endpoint stays lean and answers every bad input with a 4xx."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Attempt, AttemptItem, LearnerNotice, Question, Quiz
from assessments.services import (
    QuestionContent,
    attempt_answer_save,
    attempt_start,
    attempt_submit,
    question_create,
)
from tests.factories import UserFactory
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

Type = Question.Type
Review = Quiz.Review

MARKERS = ("MARKER-EXP", "MARKER-KEY", "MARKER-RUB")


# --- builders ---------------------------------------------------------------------


def _question(qtype, *, stem, options=(), answer=None, rubric="", partial=False):
    return question_create(
        actor=None,
        qtype=qtype,
        subject=af.subject(),
        content=QuestionContent(
            stem=f"<p>{stem}</p>",
            options=list(options),
            answer=answer,
            explanation=f"<p>解析MARKER-EXP-{qtype}</p>",
            rubric=rubric,
            partial_credit=partial,
        ),
    )


def marked_quiz(**fields) -> Quiz:
    """One question of every type, with unique markers in every secret field."""
    choices = [
        {"key": "A", "text": "忠诚"},
        {"key": "B", "text": "公正"},
        {"key": "C", "text": "清廉"},
        {"key": "D", "text": "文明"},
    ]
    questions = [
        _question(Type.SINGLE, stem="单选题干", options=choices, answer="A"),
        _question(
            Type.MULTIPLE,
            stem="多选题干",
            options=choices,
            answer=["A", "C"],
            partial=True,
        ),
        _question(Type.TRUE_FALSE, stem="判断题干", answer="T"),
        _question(
            Type.FILL,
            stem="填空题干 ____ 和 ____",
            answer=[["填空MARKER-KEY-1"], ["填空MARKER-KEY-2", "备选"]],
        ),
        _question(Type.SHORT, stem="简答题干", rubric="评分MARKER-RUB"),
    ]
    defaults = {
        "title": "职业道德考试",
        "kind": Quiz.Kind.EXAM,
        "max_attempts": 2,
        "review_score": Review.AFTER_CLOSE,
        "review_correctness": Review.AFTER_CLOSE,
        "review_answers": Review.AFTER_CLOSE,
        "review_explanations": Review.AFTER_CLOSE,
    }
    defaults.update(fields)
    return af.quiz(questions, marks="2", **defaults)


def simple_quiz(**fields) -> Quiz:
    defaults = {"kind": Quiz.Kind.EXAM, "title": "简单考试"}
    defaults.update(fields)
    return af.quiz(
        [af.question(), af.question(Type.MULTIPLE), af.question(Type.FILL)],
        **defaults,
    )


def post_answer(client, attempt, payload, **extra):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(
        reverse("assessments:answer", args=[attempt.public_id]),
        data=body,
        content_type="application/json",
        **extra,
    )


def assert_no_markers(body: str) -> None:
    for marker in MARKERS:
        assert marker not in body
    assert "partial_credit" not in body
    assert "rubric" not in body


# --- access -----------------------------------------------------------------------


def test_every_view_requires_login(client, learner):
    quiz = simple_quiz()
    attempt = attempt_start(quiz=quiz, user=learner)
    login = "/accounts/login/"
    for url in (
        reverse("assessments:exam_list"),
        reverse("assessments:my_results"),
        reverse("assessments:quiz", args=[quiz.public_id]),
        reverse("assessments:attempt", args=[attempt.public_id]),
        reverse("assessments:review", args=[attempt.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    for url in (
        reverse("assessments:start", args=[quiz.public_id]),
        reverse("assessments:submit", args=[attempt.public_id]),
    ):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    response = post_answer(client, attempt, {"position": 1, "response": "A", "seq": 1})
    assert response.status_code == 401
    assert response.json()["error"] == "login_required"
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.IN_PROGRESS


@pytest.mark.parametrize("who", ["other_learner", "coordinator", "coordinator_b"])
def test_another_users_attempt_is_404(client, learner, people, request, who):
    """Nobody reaches a learner's attempt through the learner screens: not another
    learner, not the coordinator of the learner's unit, not one of another unit."""
    stranger = (
        people["A2"].user if who == "other_learner" else request.getfixturevalue(who)
    )
    quiz = simple_quiz()
    attempt = attempt_start(quiz=quiz, user=learner)
    client.force_login(stranger)
    for name in ("attempt", "review"):
        url = reverse(f"assessments:{name}", args=[attempt.public_id])
        assert client.get(url).status_code == 404
    submit = reverse("assessments:submit", args=[attempt.public_id])
    assert client.post(submit).status_code == 404
    response = post_answer(client, attempt, {"position": 1, "response": "A", "seq": 1})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert AttemptItem.objects.get(attempt=attempt, position=1).response is None


def test_unpublished_quiz_is_404(client, learner):
    quiz = simple_quiz(is_published=False)
    client.force_login(learner)
    assert (
        client.get(reverse("assessments:quiz", args=[quiz.public_id])).status_code
        == 404
    )
    start = reverse("assessments:start", args=[quiz.public_id])
    assert client.post(start).status_code == 404
    assert not Attempt.objects.exists()


# --- no key leaks -----------------------------------------------------------------


def test_no_key_explanation_or_rubric_before_the_policy_allows(client, learner):
    quiz = marked_quiz()
    client.force_login(learner)

    body = client.get(reverse("assessments:quiz", args=[quiz.public_id])).content
    assert_no_markers(body.decode())

    response = client.post(reverse("assessments:start", args=[quiz.public_id]))
    assert response.status_code == 303
    attempt = Attempt.objects.get(user=learner, quiz=quiz)
    assert response["Location"] == reverse(
        "assessments:attempt", args=[attempt.public_id]
    )

    page = client.get(response["Location"]).content.decode()
    assert_no_markers(page)
    # The page does show what the learner needs: stems, options, two blanks.
    for text in ("单选题干", "多选题干", "判断题干", "填空题干", "简答题干", "清廉"):
        assert text in page
    assert "正确" in page and "错误" in page
    assert 'name="q-4-1"' in page and 'name="q-4-2"' in page
    assert 'name="q-4-3"' not in page

    answers = {
        1: "B",
        2: ["A", "B"],
        3: "F",
        4: ["填空MARKER-KEY-1", "x"],  # typed by the learner: echoes nothing back
        5: "我的回答",
    }
    for position, value in answers.items():
        r = post_answer(
            client, attempt, {"position": position, "response": value, "seq": 1}
        )
        assert r.status_code == 200, r.content
        assert set(r.json()) == {"ok", "seq", "saved_at"}
        assert_no_markers(r.content.decode())

    submit = client.post(reverse("assessments:submit", args=[attempt.public_id]))
    assert submit.status_code == 303
    review_url = reverse("assessments:review", args=[attempt.public_id])
    assert submit["Location"] == review_url
    review = client.get(review_url).content.decode()
    assert "MARKER-EXP" not in review and "评分MARKER-RUB" not in review
    assert "填空MARKER-KEY-2" not in review
    assert 'id="result-score"' not in review and 'id="result-verdict"' not in review
    assert "is-key" not in review and "result-wrong" not in review
    # The learner's own answers are always shown.
    assert "我的回答" in review and "填空MARKER-KEY-1" in review

    # Once the policy allows, the same page shows keys, notes and explanations.
    Quiz.objects.filter(pk=quiz.pk).update(
        review_score=Review.AFTER_SUBMIT,
        review_correctness=Review.AFTER_SUBMIT,
        review_answers=Review.AFTER_SUBMIT,
        review_explanations=Review.AFTER_SUBMIT,
    )
    review = client.get(review_url).content.decode()
    for marker in ("解析MARKER-EXP-single", "解析MARKER-EXP-short", "评分MARKER-RUB"):
        assert marker in review
    assert "填空MARKER-KEY-2" in review
    assert "is-key" in review
    assert "result-wrong" in review  # the single choice was answered B
    # The short answer waits for a grader, so there is no total yet.
    assert 'id="awaiting-grading"' in review and 'id="result-score"' not in review


def test_review_shows_only_what_each_setting_allows(client, learner):
    quiz = marked_quiz(
        review_score=Review.AFTER_SUBMIT,
        review_correctness=Review.NEVER,
        review_answers=Review.NEVER,
        review_explanations=Review.AFTER_SUBMIT,
    )
    attempt = attempt_start(quiz=quiz, user=learner)
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    client.force_login(learner)
    review = client.get(reverse("assessments:review", args=[attempt.public_id]))
    body = review.content.decode()
    assert "awaiting-grading" in body  # the short answer waits for a grader
    assert "解析MARKER-EXP-fill" in body
    assert "MARKER-KEY" not in body and "MARKER-RUB" not in body
    assert "result-wrong" not in body and "is-key" not in body


# --- the taking page --------------------------------------------------------------


def test_attempt_page_renders_the_stored_order_and_saved_answers(client, learner):
    quiz = simple_quiz(time_limit_minutes=30)
    attempt = attempt_start(quiz=quiz, user=learner)
    AttemptItem.objects.filter(attempt=attempt, position=1).update(
        option_order=["C", "A", "D", "B"]
    )
    attempt_answer_save(
        attempt_public_id=attempt.public_id,
        user=learner,
        position=1,
        response="D",
        seq=7,
    )
    client.force_login(learner)
    response = client.get(reverse("assessments:attempt", args=[attempt.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    texts = ["服从、配合", "忠诚、公正、清廉、文明", "以上都不是", "勤勉、高效"]
    first_q = body[body.index('id="q-1"') : body.index('id="q-2"')]
    assert [first_q.index(t) for t in texts] == sorted(first_q.index(t) for t in texts)
    assert 'value="D" checked' in first_q
    assert 'data-seq="7"' in first_q
    remaining = int(body.split('data-remaining="')[1].split('"')[0])
    assert 29 * 60 < remaining <= 30 * 60
    assert response["Cache-Control"].startswith("max-age=0")


def test_finished_attempt_page_goes_to_review(client, learner):
    quiz = simple_quiz()
    attempt = attempt_start(quiz=quiz, user=learner)
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    client.force_login(learner)
    response = client.get(reverse("assessments:attempt", args=[attempt.public_id]))
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "assessments:review", args=[attempt.public_id]
    )


def test_overdue_attempt_is_closed_when_opened(client, learner):
    quiz = simple_quiz(time_limit_minutes=10)
    attempt = attempt_start(quiz=quiz, user=learner)
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() - timedelta(minutes=5)
    )
    client.force_login(learner)
    response = client.get(reverse("assessments:attempt", args=[attempt.public_id]))
    assert response.status_code == 303
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.closed_by == Attempt.ClosedBy.TIMEOUT


def test_review_of_an_open_attempt_goes_back_to_it(client, learner):
    attempt = attempt_start(quiz=simple_quiz(), user=learner)
    client.force_login(learner)
    response = client.get(reverse("assessments:review", args=[attempt.public_id]))
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "assessments:attempt", args=[attempt.public_id]
    )


# --- the answer endpoint ----------------------------------------------------------


@pytest.fixture
def open_attempt(learner):
    return attempt_start(quiz=simple_quiz(time_limit_minutes=20), user=learner)


def test_answer_saves_and_reports_seq(client, learner, open_attempt):
    client.force_login(learner)
    response = post_answer(
        client, open_attempt, {"position": 2, "response": ["B", "A"], "seq": 3}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True and data["seq"] == 3
    assert data["saved_at"].startswith(str(timezone.localdate()))
    item = AttemptItem.objects.get(attempt=open_attempt, position=2)
    assert item.response == ["A", "B"] and item.seq == 3


def test_answer_is_lean(client, learner, open_attempt, django_assert_max_num_queries):
    client.force_login(learner)
    payload = {"position": 1, "response": "A", "seq": 1}
    with django_assert_max_num_queries(4):
        response = post_answer(client, open_attempt, payload)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("{not json", "malformed"),
        (b"\xff\xfe", "malformed"),
        ("[1, 2]", "malformed"),
        ({"position": "1", "response": "A", "seq": 1}, "malformed"),
        ({"position": 1, "response": "A"}, "malformed"),
        ({"position": 1, "response": "A", "seq": 0}, "malformed"),
        ({"position": 1, "response": "A", "seq": True}, "malformed"),
        ({"position": 1, "response": "A", "seq": 2**31}, "malformed"),
        ({"position": 1, "response": "Z", "seq": 1}, "invalid"),
        ({"position": 1, "response": ["A"], "seq": 1}, "invalid"),
        ({"position": 2, "response": ["A", "Q"], "seq": 1}, "invalid"),
        ({"position": 3, "response": ["a", "b"], "seq": 1}, "invalid"),
    ],
)
def test_answer_refuses_bad_input_with_400(
    client, learner, open_attempt, payload, code
):
    client.force_login(learner)
    response = post_answer(client, open_attempt, payload)
    assert response.status_code == 400
    data = response.json()
    assert data["error"] == code and data["message"]
    assert not AttemptItem.objects.filter(attempt=open_attempt, seq__gt=0).exists()


def test_answer_unknown_position_or_attempt_is_404(client, learner, open_attempt):
    client.force_login(learner)
    response = post_answer(
        client, open_attempt, {"position": 99, "response": "A", "seq": 1}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    missing = Attempt(public_id="00000000-0000-0000-0000-000000000001")
    response = post_answer(client, missing, {"position": 1, "response": "A", "seq": 1})
    assert response.status_code == 404


def test_answer_older_seq_is_409_stale(client, learner, open_attempt):
    client.force_login(learner)
    assert (
        post_answer(
            client, open_attempt, {"position": 1, "response": "B", "seq": 5}
        ).status_code
        == 200
    )
    response = post_answer(
        client, open_attempt, {"position": 1, "response": "A", "seq": 4}
    )
    assert response.status_code == 409
    assert response.json()["error"] == "stale"
    assert response.json()["saved_seq"] == 5
    assert AttemptItem.objects.get(attempt=open_attempt, position=1).response == "B"


def test_answer_after_submit_is_409_closed(client, learner, open_attempt):
    client.force_login(learner)
    attempt_submit(attempt_public_id=open_attempt.public_id, user=learner)
    response = post_answer(
        client, open_attempt, {"position": 1, "response": "A", "seq": 1}
    )
    assert response.status_code == 409
    data = response.json()
    assert data["error"] == "closed"
    assert data["review_url"] == reverse(
        "assessments:review", args=[open_attempt.public_id]
    )


def test_answer_after_deadline_and_grace_is_refused(client, learner, open_attempt):
    Attempt.objects.filter(pk=open_attempt.pk).update(
        deadline=timezone.now() - timedelta(minutes=2)
    )
    client.force_login(learner)
    response = post_answer(
        client, open_attempt, {"position": 1, "response": "A", "seq": 1}
    )
    assert response.status_code == 409
    assert response.json()["error"] == "closed"
    open_attempt.refresh_from_db()
    assert open_attempt.status == Attempt.Status.FINISHED
    assert open_attempt.closed_by == Attempt.ClosedBy.TIMEOUT
    assert AttemptItem.objects.get(attempt=open_attempt, position=1).response is None


def test_answer_within_grace_is_accepted(client, learner, open_attempt):
    Attempt.objects.filter(pk=open_attempt.pk).update(
        deadline=timezone.now() - timedelta(seconds=5)
    )
    client.force_login(learner)
    response = post_answer(
        client, open_attempt, {"position": 1, "response": "A", "seq": 1}
    )
    assert response.status_code == 200


def test_answer_needs_csrf_token(learner, open_attempt):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    payload = {"position": 1, "response": "A", "seq": 1}
    assert post_answer(client, open_attempt, payload).status_code == 403
    client.get(reverse("assessments:attempt", args=[open_attempt.public_id]))
    token = client.cookies["csrftoken"].value
    response = post_answer(client, open_attempt, payload, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_answer_get_is_405(client, learner, open_attempt):
    client.force_login(learner)
    url = reverse("assessments:answer", args=[open_attempt.public_id])
    assert client.get(url).status_code == 405


# --- submit -----------------------------------------------------------------------


def test_submit_twice_grades_once(client, learner, signal_log):
    quiz = simple_quiz(review_score=Review.AFTER_SUBMIT)
    attempt = attempt_start(quiz=quiz, user=learner)
    client.force_login(learner)
    post_answer(client, attempt, {"position": 1, "response": "A", "seq": 1})
    url = reverse("assessments:submit", args=[attempt.public_id])
    first = client.post(url)
    attempt.refresh_from_db()
    graded_at = attempt.graded_at
    second = client.post(url, HTTP_ACCEPT="application/json")
    assert first.status_code == 303
    review_url = reverse("assessments:review", args=[attempt.public_id])
    assert second.status_code == 200
    assert second.json() == {"ok": True, "review_url": review_url}
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.graded_at == graded_at
    assert attempt.score == Decimal("1.00")
    assert signal_log.count("attempt_finished") == 1
    review = client.get(review_url).content.decode()
    assert 'id="result-score"' in review
    assert "1 / 3" in review


def test_plain_form_submit_saves_answers_first(client, learner):
    """Without JavaScript the page is a form: its answers are saved on submit,
    except where a newer answer is already saved."""
    quiz = simple_quiz(review_score=Review.AFTER_SUBMIT)
    attempt = attempt_start(quiz=quiz, user=learner)
    attempt_answer_save(
        attempt_public_id=attempt.public_id,
        user=learner,
        position=2,
        response=["A", "B"],
        seq=4,
    )
    client.force_login(learner)
    response = client.post(
        reverse("assessments:submit", args=[attempt.public_id]),
        {
            "seq-1": "0",
            "q-1": "A",
            "seq-2": "3",  # loaded before the save above: older, ignored
            "q-2": ["C"],
            "seq-3": "0",
            "q-3-1": "忠诚",
        },
    )
    assert response.status_code == 303
    attempt.refresh_from_db()
    responses = dict(attempt.items.values_list("position", "response"))
    assert responses == {1: "A", 2: ["A", "B"], 3: ["忠诚"]}
    assert attempt.status == Attempt.Status.FINISHED
    assert attempt.score == Decimal("3.00")


def test_plain_form_save_keeps_the_attempt_open(client, learner):
    quiz = simple_quiz()
    attempt = attempt_start(quiz=quiz, user=learner)
    client.force_login(learner)
    response = client.post(
        reverse("assessments:submit", args=[attempt.public_id]),
        {"action": "save", "seq-1": "0", "q-1": "B", "seq-3": "0", "q-3-1": ""},
    )
    assert response.status_code == 303
    assert response["Location"] == reverse(
        "assessments:attempt", args=[attempt.public_id]
    )
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    item = attempt.items.get(position=1)
    assert item.response == "B" and item.seq == 1
    assert attempt.items.get(position=3).seq == 0  # nothing typed, nothing saved


# --- start, quiz page, lists ------------------------------------------------------


def test_start_redirects_and_is_idempotent(client, learner):
    quiz = simple_quiz()
    client.force_login(learner)
    url = reverse("assessments:start", args=[quiz.public_id])
    first, second = client.post(url), client.post(url)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Attempt.objects.filter(user=learner).count() == 1


def test_start_when_unavailable_returns_to_the_quiz_with_a_message(client, learner):
    quiz = simple_quiz(close_at=timezone.now() - timedelta(days=1))
    client.force_login(learner)
    response = client.post(
        reverse("assessments:start", args=[quiz.public_id]), follow=True
    )
    assert response.redirect_chain[0] == (
        reverse("assessments:quiz", args=[quiz.public_id]),
        303,
    )
    assert "quiz-unavailable" in response.content.decode()
    assert [str(m) for m in response.context["messages"]]
    assert not Attempt.objects.exists()


def test_quiz_page_shows_facts_and_attempts(client, learner):
    quiz = simple_quiz(
        time_limit_minutes=45, max_attempts=3, review_score=Review.AFTER_SUBMIT
    )
    done = attempt_start(quiz=quiz, user=learner)
    attempt_submit(attempt_public_id=done.public_id, user=learner)
    client.force_login(learner)
    body = client.get(
        reverse("assessments:quiz", args=[quiz.public_id])
    ).content.decode()
    assert "45" in body and "60%" in body
    assert "start-attempt" in body
    assert "0 / 3" in body  # nothing answered, score shown by policy
    assert reverse("assessments:review", args=[done.public_id]) in body


def test_exam_list_shows_open_exams_only(
    client, learner, people, django_assert_max_num_queries
):
    open_exam = simple_quiz(title="开放考试")
    simple_quiz(title="未发布考试", is_published=False)
    simple_quiz(title="课程测验", kind=Quiz.Kind.QUIZ)
    simple_quiz(title="邀请考试", audience=Quiz.Audience.INVITED)
    simple_quiz(title="已结束考试", close_at=timezone.now() - timedelta(hours=1))
    for i in range(3):
        other = simple_quiz(title=f"其他考试{i}")
        attempt_start(quiz=other, user=learner)
    attempt = attempt_start(quiz=open_exam, user=learner)
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    client.force_login(learner)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("assessments:exam_list")).content.decode()
    assert "开放考试" in body and "其他考试2" in body
    for hidden in ("未发布考试", "课程测验", "邀请考试", "已结束考试"):
        assert hidden not in body


def test_my_results_lists_attempts_and_shows_notices_once(
    client, learner, people, django_assert_max_num_queries
):
    quizzes = [
        simple_quiz(title=f"考试{i}", review_score=Review.AFTER_SUBMIT)
        for i in range(4)
    ]
    attempts = []
    for quiz in quizzes:
        a = attempt_start(quiz=quiz, user=learner)
        attempts.append(attempt_submit(attempt_public_id=a.public_id, user=learner))
    hidden = simple_quiz(title="不公布成绩", review_score=Review.NEVER)
    secret = attempt_start(quiz=hidden, user=learner)
    attempt_submit(attempt_public_id=secret.public_id, user=learner)
    LearnerNotice.objects.create(
        user=learner, attempt=attempts[0], message="更正通知甲"
    )
    LearnerNotice.objects.create(user=learner, attempt=secret, message="更正通知乙")
    # Someone else's attempt never shows.
    stranger_attempt = attempt_start(quiz=quizzes[1], user=people["B1"].user)

    client.force_login(learner)
    # Constant in the number of attempts: session, user, two permission lookups of
    # the site menu, count, page, attempt counts, notices, and marking them read
    # (in a savepoint).
    with django_assert_max_num_queries(11):
        response = client.get(reverse("assessments:my_results"))
    body = response.content.decode()
    assert "更正通知甲" in body
    assert "更正通知乙" not in body  # quotes a score the policy hides
    assert str(stranger_attempt.public_id) not in body
    assert body.index("不公布成绩") < body.index("考试3") < body.index("考试0")
    assert LearnerNotice.objects.get(message="更正通知甲").read_at is not None
    assert LearnerNotice.objects.get(message="更正通知乙").read_at is None
    assert (
        "更正通知甲"
        not in client.get(reverse("assessments:my_results")).content.decode()
    )


def test_review_marks_notices_read(client, learner):
    quiz = simple_quiz(review_score=Review.AFTER_SUBMIT)
    attempt = attempt_start(quiz=quiz, user=learner)
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    notice = LearnerNotice.objects.create(
        user=learner, attempt=attempt, message="分数更正"
    )
    client.force_login(learner)
    body = client.get(reverse("assessments:review", args=[attempt.public_id])).content
    assert "分数更正" in body.decode()
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_nav_has_exams_link(client, learner):
    client.force_login(learner)
    body = client.get(reverse("assessments:my_results")).content.decode()
    assert f'href="{reverse("assessments:exam_list")}"' in body


def test_other_users_cannot_mark_notices_read(learner):
    from assessments.services import notices_mark_read

    quiz = simple_quiz()
    attempt = attempt_start(quiz=quiz, user=learner)
    notice = LearnerNotice.objects.create(user=learner, attempt=attempt, message="x")
    assert notices_mark_read(user=UserFactory(), notice_ids=[notice.pk]) == 0
    notice.refresh_from_db()
    assert notice.read_at is None
