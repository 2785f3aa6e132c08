"""Question bank in the Wagtail admin: the forms save through the services, so an
edit after use makes a new version; preview, versions and regrade."""

from __future__ import annotations

import pytest
from wagtail.test.utils.form_data import rich_text

from assessments.models import Attempt, GradeChange, Question
from assessments.services import attempt_answer_save, attempt_start, attempt_submit
from cms.models import AuditEvent
from tests.factories import Role, UserFactory, grant
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

LIST = "/admin/assessments/questions/"


@pytest.fixture
def editor(tree):
    user = UserFactory(username="editor-a", full_name="题库编辑")
    grant(user, Role.EDITOR, tree.prov)
    return user


def form_data(**overrides):
    data = {
        "qtype": "single",
        "subject": af.subject().pk,
        "difficulty": "2",
        "tags": "职业道德",
        "status": "in_use",
        "stem": rich_text("<p>检察官职业道德的基本要求是？</p>"),
        "options": "忠诚、公正、清廉、文明\n勤勉、高效\n服从、配合",
        "answer": "A",
        "tf_answer": "",
        "explanation": rich_text("<p>见准则。</p>"),
        "rubric": "",
    }
    data.update(overrides)
    return data


def test_editor_creates_a_question_through_the_service(client, editor):
    client.force_login(editor)
    assert client.get(LIST + "add/").status_code == 200
    response = client.post(LIST + "add/", form_data())
    assert response.status_code == 302, response.context["form"].errors
    question = Question.objects.get()
    version = question.current
    assert question.author == editor and version.number == 1
    assert [o["key"] for o in version.options] == ["A", "B", "C"]
    assert version.options[1]["text"] == "勤勉、高效"
    assert version.answer == "A"
    assert "检察官职业道德" in question.title


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"answer": "E"}, "answer"),
        ({"options": "只有一个"}, "options"),
        ({"qtype": "multiple", "answer": ""}, "answer"),
        ({"qtype": "true_false", "tf_answer": ""}, "tf_answer"),
        ({"qtype": "fill", "options": "", "answer": ""}, "answer"),
        ({"stem": rich_text("")}, "stem"),
    ],
)
def test_bad_content_redisplays_the_form(client, editor, overrides, field):
    client.force_login(editor)
    response = client.post(LIST + "add/", form_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Question.objects.exists()


def test_each_type_saves_its_answer(client, editor):
    client.force_login(editor)
    cases = [
        ({"qtype": "multiple", "answer": "A, C"}, ["A", "C"]),
        ({"qtype": "true_false", "options": "", "tf_answer": "F"}, "F"),
        (
            {"qtype": "fill", "options": "", "answer": "公正|公正司法\n文明"},
            [["公正", "公正司法"], ["文明"]],
        ),
        ({"qtype": "short", "options": "", "answer": "", "rubric": "要点"}, None),
    ]
    for overrides, expected in cases:
        response = client.post(LIST + "add/", form_data(**overrides))
        assert response.status_code == 302, response.context["form"].errors
        assert Question.objects.order_by("-pk").first().current.answer == expected


def test_edit_after_an_attempt_makes_version_2(client, editor, learner):
    question = af.question(actor=editor)
    quiz = af.quiz([question])
    attempt = attempt_start(quiz=quiz, user=learner)
    client.force_login(editor)
    url = f"{LIST}edit/{question.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["answer"] == "A"
    response = client.post(url, form_data(answer="B"))
    assert response.status_code == 302, response.context["form"].errors
    question.refresh_from_db()
    assert question.current.number == 2
    assert question.current.answer == "B"
    item = attempt.items.get()
    assert item.version.number == 1 and item.version.answer == "A"


def test_edit_before_use_corrects_version_1(client, editor):
    question = af.question(actor=editor)
    client.force_login(editor)
    response = client.post(f"{LIST}edit/{question.pk}/", form_data(answer="C"))
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.versions.count() == 1 and question.current.answer == "C"


def test_question_type_cannot_change_on_edit(client, editor):
    question = af.question(actor=editor)
    client.force_login(editor)
    client.post(f"{LIST}edit/{question.pk}/", form_data(qtype="multiple", answer="B"))
    question.refresh_from_db()
    assert question.qtype == "single"


def test_list_filters_and_substring_search(client, editor):
    af.question(stem="公正廉洁执法的要求")
    af.question(af.Type.TRUE_FALSE, stem="检察官可以接受宴请")
    client.force_login(editor)
    response = client.get(LIST, {"q": "廉洁"})
    assert [q.title for q in response.context["object_list"]] == ["公正廉洁执法的要求"]
    response = client.get(LIST, {"qtype": "true_false"})
    assert [q.qtype for q in response.context["object_list"]] == ["true_false"]


def test_inspect_lists_versions_with_usage_and_preview_shows_key(
    client, editor, learner
):
    question = af.question(actor=editor)
    attempt_start(quiz=af.quiz([question]), user=learner)
    client.force_login(editor)
    response = client.get(f"{LIST}inspect/{question.pk}/")
    assert response.status_code == 200
    versions = response.context["versions"]
    assert [(v.number, v.used) for v in versions] == [(1, 1)]
    assert response.context["has_used_versions"]
    preview = client.get(f"{LIST}preview-with-key/{question.pk}/")
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "忠诚、公正、清廉、文明" in html and "qa-right" in html


@pytest.mark.parametrize(("number", "status"), [("²", 200), ("9" * 24, 404)])
def test_preview_of_a_malformed_version_number_is_no_error(
    client, editor, number, status
):
    # "²" passes str.isdigit but not int(): it is no number, so the current version.
    question = af.question(actor=editor)
    client.force_login(editor)
    url = f"{LIST}preview-with-key/{question.pk}/"
    assert client.get(url, {"version": number}).status_code == status


def test_regrade_needs_a_reason_and_rescores(client, editor, learner):
    question = af.question(actor=editor)
    quiz = af.quiz([question])
    attempt = attempt_start(quiz=quiz, user=learner)
    attempt_answer_save(
        attempt_public_id=attempt.public_id,
        user=learner,
        position=1,
        response="B",
        seq=1,
    )
    attempt_submit(attempt_public_id=attempt.public_id, user=learner)
    # The key was wrong: B is right. Correcting makes version 2 with the same letters.
    client.force_login(editor)
    four_options = "忠诚、公正、清廉、文明\n勤勉、高效\n服从、配合\n以上都不是"
    client.post(
        f"{LIST}edit/{question.pk}/", form_data(options=four_options, answer="B")
    )
    url = f"{LIST}regrade/{question.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "答案更正"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 1 and attempt.status == Attempt.Status.FINISHED
    assert GradeChange.objects.get().reason == "答案更正"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CORRECTION).exists()


