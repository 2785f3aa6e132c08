"""Roster columns (the file format, in Chinese whatever the UI language), the
labels accepted for choices, and the downloadable template workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from training.org.models import Person


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the file format is Chinese, whatever the UI language
    required: bool = False
    example: str = ""
    note: str = ""


ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("employee_no", "工号", True, "310100001", "唯一，登录名"),
    Column("full_name", "姓名", True, "张明"),
    Column("unit_code", "单位代码", True, "SH-PD", "须在本人管理范围内"),
    Column("category", "人员类别", True, "检察官", "检察官/检察官助理/书记员/…"),
    Column("is_quota", "员额", False, "是", "是/否"),
    Column("grade", "检察官等级", False, "三级高级检察官", "仅检察官填写"),
    Column(
        "leadership_level", "领导职务级别", False, "县处级", "厅局级/县处级/乡科级/无"
    ),
    Column("position_title", "职务", False, "第一检察部主任"),
    Column("national_id", "身份证号", False, "", "18位，仅保存加密摘要和后四位"),
    Column("email", "电子邮箱", False, "zhangming@example.cn"),
    Column("joined_on", "入职日期", False, "2015-07-01", "YYYY-MM-DD"),
    Column("grade_since", "任现等级日期", False, "2021-01-01"),
    Column("post_since", "任现职务日期", False, "2022-03-15"),
    Column("is_active", "在职", False, "是", "是/否，默认是"),
)
_BY_KEY = {c.key: c for c in ROSTER_COLUMNS}
_BY_HEADER = {c.header: c for c in ROSTER_COLUMNS} | _BY_KEY

CATEGORY_LABELS = {
    "检察官": Person.Category.PROSECUTOR,
    "检察官助理": Person.Category.ASSISTANT,
    "书记员": Person.Category.CLERK,
    "司法警察": Person.Category.JUDICIAL_POLICE,
    "检察技术人员": Person.Category.TECHNICIAN,
    "司法行政人员": Person.Category.ADMINISTRATIVE,
}
GRADE_LABELS = {
    "首席大检察官": Person.Grade.CHIEF,
    "一级大检察官": Person.Grade.GRAND_1,
    "二级大检察官": Person.Grade.GRAND_2,
    "一级高级检察官": Person.Grade.SENIOR_1,
    "二级高级检察官": Person.Grade.SENIOR_2,
    "三级高级检察官": Person.Grade.SENIOR_3,
    "四级高级检察官": Person.Grade.SENIOR_4,
    "一级检察官": Person.Grade.PROSECUTOR_1,
    "二级检察官": Person.Grade.PROSECUTOR_2,
    "三级检察官": Person.Grade.PROSECUTOR_3,
    "四级检察官": Person.Grade.PROSECUTOR_4,
    "五级检察官": Person.Grade.PROSECUTOR_5,
}
LEADERSHIP_LABELS = {
    "厅局级": Person.LeadershipLevel.BUREAU,
    "县处级": Person.LeadershipLevel.COUNTY,
    "乡科级": Person.LeadershipLevel.SECTION,
    "无": Person.LeadershipLevel.NONE,
}


# --- the template --------------------------------------------------------------


def roster_template_workbook() -> bytes:
    """The downloadable template: headers, an example row and a sheet of codes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "人员名册"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for index, column in enumerate(ROSTER_COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(horizontal="center")
        if column.required:
            cell.fill = required_fill
        ws.column_dimensions[cell.column_letter].width = max(12, len(column.header) * 3)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "必填", "示例", "说明"])
    for column in ROSTER_COLUMNS:
        notes.append(
            [
                column.header,
                "是" if column.required else "",
                column.example,
                column.note,
            ]
        )
    notes.append([])
    notes.append(["人员类别可填", "、".join(CATEGORY_LABELS)])
    notes.append(["检察官等级可填", "、".join(GRADE_LABELS)])
    notes.append(["领导职务级别可填", "、".join(LEADERSHIP_LABELS)])
    for cell in notes[1]:
        cell.font = bold
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 22
    notes.column_dimensions["D"].width = 40
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
