"""Staff screens of the exams module in a real browser: the question form (rich
text editor and the type-dependent answer fields), the grading queue and the item
analysis. With SCREENSHOTS=1 they are saved for the docs."""

from __future__ import annotations

import pytest
from django.test import Client

from assessments.services import attempt_answer_save, attempt_start, attempt_submit
from tests.factories import OrgUnitFactory, PersonFactory, Role, UserFactory, grant
from tests.factories import assessments as af
from training.org.services import role_groups_ensure

pytestmark = pytest.mark.e2e


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies(
        [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
    )


@pytest.fixture
def world(transactional_db, home_page):
    role_groups_ensure()
    prov = OrgUnitFactory(code="PROV", name="某省人民检察院", level="provincial")
    city = OrgUnitFactory(
        code="CITY", name="甲市人民检察院", level="municipal", parent=prov
    )
    units = [
        OrgUnitFactory(code=f"D{i}", name=f"甲市{n}区人民检察院", parent=city)
        for i, n in enumerate(["东城", "西城", "南湖", "北山"])
    ]
    editor = UserFactory(username="editor", full_name="王编辑")
    grant(editor, Role.EDITOR, prov)
    grant(editor, Role.COORDINATOR, prov)
    names = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"]
    learners = [
        PersonFactory(unit=units[i % 4], user__full_name=name).user
        for i, name in enumerate(names)
    ]
    return {"editor": editor, "learners": learners}


def _sit(user, quiz, answers):
    attempt = attempt_start(quiz=quiz, user=user)
    for position, response in enumerate(answers, start=1):
        attempt_answer_save(
            attempt_public_id=attempt.public_id,
            user=user,
            position=position,
            response=response,
            seq=1,
        )
    attempt_submit(attempt_public_id=attempt.public_id, user=user)


def test_question_form(page, live_server, world, screenshot):
    question = af.question(
        af.Type.MULTIPLE,
        stem="下列属于检察官职业道德基本要求的有哪些？",
        options=[
            {"key": "A", "text": "忠诚"},
            {"key": "B", "text": "公正"},
            {"key": "C", "text": "清廉"},
            {"key": "D", "text": "高效"},
        ],
        answer=["A", "B", "C"],
        partial_credit=True,
        actor=world["editor"],
    )
    _login(page, live_server, world["editor"])
    page.set_viewport_size({"width": 1366, "height": 1500})
    page.goto(f"/admin/assessments/questions/edit/{question.pk}/")
    page.wait_for_selector(".Draftail-Editor")
    assert page.locator("[name=tf_answer]").first.is_hidden()
    assert page.locator("textarea[name=options]").is_visible()
    screenshot(page, "question-bank.png")
    page.goto("/admin/assessments/questions/add/")
    page.select_option("select[name=qtype]", "true_false")
    assert page.locator("textarea[name=options]").is_hidden()
    assert page.locator("[name=tf_answer]").first.is_visible()


def test_grading_queue_and_item_analysis(page, live_server, world, screenshot):
    subject = af.subject()
    qs = [
        af.question(stem="检察官职业道德的基本要求是？"),
        af.question(
            af.Type.TRUE_FALSE, stem="检察官可以接受当事人的宴请。", answer="F"
        ),
        af.question(stem="法律监督的对象包括？"),
        af.question(stem="下列哪项属于检察建议？"),
    ]
    short = af.question(af.Type.SHORT, stem="简述检察官应当如何践行“文明”的要求。")
    quiz = af.quiz(qs, title="2026 年度职业道德考试", marks="5")
    essay = af.quiz([short], title="职业道德论述测验", marks="10")
    patterns = [
        ["A", "F", "A", "A"],
        ["A", "F", "A", "B"],
        ["A", "F", "B", "A"],
        ["A", "T", "A", "C"],
        ["B", "F", "C", "A"],
        ["A", "T", "B", "D"],
        ["C", "T", "D", "B"],
        ["D", "T", "A", "C"],
    ]
    answers = [
        "理念文明、执法文明、行为文明、作风文明。执法中尊重当事人，规范言行。",
        "要文明执法。",
    ]
    for i, (user, pattern) in enumerate(zip(world["learners"], patterns, strict=True)):
        _sit(user, quiz, pattern)
        _sit(user, essay, [answers[i % 2]])
    assert subject
    _login(page, live_server, world["editor"])
    page.set_viewport_size({"width": 1366, "height": 1100})
    page.goto("/admin/assessments/grading/")
    page.wait_for_selector(".qa-grade")
    page.goto(f"/admin/assessments/quizzes/{quiz.pk}/analysis/")
    page.wait_for_selector("#item-analysis")
    screenshot(page, "item-analysis.png")