def test_learner_and_coordinator_cannot_edit_the_bank(client, learner, coordinator):
    question = af.question()
    for user in (learner, coordinator):
        client.force_login(user)
        assert client.get(f"{LIST}edit/{question.pk}/").status_code in {302, 403}
        assert client.post(
            f"{LIST}regrade/{question.pk}/", {"reason": "x"}
        ).status_code in {
            302,
            403,
        }
    assert not GradeChange.objects.exists()


def test_subjects_admin(client, editor):
    client.force_login(editor)
    response = client.post(
        "/admin/assessments/subjects/add/", {"name": "法律监督", "sort_order": 1}
    )
    assert response.status_code == 302
    assert client.get("/admin/assessments/subjects/").status_code == 200


def test_exams_menu_is_in_the_admin(client, editor):
    client.force_login(editor)
    html = client.get("/admin/").content.decode()
    assert "/admin/assessments/questions/" in html
    assert "/admin/assessments/import/" in html


def test_question_chooser_is_for_bank_and_quiz_editors_only(
    client, editor, coordinator, leader
):
    # Wagtail's choosers check no permission of their own: question texts are exam
    # content, not for every admin user (coordinators and leaders sit exams too).
    af.question(stem="尚未考试的题目")
    url = "/admin/snippets/choose/assessments/question/"
    for user in (coordinator, leader):
        client.force_login(user)
        for path in (url, url + "results/?q=尚未", url + "chosen/1/"):
            response = client.get(path)
            assert response.status_code == 302
            assert "尚未考试的题目" not in response.content.decode()
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    assert "尚未考试的题目" in response.json()["html"]
