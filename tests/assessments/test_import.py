"""Question import from XLSX: all rows or none, specific row errors, sanitised rich
text, and a template that imports as it is."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from assessments.models import Question, QuestionImport
from assessments.services import question_import, question_template_workbook
from assessments.services.import_rows import sanitise_rich_text
from cms.models import AuditEvent
from tests.factories import XLSX_TYPE, Role, UserFactory, grant
from tests.factories import assessments as af

pytestmark = pytest.mark.django_db

HEADERS = ["题型", "题干", "选项", "答案", "解析", "科目", "标签", "难度"]


@pytest.fixture
def editor(tree):
    user = UserFactory(username="editor-i", full_name="导入编辑")
    grant(user, Role.EDITOR, tree.prov)
    return user


@pytest.fixture
def subject():
    return af.subject("检察官职业道德")


def upload(rows, headers=HEADERS, name="题库.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX_TYPE)


GOOD_ROWS = [
    [
        "单选题",
        "基本要求是？",
        "忠诚\n公正\n清廉",
        "B",
        "解析",
        "检察官职业道德",
        "a,b",
        1,
    ],
    [
        "多选题",
        "哪些正确？",
        "A. 甲\nB. 乙\nC. 丙",
        "A，C",
        "",
        "检察官职业道德",
        "",
        3,
    ],
    ["判断题", "检察官可以接受宴请。", "", "错误", "", "检察官职业道德", "", ""],
    [
        "填空题",
        "忠诚、____、清廉、文明",
        "",
        "公正|公正司法",
        "",
        "检察官职业道德",
        "",
        2,
    ],
    ["简答题", "简述文明要求。", "", "要点：文明执法", "", "检察官职业道德", "", 4],
]


def test_good_file_imports_every_row(editor, subject):
    record = question_import(actor=editor, file=upload(GOOD_ROWS))
    assert record.status == QuestionImport.Status.DONE, record.errors
    assert record.row_count == 5
    questions = {q.qtype: q.current for q in Question.objects.all()}
    assert questions["single"].answer == "B"
    assert [o["text"] for o in questions["multiple"].options] == ["甲", "乙", "丙"]
    assert questions["multiple"].answer == ["A", "C"]
    assert questions["true_false"].answer == "F"
    assert questions["fill"].answer == [["公正", "公正司法"]]
    assert questions["short"].rubric == "要点：文明执法"
    assert questions["single"].stem == "<p>基本要求是？</p>"
    assert Question.objects.get(qtype="multiple").difficulty == 3
    assert AuditEvent.objects.filter(detail__kind="question_import").count() == 1


def test_two_bad_rows_write_nothing_and_are_both_listed(editor, subject):
    rows = [
        *GOOD_ROWS,
        ["单选题", "第七行", "甲\n乙\n丙\n丁", "E", "", "检察官职业道德", "", 1],
        ["论述题", "第八行", "", "", "", "检察官职业道德", "", 1],
    ]
    record = question_import(actor=editor, file=upload(rows))
    assert record.status == QuestionImport.Status.REJECTED
    assert not Question.objects.exists()
    assert [e["row"] for e in record.errors] == [7, 8]
    assert "“E”" in record.errors[0]["message"] and "A–D" in record.errors[0]["message"]
    # Reasons reach the coordinator in Chinese, the site's language.
    assert record.errors[0]["message"].startswith("第 7 行")
    assert record.errors[0]["column"] == "答案"
    assert "论述题" in record.errors[1]["message"]


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (
            ["单选题", "x", "甲\n乙", "A", "", "未知科目", "", ""],
            "科目",
            "检察官职业道德",
        ),
        (["单选题", "x", "甲", "A", "", "检察官职业道德", "", ""], "选项", ""),
        (["判断题", "x", "", "也许", "", "检察官职业道德", "", ""], "答案", "也许"),
        (["单选题", "x", "甲\n乙", "A", "", "检察官职业道德", "", "9"], "难度", "9"),
        (["多选题", "x", "甲\n乙", "", "", "检察官职业道德", "", ""], "答案", ""),
        (["填空题", "x", "", "", "", "检察官职业道德", "", ""], "答案", ""),
        (["单选题", "", "甲\n乙", "A", "", "检察官职业道德", "", ""], "题干", ""),
    ],
)
def test_row_errors_name_the_column(editor, subject, row, column, fragment):
    record = question_import(actor=editor, file=upload([row]))
    assert record.status == QuestionImport.Status.REJECTED
    [error] = record.errors
    assert error["row"] == 2 and error["column"] == column
    assert fragment in error["message"]


def test_sanitising_strips_scripts_and_attributes(editor, subject):
    stem = (
        '<p onclick="x()">题干<script>alert(1)</script>'
        '<b style="c">粗</b></p><img src=x>'
    )
    record = question_import(
        actor=editor,
        file=upload([["单选题", stem, "甲\n乙", "A", "<i>解析</i>", "检察官职业道德"]]),
    )
    assert record.status == QuestionImport.Status.DONE, record.errors
    version = Question.objects.get().current
    assert version.stem == "<p>题干<b>粗</b></p>"
    assert version.explanation == "<p><i>解析</i></p>"


def test_sanitise_plain_text_lines_become_paragraphs():
    assert sanitise_rich_text("一行\n二行 <3") == "<p>一行</p><p>二行 &lt;3</p>"


@pytest.mark.parametrize(
    ("file", "fragment"),
    [
        (SimpleUploadedFile("x.xlsx", b"not a zip"), "可读取"),
        (SimpleUploadedFile("x.csv", b"a,b"), ".xlsx"),
    ],
)
def test_unreadable_files_are_rejected_and_stored(editor, file, fragment):
    record = question_import(actor=editor, file=file)
    assert record.status == QuestionImport.Status.REJECTED
    assert fragment in record.errors[0]["message"]


def test_missing_headers_and_too_many_rows(editor, subject, settings, monkeypatch):
    record = question_import(actor=editor, file=upload([["x"]], headers=["题干"]))
    assert "题型" in record.errors[0]["message"]
    monkeypatch.setattr("assessments.services.import_rows.MAX_ROWS", 3)
    record = question_import(actor=editor, file=upload(GOOD_ROWS))
    assert record.status == QuestionImport.Status.REJECTED
    assert "3" in record.errors[0]["message"]
    assert not Question.objects.exists()


def test_template_round_trips(editor, subject):
    data = question_template_workbook()
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["题目", "填写说明"]
    assert [c.value for c in wb["题目"][1]] == HEADERS
    assert len(wb["题目"].data_validations.dataValidation) == 2
    record = question_import(
        actor=editor,
        file=SimpleUploadedFile("template.xlsx", data, content_type=XLSX_TYPE),
    )
    assert record.status == QuestionImport.Status.DONE, record.errors
    assert sorted(Question.objects.values_list("qtype", flat=True)) == sorted(
        ["single", "multiple", "true_false", "fill", "short"]
    )


def test_import_views(client, editor, subject):
    client.force_login(editor)
    assert client.get("/admin/assessments/import/").status_code == 200
    template = client.get("/admin/assessments/import/template.xlsx")
    assert template.status_code == 200
    response = client.post(
        "/admin/assessments/import/", {"file": upload([*GOOD_ROWS[:1], ["论述题"]])}
    )
    record = QuestionImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/assessments/import/{record.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "论述题" in page.content.decode()
    bad = client.post(
        "/admin/assessments/import/", {"file": SimpleUploadedFile("x.xlsx", b"zz")}
    )
    assert bad.status_code == 302


def test_import_views_refuse_others(client, editor, coordinator, subject):
    record = question_import(actor=editor, file=upload(GOOD_ROWS))
    client.force_login(coordinator)
    assert client.get("/admin/assessments/import/").status_code in {302, 403}
    other_editor = UserFactory(username="editor-2")
    grant(other_editor, Role.EDITOR, subject and coordinator.role_grants.first().unit)
    client.force_login(other_editor)
    assert client.get(f"/admin/assessments/import/{record.pk}/").status_code == 404
