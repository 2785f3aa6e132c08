"""A learner takes a timed exam in the browser: answers are saved as they go and
survive a reload, the submit confirmation lists what is unanswered, and the
result page shows what the review policy allows. Elements are found by id and
attribute, not by text, so the test keeps passing when the interface is
translated."""

from __future__ import annotations

import re

import pytest

from assessments.models import AttemptItem, Question, Quiz
from tests.factories import assessments as af

pytestmark = pytest.mark.e2e

PASSWORD = "learner-pass-2026"
Type = Question.Type


@pytest.fixture
def exam(transactional_db, home_page):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(
        username="310100201",
        email="310100201@example.cn",
        password=PASSWORD,
        full_name="张明",
    )
    questions = [
        af.question(stem="检察官职业道德的基本要求是？"),
        af.question(
            Type.MULTIPLE,
            stem="下列哪些属于检察官应当遵守的职业纪律？",
            options=[
                {"key": "A", "text": "严守工作秘密"},
                {"key": "B", "text": "依法履行回避义务"},
                {"key": "C", "text": "私下会见案件当事人"},
                {"key": "D", "text": "接受案件当事人宴请"},
            ],
            answer=["A", "B"],
        ),
        af.question(
            Type.TRUE_FALSE,
            stem="检察官在非工作时间也应当遵守职业道德规范。",
        ),
        af.question(
            Type.FILL,
            stem="检察官职业道德的核心是“忠诚、____、清廉、文明”。",
            answer=[["公正"]],
        ),
        af.question(
            stem="人民检察院是国家的什么机关？",
            options=[
                {"key": "A", "text": "审判机关"},
                {"key": "B", "text": "法律监督机关"},
                {"key": "C", "text": "行政机关"},
                {"key": "D", "text": "立法机关"},
            ],
            answer="B",
        ),
    ]
    return af.quiz(
        questions,
        marks="20",
        title="2026 年度检察官职业道德考试",
        kind=Quiz.Kind.EXAM,
        description="<p>本次考试共 5 题，满分 100 分，60 分及格。请独立作答。</p>",
        time_limit_minutes=30,
        review_score=Quiz.Review.AFTER_SUBMIT,
        review_correctness=Quiz.Review.AFTER_SUBMIT,
        review_answers=Quiz.Review.AFTER_SUBMIT,
        review_explanations=Quiz.Review.AFTER_SUBMIT,
    )


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "310100201")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def start_exam(page, exam) -> None:
    page.goto("/exams/")
    page.click(f"#exam-list a[href='/quizzes/{exam.public_id}/']")
    page.wait_for_url(re.compile(r"/quizzes/"))
    page.click("#start-attempt")
    page.wait_for_url(re.compile(r"/attempts/[0-9a-f-]+/$"))


def saved(page, position: int) -> None:
    page.locator(f"#save-{position} .saved").wait_for()


def test_learner_takes_a_timed_exam(page, exam, screenshot):
    sign_in(page)
    start_exam(page, exam)

    clock = page.inner_text("#countdown-value")
    assert re.fullmatch(r"00:(29|30):\d\d", clock), clock

    page.check("#q-1 input[value=A]")
    page.check("#q-2 input[value=A]")
    page.check("#q-2 input[value=C]")  # wrong: the key is A and B
    page.check("#q-3 input[value=T]")
    for position in (1, 2, 3):
        saved(page, position)
    assert page.inner_text("#answered-count") == "3"

    # A reload keeps every saved answer.
    page.reload()
    assert page.is_checked("#q-1 input[value=A]")
    assert page.is_checked("#q-2 input[value=A]")
    assert page.is_checked("#q-2 input[value=C]")
    assert not page.is_checked("#q-2 input[value=B]")
    assert page.is_checked("#q-3 input[value=T]")
    assert "is-answered" in page.get_attribute("[data-nav-position='2']", "class")
    assert int(page.get_attribute("#q-2", "data-seq")) >= 1

    page.fill("#q-4-1", "公 正")
    saved(page, 4)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "exam-attempt.png")

    # The confirmation names the question still unanswered.
    page.click("#submit-attempt")
    page.locator("#submit-dialog").wait_for()
    assert page.locator("#submit-dialog-list a").all_inner_texts() == [
        page.get_attribute("#attempt-form", "data-msg-question").replace("{n}", "5")
    ]
    page.click("#submit-cancel")
    page.check("#q-5 input[value=B]")
    page.click("#submit-attempt")
    assert page.is_hidden("#submit-dialog-missing")
    page.click("#submit-confirm")
    page.wait_for_url(re.compile(r"/attempts/[0-9a-f-]+/review/$"))

    assert page.inner_text("#result-score").replace(" ", "") == "80/100"
    assert page.locator("#result-verdict.result-pass").count() == 1
    assert page.locator(".question-review.result-right").count() == 4
    wrong = page.locator(".question-review.result-wrong")
    assert wrong.get_attribute("id") == "q-2"
    assert wrong.locator(".is-key .option-label").all_inner_texts() == ["A.", "B."]
    screenshot(page, "exam-review.png")


def test_unsaved_answer_survives_a_reload_and_is_sent_again(page, exam):
    """The network drops the save; the answer waits in localStorage and goes to
    the server after the reload."""
    sign_in(page)
    start_exam(page, exam)
    page.on("dialog", lambda dialog: dialog.accept())

    page.route("**/answer", lambda route: route.abort())
    page.check("#q-5 input[value=B]")
    page.locator("#save-5 .failed").wait_for()
    assert not AttemptItem.objects.filter(position=5, seq__gt=0).exists()

    page.unroute("**/answer")
    page.reload()
    assert page.is_checked("#q-5 input[value=B]")
    saved(page, 5)
    item = AttemptItem.objects.get(position=5)
    assert item.response == "B" and item.seq == 1


def test_exam_works_without_javascript(browser, live_server, exam):
    """With scripts off the page is a plain form: "save" keeps the answers, and
    submitting sends them with the submission."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page)
        start_exam(page, exam)
        page.check("#q-1 input[value=A]")
        page.fill("#q-4-1", "公正")
        page.click("button[name=action][value=save]")
        page.wait_for_url(re.compile(r"/attempts/[0-9a-f-]+/$"))
        assert page.is_checked("#q-1 input[value=A]")
        assert page.input_value("#q-4-1") == "公正"

        page.check("#q-5 input[value=B]")
        page.click("#submit-attempt")
        page.wait_for_url(re.compile(r"/attempts/[0-9a-f-]+/review/$"))
        assert page.inner_text("#result-score").replace(" ", "") == "60/100"
    finally:
        context.close()
