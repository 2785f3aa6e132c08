"""The question import template: a workbook with one example row per question
type, dropdowns for the type and difficulty, and a sheet explaining the columns."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from assessments.models import Subject
from assessments.services.import_rows import COLUMNS, MAX_ROWS, TYPE_LABELS

EXAMPLES = [
    {
        "qtype": "单选题",
        "stem": "检察官职业道德的基本要求是什么？",
        "options": "忠诚、公正、清廉、文明\n勤勉、高效、廉洁、守法\n"
        "服从、配合、保密、守时\n以上都不是",
        "answer": "A",
        "explanation": "《检察官职业道德基本准则》规定：忠诚、公正、清廉、文明。",
        "tags": "职业道德,基本准则",
        "difficulty": 1,
    },
    {
        "qtype": "多选题",
        "stem": "下列属于检察机关法律监督职能的有哪些？",
        "options": "刑事立案监督\n侦查活动监督\n审判活动监督\n行政审批",
        "answer": "A,B,C",
        "explanation": "行政审批不属于检察机关的法律监督职能。",
        "tags": "法律监督",
        "difficulty": 2,
    },
    {
        "qtype": "判断题",
        "stem": "检察官在履行职责时，可以接受当事人的宴请。",
        "options": "",
        "answer": "错误",
        "explanation": "检察官应当清廉，不得接受当事人及其代理人的宴请。",
        "tags": "清廉",
        "difficulty": 1,
    },
    {
        "qtype": "填空题",
        "stem": "检察官职业道德的基本要求是忠诚、____、清廉、文明。",
        "options": "",
        "answer": "公正|公正司法",
        "explanation": "",
        "tags": "职业道德",
        "difficulty": 2,
    },
    {
        "qtype": "简答题",
        "stem": "简述检察官应当如何践行“文明”的职业道德要求。",
        "options": "",
        "answer": "要点：理念文明、执法文明、行为文明、作风文明。",
        "explanation": "",
        "tags": "文明",
        "difficulty": 3,
    },
]


def question_template_workbook() -> bytes:
    """The import template: one example row per question type, dropdowns for the
    type and difficulty, and a second sheet explaining the columns."""
    subject_names = list(Subject.objects.values_list("name", flat=True))
    example_subject = subject_names[0] if subject_names else "检察官职业道德"
    wb = Workbook()
    ws = wb.active
    ws.title = "题目"
    ws.append([c.header for c in COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2E6C9")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    for example in EXAMPLES:
        ws.append(
            [
                example.get(c.key, example_subject if c.key == "subject" else "")
                for c in COLUMNS
            ]
        )
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[
            ws.cell(row=1, column=index).column_letter
        ].width = column.width
    ws.freeze_panes = "A2"
    type_letter = ws.cell(row=1, column=1).column_letter
    difficulty_letter = ws.cell(row=1, column=len(COLUMNS)).column_letter
    types = DataValidation(
        type="list",
        formula1='"' + ",".join(TYPE_LABELS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="题型",
        error="请从下拉列表中选择题型。",
    )
    types.add(f"{type_letter}2:{type_letter}{MAX_ROWS + 1}")
    difficulty = DataValidation(
        type="list",
        formula1='"1,2,3,4,5"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="难度",
        error="难度为 1 至 5 的整数。",
    )
    difficulty.add(f"{difficulty_letter}2:{difficulty_letter}{MAX_ROWS + 1}")
    ws.add_data_validation(types)
    ws.add_data_validation(difficulty)

    help_ws = wb.create_sheet("填写说明")
    help_ws.append(["列", "是否必填", "说明"])
    for cell in help_ws[1]:
        cell.font = bold
        cell.fill = fill
    for column in COLUMNS:
        help_ws.append(
            [column.header, "必填" if column.required else "选填", column.help]
        )
    help_ws.append([])
    help_ws.append(
        [
            "整体规则",
            "",
            "全部行无误才会导入，任何一行有错则一行也不写入；"
            f"每个文件最多 {MAX_ROWS} 题。",
        ]
    )
    help_ws.append([])
    help_ws.append(
        [
            "已有科目",
            "",
            "、".join(subject_names) or "（题库中还没有科目，请先在“科目”中添加）",
        ]
    )
    help_ws.column_dimensions["A"].width = 12
    help_ws.column_dimensions["B"].width = 10
    help_ws.column_dimensions["C"].width = 90
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
