"""The question workbook's columns, and reading and checking its rows.

Nothing here writes: ``read_rows`` reads the sheet, ``parse_row`` turns one row into
the arguments of ``question_create`` or says what is wrong with it. Rich text cells
are sanitised here: a workbook comes from outside and its HTML never reaches a
learner's page unfiltered.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from assessments.models import Question, Subject
from assessments.services.questions import QuestionContent, content_validate

Type = Question.Type

MAX_ROWS = 2000
MAX_CELL = 10000

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "sub", "sup"}

# Chinese names first: they are what the template and its dropdown use.
TYPE_NAMES = {
    "单选题": Type.SINGLE,
    "单选": Type.SINGLE,
    "多选题": Type.MULTIPLE,
    "多选": Type.MULTIPLE,
    "判断题": Type.TRUE_FALSE,
    "判断": Type.TRUE_FALSE,
    "填空题": Type.FILL,
    "填空": Type.FILL,
    "简答题": Type.SHORT,
    "简答": Type.SHORT,
    **{t.value: t for t in Type},
}
TYPE_LABELS = ["单选题", "多选题", "判断题", "填空题", "简答题"]
TRUE_WORDS = {"T", "TRUE", "正确", "对", "是", "√", "✓", "Y"}
FALSE_WORDS = {"F", "FALSE", "错误", "错", "否", "×", "✗", "X", "N"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    width: int
    help: str


COLUMNS = (
    Column("qtype", "题型", True, 10, "单选题、多选题、判断题、填空题或简答题。"),
    Column(
        "stem",
        "题干",
        True,
        50,
        "题目正文。填空题用“____”标出每个空。"
        "可用 <b>、<i>、<u>、<sub>、<sup> 等简单标记。",
    ),
    Column(
        "options",
        "选项",
        False,
        36,
        "单选题、多选题：每行一个选项，按顺序编为 A、B、C……"
        "（行首的“A.”可写可不写）。其他题型留空。",
    ),
    Column(
        "answer",
        "答案",
        False,
        18,
        "单选题：一个字母，如 B；多选题：多个字母，如 A,C；判断题：正确 或 错误；"
        "填空题：每行一个空，同一空的多个可接受答案用“|”分隔；简答题：评分要点（供阅卷人参考）。",
    ),
    Column("explanation", "解析", False, 36, "答题后向学员展示的解析，可留空。"),
    Column("subject", "科目", True, 16, "必须是题库中已有的科目名称，见下方列表。"),
    Column("tags", "标签", False, 16, "多个标签用逗号分隔，可留空。"),
    Column("difficulty", "难度", False, 8, "1（易）至 5（难）的整数，留空为 2。"),
)
HEADER_KEYS = {c.header: c.key for c in COLUMNS} | {c.key: c.key for c in COLUMNS}
HEADERS = {c.key: c.header for c in COLUMNS}

_OPTION_PREFIX = re.compile(r"^\s*[A-Za-zＡ-Ｚａ-ｚ]\s*[\.．、:：\)）]\s*")
_LETTER_SPLIT = re.compile(r"[\s,，、;；/]+")


class RowError(Exception):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


def sanitise_rich_text(value: str) -> str:
    """HTML limited to simple inline marks and paragraphs; plain text lines become
    paragraphs. Scripts, styles, attributes and every other tag are removed."""
    text = (value or "").strip()
    if not text:
        return ""
    if not nh3.is_html(text):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return "".join(f"<p>{escape(line)}</p>" for line in lines)
    cleaned = nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes={},
        link_rel=None,
    ).strip()
    if not cleaned.startswith("<p>"):
        cleaned = f"<p>{cleaned}</p>"
    return cleaned


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _letters(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def _parse_options(text: str) -> list[dict]:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    texts = [_OPTION_PREFIX.sub("", line, count=1).strip() or line for line in lines]
    return [
        {"key": key, "text": t}
        for key, t in zip(_letters(len(texts)), texts, strict=True)
    ]


def _parse_letters(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).upper()
    parts = [p for p in _LETTER_SPLIT.split(text) if p]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
        parts = list(parts[0])  # "AC" written without a separator
    return parts


def parse_row(values: dict[str, str], subjects: dict[str, Subject]) -> dict:
    """One row as keyword arguments for ``question_create``, or ``RowError``."""
    raw_type = values.get("qtype", "")
    if not raw_type:
        raise RowError(HEADERS["qtype"], _("The question type is empty."))
    qtype = TYPE_NAMES.get(raw_type) or TYPE_NAMES.get(raw_type.lower())
    if qtype is None:
        raise RowError(
            HEADERS["qtype"],
            _("Unknown question type “%(value)s”; use one of %(names)s.")
            % {"value": raw_type, "names": "、".join(TYPE_LABELS)},
        )
    for key, value in values.items():
        if len(value) > MAX_CELL:
            raise RowError(
                HEADERS[key],
                _("The cell is longer than %(n)s characters.") % {"n": MAX_CELL},
            )
    stem = sanitise_rich_text(values.get("stem", ""))
    if not strip_tags(stem).strip():
        raise RowError(HEADERS["stem"], _("The question text is empty."))

    subject_name = values.get("subject", "")
    if not subject_name:
        raise RowError(HEADERS["subject"], _("The subject is empty."))
    subject = subjects.get(subject_name)
    if subject is None:
        known = "、".join(subjects) or _("none yet")
        raise RowError(
            HEADERS["subject"],
            _("Unknown subject “%(value)s”; known subjects: %(known)s.")
            % {"value": subject_name, "known": known},
        )

    raw_difficulty = values.get("difficulty", "")
    difficulty = 2
    if raw_difficulty:
        try:
            difficulty = int(raw_difficulty)
        except ValueError:
            difficulty = 0
        if not 1 <= difficulty <= 5:
            raise RowError(
                HEADERS["difficulty"],
                _("The difficulty “%(value)s” is not a whole number from 1 to 5.")
                % {"value": raw_difficulty},
            )

    options: list[dict] = []
    answer: Any = None
    rubric = ""
    raw_answer = values.get("answer", "")
    raw_options = values.get("options", "")
    if qtype in (Type.SINGLE, Type.MULTIPLE):
        options = _parse_options(raw_options)
        if len(options) < 2:
            raise RowError(
                HEADERS["options"],
                _("A choice question needs at least two options, one per line."),
            )
        keys = [o["key"] for o in options]
        key_range = f"{keys[0]}–{keys[-1]}"
        if not raw_answer:
            raise RowError(HEADERS["answer"], _("The answer is empty."))
        letters = _parse_letters(raw_answer)
        if qtype == Type.SINGLE and len(letters) != 1:
            raise RowError(
                HEADERS["answer"],
                _("A single-choice answer is one letter (%(range)s), not “%(value)s”.")
                % {"range": key_range, "value": raw_answer},
            )
        for letter in letters:
            if letter not in keys:
                raise RowError(
                    HEADERS["answer"],
                    _("The answer “%(value)s” is not one of the options (%(range)s).")
                    % {"value": letter, "range": key_range},
                )
        answer = letters[0] if qtype == Type.SINGLE else sorted(set(letters))
    elif qtype == Type.TRUE_FALSE:
        word = unicodedata.normalize("NFKC", raw_answer).strip().upper()
        if word in TRUE_WORDS:
            answer = "T"
        elif word in FALSE_WORDS:
            answer = "F"
        else:
            raise RowError(
                HEADERS["answer"],
                _("A true/false answer is 正确 or 错误, not “%(value)s”.")
                % {"value": raw_answer},
            )
    elif qtype == Type.FILL:
        blanks = [line for line in raw_answer.split("\n") if line.strip()]
        answer = [
            [a.strip() for a in re.split(r"[|｜]", line) if a.strip()]
            for line in blanks
        ]
        if not answer:
            raise RowError(
                HEADERS["answer"],
                _("A fill-in question needs one line of accepted answers per blank."),
            )
    else:
        rubric = raw_answer

    content = QuestionContent(
        stem=stem,
        options=options,
        answer=answer,
        explanation=sanitise_rich_text(values.get("explanation", "")),
        rubric=rubric,
    )
    try:
        content = content_validate(qtype, content)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise RowError(HEADERS.get(field, ""), " ".join(messages)) from None
    return {
        "qtype": qtype,
        "subject": subject,
        "content": content,
        "difficulty": difficulty,
        "tags": values.get("tags", "")[:200],
    }


def read_rows(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[dict]]:
    """(row number, values by column key) for every non-empty row, or file errors."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        return [], [
            import_error(0, "", _("The file is not a readable Excel workbook (.xlsx)."))
        ]
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None) or ()
        columns: dict[int, str] = {}
        for index, title in enumerate(header):
            key = HEADER_KEYS.get(_cell_text(title))
            if key and key not in columns.values():
                columns[index] = key
        missing = [
            c.header for c in COLUMNS if c.required and c.key not in columns.values()
        ]
        if missing:
            return [], [
                import_error(
                    1,
                    "",
                    _(
                        "The first row lacks the column(s) %(columns)s; "
                        "start from the template."
                    )
                    % {"columns": "、".join(missing)},
                )
            ]
        found = []
        for number, row in enumerate(rows, start=2):
            values = {
                key: _cell_text(row[index]) if index < len(row) else ""
                for index, key in columns.items()
            }
            if not any(values.values()):
                continue
            if len(found) >= MAX_ROWS:
                return [], [
                    import_error(
                        number,
                        "",
                        _(
                            "The file has more than %(n)s questions; "
                            "split it into smaller files."
                        )
                        % {"n": MAX_ROWS},
                    )
                ]
            found.append((number, values))
        return found, []
    finally:
        wb.close()


def import_error(row: int, column: str, message: str) -> dict:
    if row:
        message = _("Row %(row)s: %(message)s") % {"row": row, "message": message}
    return {"row": row, "column": column, "message": message}
