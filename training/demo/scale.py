"""National-scale data for benchmarks (``manage.py seed_scale``).

A believable national tree — 最高人民检察院 → 32 provincial procuratorates → ~400
municipal procuratorates and 分院 → ~3,100 basic procuratorates → a few 派出院 and
检察室 — with staff in realistic proportions and a year of 学时 records, written in
bulk: 300,000 people and ~3 million ledger entries take minutes, not hours, because
nothing here goes through ``save()``, ``add_child`` or per-row services.

* Tree paths are built here (treebeard's materialised path: 4 base-36 characters a
  level) and the units inserted in one go.
* Ids are reserved up front (a PostgreSQL sequence jump, or max id + 1), so users,
  people and ledger rows can be written without reading anything back; on
  PostgreSQL they are streamed with ``COPY``, elsewhere with batched INSERTs.
* Everything random comes from one ``random.Random(seed)``: the same seed gives the
  same names, mixes and dates (ids and timestamps aside).

Everything it creates is recognisable by the ``S-`` prefix (unit codes, employee
numbers and usernames), which is what ``scale_reset`` deletes by.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from assessments.models import Attempt
from courses.models import Enrollment
from training.certificates.models import (
    Certificate,
    CertificateReview,
    CertificateRevocation,
)
from training.classes.models import ClassMember
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.compliance.rollups import GENERATION_KEY
from training.ledger.models import ExternalRecord, LedgerEntry
from training.org.models import OrgUnit, Person, RoleGrant
from training.programmes.models import Programme

PREFIX = "S-"
BATCH = 5000
STEPLEN = OrgUnit.steplen
ALPHABET = OrgUnit.alphabet

Kind = OrgUnit.Kind
Level = OrgUnit.Level
Category = Person.Category
Grade = Person.Grade
Lead = Person.LeadershipLevel
Source = LedgerEntry.Source

Progress = Callable[[str, int, int], None]

PROVINCES = [
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省",
    "黑龙江省", "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省",
    "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市",
    "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
    "宁夏回族自治区", "新疆维吾尔自治区", "新疆生产建设兵团",
]  # fmt: skip
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市", "新疆生产建设兵团"}
NUMERALS = "一二三四五六七八九十"
PLACE_FIRST = (
    "安宝昌长大德东丰福广海汉和河华怀惠吉嘉建江金景靖开乐临柳龙隆洛南宁平普青"
    "清庆泉仁瑞山上韶寿顺泰通万文武西仙新兴阳永玉元云肇镇中资遵"
)
PLACE_SECOND = (
    "安昌城川春德定东丰峰阜冈港湖华化江康乐陵林宁平浦桥清泉山水顺台潭塘田兴阳源远州庄"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
    "潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦"
    "邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌宇浩凯鹏"
    "辉健林波宁晨晓雪琳颖博思佳欣悦昊然泽瑞恒哲鑫毅诚"
)

# Staff mix (shares add up to 1): prosecutors ~40 %, most of them 员额.
CATEGORIES = [
    (Category.PROSECUTOR, 0.40),
    (Category.ASSISTANT, 0.24),
    (Category.CLERK, 0.14),
    (Category.JUDICIAL_POLICE, 0.08),
    (Category.TECHNICIAN, 0.05),
    (Category.ADMINISTRATIVE, 0.09),
]
QUOTA_SHARE = 0.85  # of prosecutors
GRADES = [
    (Grade.GRAND_2, 0.002),
    (Grade.SENIOR_1, 0.01),
    (Grade.SENIOR_2, 0.03),
    (Grade.SENIOR_3, 0.07),
    (Grade.SENIOR_4, 0.13),
    (Grade.PROSECUTOR_1, 0.20),
    (Grade.PROSECUTOR_2, 0.20),
    (Grade.PROSECUTOR_3, 0.16),
    (Grade.PROSECUTOR_4, 0.12),
    (Grade.PROSECUTOR_5, 0.078),
]
# Leadership by unit level: (bureau, county, section). With the staff weights
# below this comes to ~1 % 厅局级 and ~8 % 县处级 nationally.
LEADERSHIP = {
    Level.SUPREME: (0.12, 0.30, 0.30),
    Level.PROVINCIAL: (0.05, 0.22, 0.30),
    Level.MUNICIPAL: (0.02, 0.13, 0.28),
    Level.BASIC: (0.0, 0.06, 0.22),
}
# Staff per unit, relative: a provincial procuratorate is several times a basic one.
STAFF_WEIGHT = {
    "supreme": 12.0,
    "province": 4.0,
    "city": 1.6,
    "basic": 0.85,
    "office": 0.15,
}
POSITIONS = {
    Lead.BUREAU: ["检察长", "副检察长", "检察委员会专职委员"],
    Lead.COUNTY: ["检察长", "副检察长", "部主任", "检察委员会委员"],
    Lead.SECTION: ["部副主任", "科长", "副科长"],
}
COURSES = [
    "习近平法治思想概论", "检察官职业道德基本准则", "公正廉洁执法", "法律监督能力建设",
    "群众工作方法", "检察信息化应用", "突发事件处置", "刑事诉讼法解读",
    "民事检察监督实务", "行政检察工作要点", "公益诉讼检察", "未成年人检察",
    "认罪认罚从宽制度", "电子数据取证", "检察文书写作", "保密知识",
]  # fmt: skip
CLASSES = [
    "全省检察长政治轮训班", "基层检察院业务骨干培训班", "公诉业务岗位培训班",
    "检察技术岗位培训班", "司法警察岗位练兵培训班", "新任检察官岗位培训班",
]  # fmt: skip
PROVIDERS = ["国家检察官学院", "省委党校", "省检察官学院", "政法大学"]

# The national course catalogue (title, minutes: 45 → 1 学时, 20 → 0.5, 10 → 0.25)
# and exams that online entries come from, created once under their own index page.
CATALOGUE_SLUG = "s-national-courses"
CATALOGUE_TITLE = "全国检察机关网络培训课程"
NATIONAL_COURSES = [
    *((title, 45) for title in COURSES),
    ("宪法学习专题", 45), ("党章党规党纪教育", 45), ("检察机关党风廉政建设", 20),
    ("新时代检察工作理念", 20), ("刑事检察业务规范", 20), ("控告申诉检察实务", 20),
    ("检察听证工作指引", 20), ("司法责任制改革要点", 20), ("案件质量评价指标解读", 20),
    ("检察官心理调适", 10), ("网络舆情应对", 10), ("公文处理规范", 10),
    ("档案管理基础", 10), ("安全生产与消防常识", 10),
]  # fmt: skip
EXAMS = [
    "全国检察机关政治理论考试", "检察官职业道德考试", "法律监督业务知识考试",
    "刑事检察业务考试", "民事行政检察业务考试", "公益诉讼检察业务考试",
    "检察信息化应用考试", "保密知识考试",
]  # fmt: skip
# Marks the exams seed_scale made (Quiz has no code field to carry the S- prefix).
EXAM_MARK = "seed_scale national exam"

# The three yearly national programmes (same keys and rules as
# training.programmes.national).
NATIONAL_FALLBACK = [
    {
        "key": "annual-on-the-job",
        "name": "年度岗位培训",
        "kind": Programme.Kind.ON_THE_JOB,
        "effective_from": dt.date(2025, 1, 1),
        "rule": {"hours_required": Decimal(90), "days_required": Decimal(12)},
    },
    {
        "key": "annual-online",
        "name": "年度网络学习",
        "kind": Programme.Kind.ALL_STAFF,
        "effective_from": dt.date(2025, 1, 1),
        "rule": {"online_hours_required": Decimal(50)},
    },
    {
        "key": "political-2026",
        "name": "2026 年度政治轮训",
        "kind": Programme.Kind.POLITICAL,
        "effective_from": dt.date(2026, 1, 1),
        "deadline": dt.date(2026, 12, 15),
        "rule": {
            "categories": [Category.PROSECUTOR],
            "days_required": Decimal(5),
            "credit_scope": "earmarked",
        },
    },
]
NATIONAL_KEYS = [spec["key"] for spec in NATIONAL_FALLBACK]


@dataclass
class UnitRow:
    id: int
    path: str
    code: str
    name: str
    short_name: str
    kind: str
    level: str
    tier: str  # supreme | province | city | basic | office
    sort_order: int
    children: list[UnitRow] = field(default_factory=list)


@dataclass
class ScaleResult:
    units: int = 0
    people: int = 0
    ledger_entries: int = 0
    enrollments: int = 0
    attempts: int = 0
    certificates: int = 0
    compliance: dict[int, int] = field(default_factory=dict)
    programmes: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    mix: dict[str, int] = field(default_factory=dict)


class ScaleDataExists(Exception):
    """seed_scale data is already in the database (use ``--reset``)."""


# --- helpers -----------------------------------------------------------------------


def _b36(number: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(STEPLEN, "0")


def _pick(rng: random.Random, weighted: list[tuple[str, float]], k: int) -> list[str]:
    values = [v for v, _w in weighted]
    return rng.choices(values, weights=[w for _v, w in weighted], k=k)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of ``count`` consecutive free ids for ``model``'s table."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if _is_postgres():
            # Jump the sequence past the block in one statement: the block is ours.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, max(count, 1)],
            )
            return cursor.fetchone()[0] - max(count, 1) + 1
        cursor.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608 (table name)
        return (cursor.fetchone()[0] or 0) + 1


def _write(
    model: type[models.Model],
    columns: list[str],
    rows: Iterable[tuple],
    *,
    total: int,
    progress: Progress | None,
    phase: str,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, ids included): COPY on
    PostgreSQL, INSERTs in batches of 5,000 elsewhere."""
    written = 0
    if _is_postgres():
        table = model._meta.db_table
        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3
            with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
                    if progress and written % (BATCH * 10) == 0:
                        progress(phase, written, total)
    else:
        # Plain INSERTs, not bulk_create: its pre_save would overwrite the
        # auto_now_add timestamps (enrolled_at) given here with the current time.
        by_column = {f.column: f for f in model._meta.concrete_fields}
        fields = [by_column[c] for c in columns]
        sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(  # noqa: S608 (our names)
            model._meta.db_table,
            ", ".join(f'"{c}"' for c in columns),
            ", ".join(["%s"] * len(columns)),
        )
        batch: list[list] = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(
                    [
                        f.get_db_prep_save(value, connection)
                        for f, value in zip(fields, row, strict=True)
                    ]
                )
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    batch = []
                    if progress:
                        progress(phase, written, total)
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
    if progress:
        progress(phase, written, total)
    return written


# --- the tree ----------------------------------------------------------------------


def unit_counts(units: int) -> dict[str, int]:
    """How many units of each tier make ``units`` in all (national proportions:
    1 : 32 : ~400 : ~3,100 : the rest offices)."""
    if units < 4:
        raise ValueError("seed_scale needs at least 4 units (one per level).")
    provinces = max(1, min(32, round(units * 32 / 3600)))
    if units >= 20:
        provinces = max(provinces, 2)
    cities = max(provinces, round(units * 400 / 3600))
    offices = round(units * 67 / 3600)
    basic = units - 1 - provinces - cities - offices
    if basic < cities:  # small trees: at least one basic unit per city
        offices = max(0, offices - (cities - basic))
        basic = units - 1 - provinces - cities - offices
    return {
        "supreme": 1,
        "province": provinces,
        "city": cities,
        "basic": basic,
        "office": offices,
    }


class _Places:
    """Unique two-character place names (安阳, 新城, …)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        for _attempt in range(50):
            name = self.rng.choice(PLACE_FIRST) + self.rng.choice(PLACE_SECOND)
            if name not in self.used:
                self.used.add(name)
                return name
        # The pools give ~5,000 names; past that, add a third character.
        name = self.rng.choice(PLACE_FIRST) + self.rng.choice(PLACE_SECOND)
        name += self.rng.choice(PLACE_SECOND)
        while name in self.used:
            name += self.rng.choice(PLACE_SECOND)
        self.used.add(name)
        return name


def _spread(parents: list[UnitRow], count: int, rng: random.Random) -> list[UnitRow]:
    """Which parent each of ``count`` children hangs under: every parent gets at
    least one while there are enough, the rest at random."""
    owners = parents[:count] + rng.choices(parents, k=max(0, count - len(parents)))
    rng.shuffle(owners)
    return owners


def build_tree(units: int, rng: random.Random, root_path: str, first_id: int):
    """The national tree as ``UnitRow``s (parents before children)."""
    counts = unit_counts(units)
    places = _Places(rng)
    rows: list[UnitRow] = []
    serial = iter(range(1, units + 1))

    def make(tier, parent, name, short, kind, level) -> UnitRow:
        n = next(serial)
        path = (
            root_path
            if parent is None
            else (parent.path + _b36(len(parent.children) + 1))
        )
        row = UnitRow(
            id=first_id + n - 1,
            path=path,
            code=f"{PREFIX}{n:05d}",
            name=name,
            short_name=short,
            kind=kind,
            level=level,
            tier=tier,
            sort_order=len(parent.children) + 1 if parent else 0,
        )
        if parent is not None:
            parent.children.append(row)
        rows.append(row)
        return row

    supreme = make(
        "supreme", None, "最高人民检察院", "高检院", Kind.PROCURATORATE, Level.SUPREME
    )
    provinces = []
    for i in range(counts["province"]):
        area = PROVINCES[i % len(PROVINCES)]
        if i >= len(PROVINCES):
            area = places() + "省"
        short = area.removesuffix("省").removesuffix("市")[:2] + "省院"
        provinces.append(
            make(
                "province",
                supreme,
                f"{area}人民检察院",
                short,
                Kind.PROCURATORATE,
                Level.PROVINCIAL,
            )
        )
    province_area = {p.id: p.name.removesuffix("人民检察院") for p in provinces}
    cities = []
    for parent in sorted(_spread(provinces, counts["city"], rng), key=lambda p: p.id):
        area = province_area[parent.id]
        if area in MUNICIPALITIES and len(parent.children) < len(NUMERALS):
            ordinal = NUMERALS[len(parent.children)]
            name, short = f"{area}人民检察院第{ordinal}分院", f"{ordinal}分院"
        else:
            place = places()
            name, short = f"{place}市人民检察院", f"{place}市院"
        cities.append(
            make("city", parent, name, short, Kind.PROCURATORATE, Level.MUNICIPAL)
        )
    basics = []
    for parent in sorted(_spread(cities, counts["basic"], rng), key=lambda p: p.id):
        place = places()
        suffix = rng.choice("区县区县市")
        basics.append(
            make(
                "basic",
                parent,
                f"{place}{suffix}人民检察院",
                f"{place}{suffix}院",
                Kind.PROCURATORATE,
                Level.BASIC,
            )
        )
    for parent in sorted(_spread(basics, counts["office"], rng), key=lambda p: p.id):
        place = places()
        if rng.random() < 0.3:
            name, kind = f"{place}地区人民检察院", Kind.BRANCH  # 派出院
        else:
            name, kind = (
                f"{parent.short_name.removesuffix('院')}驻{place}检察室",
                (Kind.OFFICE),
            )
        make("office", parent, name, name[-8:], kind, Level.BASIC)
    return rows


def _next_root_path() -> str:
    last = OrgUnit.get_root_nodes().order_by("-path").values_list("path", flat=True)
    last = last.first()
    return _b36(int(last, len(ALPHABET)) + 1) if last else _b36(1)


# --- people ------------------------------------------------------------------------


def _random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN)
    if rng.random() < 0.7:
        given += rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


@dataclass
class PersonRow:
    id: int
    user_id: int
    unit_id: int
    employee_no: str
    full_name: str
    category: str
    is_quota: bool
    grade: str
    leadership_level: str
    position_title: str
    joined_on: dt.date
    grade_since: dt.date | None
    post_since: dt.date | None


def build_people(
    count: int,
    units: list[UnitRow],
    rng: random.Random,
    *,
    first_person_id: int,
    first_user_id: int,
    year: int,
) -> list[PersonRow]:
    weights = [STAFF_WEIGHT[u.tier] for u in units]
    homes = rng.choices(units, weights=weights, k=count)
    categories = _pick(rng, CATEGORIES, count)
    mid_year = dt.date(year, 6, 30)
    people = []
    for i in range(count):
        unit, category = homes[i], categories[i]
        prosecutor = category == Category.PROSECUTOR
        grade = _pick(rng, GRADES, 1)[0] if prosecutor else ""
        bureau, county, section = LEADERSHIP[unit.level]
        roll = rng.random()
        leadership = (
            Lead.BUREAU
            if roll < bureau
            else Lead.COUNTY
            if roll < bureau + county
            else Lead.SECTION
            if roll < bureau + county + section
            else Lead.NONE
        )
        if rng.random() < 0.03:  # this year's recruits
            joined = _random_day(rng, dt.date(year, 1, 1), mid_year)
        else:
            joined = _random_day(rng, dt.date(1985, 7, 1), dt.date(year - 1, 12, 31))
        grade_since = (
            _random_day(rng, max(joined, dt.date(2017, 1, 1)), mid_year)
            if grade
            else None
        )
        post_since = _random_day(rng, joined, mid_year) if leadership else None
        position = (
            rng.choice(POSITIONS[leadership])
            if leadership
            else ("检察员" if prosecutor else "")
        )
        people.append(
            PersonRow(
                id=first_person_id + i,
                user_id=first_user_id + i,
                unit_id=unit.id,
                employee_no=f"{PREFIX}{i + 1:07d}",
                full_name=_name(rng),
                category=category,
                is_quota=prosecutor and rng.random() < QUOTA_SHARE,
                grade=grade,
                leadership_level=leadership,
                position_title=position,
                joined_on=joined,
                grade_since=grade_since,
                post_since=post_since,
            )
        )
    return people


# --- the ledger, with the enrolments and attempts behind its online credits ------

HALF = Decimal("0.5")
QUIZ_PASS_PERCENT = Decimal(60)
IN_PROGRESS_SHARE = 0.25  # people with a course started and not finished
EARLIER_FAIL_SHARE = 0.15  # passed exams with a failed first attempt
FAILED_ONLY_SHARE = 0.08  # people who failed an exam and have not passed it yet


@dataclass
class Catalogue:
    """The national courses and exams the online ledger entries come from (ids of
    the rows ``catalogue_ensure`` made; titles and 学时 as the ledger shows them)."""

    course_ids: list[int]
    course_titles: list[str]
    course_hours: list[Decimal]
    exam_ids: list[int]
    exam_titles: list[str]


@dataclass
class LearningRows:
    """What ``ledger_rows`` decided besides the entries, kept compactly (arrays, not
    objects: ~2 million enrolments at national scale) until they are written."""

    first_enrollment: int
    first_attempt: int
    # Enrolments, by id - first_enrollment.
    enrol_user: array = field(default_factory=lambda: array("q"))
    enrol_course: array = field(default_factory=lambda: array("b"))
    enrol_day: array = field(default_factory=lambda: array("l"))
    enrol_progress: array = field(default_factory=lambda: array("b"))  # 100: done
    # Attempts, by id - first_attempt.
    attempt_user: array = field(default_factory=lambda: array("q"))
    attempt_exam: array = field(default_factory=lambda: array("b"))
    attempt_number: array = field(default_factory=lambda: array("b"))
    attempt_day: array = field(default_factory=lambda: array("l"))
    attempt_passed: array = field(default_factory=lambda: array("b"))

    def enrol(self, user_id: int, course: int, day: dt.date, progress: int) -> int:
        self.enrol_user.append(user_id)
        self.enrol_course.append(course)
        self.enrol_day.append(day.toordinal())
        self.enrol_progress.append(progress)
        return self.first_enrollment + len(self.enrol_user) - 1

    def attempt(
        self, user_id: int, exam: int, number: int, day: dt.date, passed: bool
    ) -> int:
        self.attempt_user.append(user_id)
        self.attempt_exam.append(exam)
        self.attempt_number.append(number)
        self.attempt_day.append(day.toordinal())
        self.attempt_passed.append(int(passed))
        return self.first_attempt + len(self.attempt_user) - 1


def ledger_rows(
    people: list[PersonRow],
    rng: random.Random,
    *,
    first_id: int,
    start: dt.date,
    end: dt.date,
    political_id: int | None,
    now: dt.datetime,
    catalogue: Catalogue,
    learning: LearningRows,
) -> Iterator[tuple]:
    """8–12 entries a person: online courses (each a different national course, its
    学时), passed exams (0.5, each exam once), class attendance with days
    (political rotation classes earmarked for ``political_id``), now and then
    training elsewhere. The completed enrolments and the graded attempts behind the
    online entries go to ``learning`` (with the ids the entries' ``source_key``
    names, as ``ledger_credit_course`` and ``ledger_credit_quiz`` write them), plus
    some courses in progress and exams failed."""
    span = (end - start).days + 1
    courses, exams = len(catalogue.course_ids), len(catalogue.exam_ids)
    entry_id = first_id
    zero = Decimal(0)
    for person in people:
        entries = rng.randint(8, 12)
        course_order = rng.sample(range(courses), min(courses, entries + 1))
        exam_order = rng.sample(range(exams), exams)
        for n in range(entries):
            day = start + dt.timedelta(days=rng.randrange(span))
            programme_id = None
            centralised = False
            source_key = None
            roll = rng.random()
            if roll >= 0.55 and roll < 0.82 and not exam_order:
                roll = 0.0  # every exam passed already: another course instead
            if n == 0 and person.category == Category.PROSECUTOR and rng.random() < 0.7:
                source, days = Source.CLASS, Decimal(rng.choice((2, 3, 5, 5, 5)))
                hours = zero
                title = "培训班：2026 年度政治轮训班"
                programme_id, centralised = political_id, True
            elif roll < 0.55:
                source, days = Source.COURSE, zero
                course = course_order.pop()
                hours = catalogue.course_hours[course]
                title = "课程：" + catalogue.course_titles[course]
                enrollment = learning.enrol(person.user_id, course, day, 100)
                source_key = f"enrollment:{enrollment}"
            elif roll < 0.82:
                source, hours, days = Source.QUIZ, HALF, zero
                exam = exam_order.pop()
                title = "考试合格：" + catalogue.exam_titles[exam]
                number = 1
                if rng.random() < EARLIER_FAIL_SHARE:
                    learning.attempt(person.user_id, exam, 1, day, passed=False)
                    number = 2
                attempt = learning.attempt(person.user_id, exam, number, day, True)
                quiz_id = catalogue.exam_ids[exam]
                source_key = f"quiz:{quiz_id}:{person.user_id}:{attempt}"
            elif roll < 0.97:
                source = Source.CLASS
                days = Decimal(rng.choice(("0.5", "1", "1", "2", "3")))
                hours = days * 6 if rng.random() < 0.5 else zero
                centralised = rng.random() < 0.4
                title = "培训班：" + rng.choice(CLASSES)
            else:
                source = Source.EXTERNAL
                days = Decimal(rng.randint(1, 5))
                hours = days * 8
                centralised = True
                title = f"{rng.choice(PROVIDERS)}：{rng.choice(COURSES)}专题培训"
            yield (
                entry_id,
                person.id,
                source,
                title,
                hours,
                days,
                source in LedgerEntry.ONLINE_SOURCES,
                centralised,
                day,
                programme_id,
                "",
                "",
                source_key,
                now,
            )
            entry_id += 1
        if course_order and rng.random() < IN_PROGRESS_SHARE:
            day = start + dt.timedelta(days=rng.randrange(span))
            learning.enrol(person.user_id, course_order.pop(), day, rng.randint(0, 90))
        if exam_order and rng.random() < FAILED_ONLY_SHARE:
            day = start + dt.timedelta(days=rng.randrange(span))
            learning.attempt(person.user_id, exam_order.pop(), 1, day, passed=False)


LEDGER_COLUMNS = [
    "id",
    "person_id",
    "source",
    "title",
    "hours",
    "days",
    "is_online",
    "is_centralised",
    "occurred_on",
    "programme_id",
    "reason",
    "evidence",
    "source_key",
    "created_at",
]


# --- programmes --------------------------------------------------------------------


def national_programmes_ensure(owner_unit: OrgUnit) -> dict[str, int]:
    """The yearly national programmes, by key: ``training.programmes.national`` when
    it is there, else the three this module knows. Existing keys are left alone."""
    try:
        from training.programmes import national
    except ImportError:
        national = None
    if national is not None and hasattr(national, "programmes_national_ensure"):
        national.programmes_national_ensure(owner_unit=owner_unit)
    else:
        _fallback_programmes_ensure(owner_unit)
    return dict(
        Programme.objects.filter(key__in=NATIONAL_KEYS).values_list("key", "id")
    )


def _fallback_programmes_ensure(owner_unit: OrgUnit) -> None:
    from training.programmes.services import (
        programme_create,
        programme_publish,
        programme_version_create,
    )

    existing = set(
        Programme.objects.filter(key__in=NATIONAL_KEYS).values_list("key", flat=True)
    )
    for spec in NATIONAL_FALLBACK:
        if spec["key"] in existing:
            continue
        programme = programme_create(
            actor=None,
            owner_unit=owner_unit,
            key=spec["key"],
            name=spec["name"],
            kind=spec["kind"],
            responsible_department="政治部教育培训处",
            responsible_person="教育培训处处长",
            deadline=spec.get("deadline"),
        )
        version = programme_version_create(
            programme=programme,
            actor=None,
            effective_from=spec["effective_from"],
            **spec["rule"],
        )
        programme_publish(version=version, actor=None)


# --- courses, exams, enrolments, attempts -------------------------------------------


def _site_home():
    from wagtail.models import Page, Site

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    return Page.objects.filter(depth=2).order_by("path").first()


def catalogue_ensure() -> Catalogue:
    """The national courses (published Wagtail pages under their own index page
    below the home page) and exams; created once, reused afterwards. Courses have
    no lessons and exams no questions: enough for enrolments, attempts and the
    ledger to point at, not to be taken."""
    from wagtail.models import Page

    from assessments.models import Quiz
    from courses.models import CourseIndexPage, CoursePage, credit_hours_for_minutes

    index = CourseIndexPage.objects.filter(slug=CATALOGUE_SLUG).first()
    if index is None:
        home = _site_home()
        if home is None:
            raise RuntimeError("No home page: run `manage.py migrate` first.")
        index = CourseIndexPage(title=CATALOGUE_TITLE, slug=CATALOGUE_SLUG)
        Page.objects.get(pk=home.pk).add_child(instance=index)
        index.save_revision().publish()
    existing = {c.slug: c for c in CoursePage.objects.child_of(index)}
    courses = []
    for number, (title, minutes) in enumerate(NATIONAL_COURSES, start=1):
        slug = f"s-course-{number:02d}"
        course = existing.get(slug)
        if course is None:
            course = CoursePage(
                title=title,
                slug=slug,
                summary=f"{title}（全国检察机关网络培训课程）",
                estimated_minutes=minutes,
                live=False,
            )
            index.add_child(instance=course)
            course.save_revision().publish()
        courses.append(course)
    exams = {
        q.title: q
        for q in Quiz.objects.filter(description=EXAM_MARK, kind=Quiz.Kind.EXAM)
    }
    for title in EXAMS:
        if title not in exams:
            # Unpublished: there are no questions to draw (nobody takes these).
            exams[title] = Quiz.objects.create(
                title=title,
                kind=Quiz.Kind.EXAM,
                description=EXAM_MARK,
                audience=Quiz.Audience.ALL,
                pass_percent=QUIZ_PASS_PERCENT,
                max_attempts=2,
                grading=Quiz.Grading.HIGHEST,
                is_published=False,
            )
    return Catalogue(
        course_ids=[c.pk for c in courses],
        course_titles=[c.title for c in courses],
        course_hours=[
            credit_hours_for_minutes(minutes) for _title, minutes in NATIONAL_COURSES
        ],
        exam_ids=[exams[title].pk for title in EXAMS],
        exam_titles=list(EXAMS),
    )


ENROLLMENT_COLUMNS = [
    "id",
    "user_id",
    "course_id",
    "source",
    "reason",
    "required",
    "enrolled_at",
    "completed_at",
    "credit_hours",
    "progress_percent",
]
ATTEMPT_COLUMNS = [
    "id",
    "public_id",
    "quiz_id",
    "user_id",
    "number",
    "status",
    "started_at",
    "submitted_at",
    "closed_by",
    "score",
    "max_score",
    "percent",
    "passed",
    "graded_at",
]


def _moment(rng: random.Random, day: dt.date, tz) -> dt.datetime:
    """A time in office hours (Asia/Shanghai) on ``day``."""
    minute = rng.randrange(8 * 60, 21 * 60)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)


def enrollment_rows(
    learning: LearningRows, catalogue: Catalogue, rng: random.Random
) -> Iterator[tuple]:
    """Completed enrolments at the moment their ledger entry is dated (its 学时
    as ``credit_hours``), in-progress ones with a share of the lessons done."""
    tz = timezone.get_current_timezone()
    for i, user_id in enumerate(learning.enrol_user):
        course = learning.enrol_course[i]
        day = dt.date.fromordinal(learning.enrol_day[i])
        progress = learning.enrol_progress[i]
        moment = _moment(rng, day, tz)
        done = progress == 100
        enrolled = moment - dt.timedelta(days=rng.randrange(0, 21), hours=1)
        yield (
            learning.first_enrollment + i,
            user_id,
            catalogue.course_ids[course],
            "self",
            "",
            False,
            enrolled,
            moment if done else None,
            catalogue.course_hours[course] if done else None,
            progress,
        )


def attempt_rows(
    learning: LearningRows, catalogue: Catalogue, rng: random.Random
) -> Iterator[tuple]:
    """Submitted and graded exam attempts out of 100 (pass mark 60)."""
    tz = timezone.get_current_timezone()
    hundred = Decimal(100)
    for i, user_id in enumerate(learning.attempt_user):
        passed = bool(learning.attempt_passed[i])
        number = learning.attempt_number[i]
        day = dt.date.fromordinal(learning.attempt_day[i])
        score = Decimal(rng.randint(60, 100) if passed else rng.randint(20, 59))
        started = _moment(rng, day, tz)
        if number == 1 and not passed:
            # A failed first try of an exam passed later that day: the morning.
            started = started.replace(hour=min(started.hour, 10))
        else:
            started = started.replace(hour=max(started.hour, 11))
        submitted = started + dt.timedelta(minutes=rng.randint(12, 30))
        yield (
            learning.first_attempt + i,
            uuid.uuid4(),  # not from ``rng``: unique across reseeds
            catalogue.exam_ids[learning.attempt_exam[i]],
            user_id,
            number,
            "finished",
            started,
            submitted,
            "learner",
            score,
            hundred,
            score,  # out of 100: the percent is the score
            passed,
            submitted,
        )


def certificates_sample(
    count: int, rng: random.Random, progress: Progress | None = None
) -> int:
    """Real certificates (PDF rendered, sha256 recorded, through
    ``certificate_issue``) for ``count`` people drawn from those who met a
    certificate-issuing programme; the rest of them have none. Rendering takes
    ~80 ms each, so 300,000 are not issued at seed time. Needs the compliance
    rows (``--recompute``)."""
    from training.certificates.services import certificate_issue

    if count <= 0:
        return 0
    met = list(
        ComplianceStatus.objects.filter(
            status=ComplianceStatus.Status.COMPLIANT,
            programme__issues_certificate=True,
            person__employee_no__startswith=PREFIX,
        )
        .order_by("person__employee_no", "programme_id", "cycle_start")
        .values_list("person_id", "programme_id", "cycle_start")
    )
    chosen = sorted(rng.sample(met, min(count, len(met))))
    programmes = {p.pk: p for p in Programme.objects.filter(issues_certificate=True)}
    people = Person.objects.in_bulk([person_id for person_id, _p, _s in chosen])
    issued = 0
    for person_id, programme_id, cycle_start in chosen:
        _certificate, created = certificate_issue(
            person=people[person_id],
            programme=programmes[programme_id],
            cycle_start=cycle_start,
        )
        issued += created
        if progress:
            progress("certificates", issued, len(chosen))
    return issued


# --- the whole thing ---------------------------------------------------------------


USER_COLUMNS = [
    "id",
    "password",
    "is_superuser",
    "username",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "full_name",
]
PERSON_COLUMNS = [
    "id",
    "user_id",
    "unit_id",
    "employee_no",
    "category",
    "is_quota",
    "grade",
    "leadership_level",
    "position_title",
    "joined_on",
    "grade_since",
    "post_since",
    "is_active",
    "national_id_last4",
    "created_at",
    "updated_at",
]


def _user_row(p: PersonRow, password: str, now: dt.datetime) -> tuple:
    return (
        p.user_id,
        password,
        False,
        p.employee_no,
        "",
        False,
        True,
        now,
        p.full_name,
    )


def _person_row(p: PersonRow, now: dt.datetime) -> tuple:
    return (
        *(p.id, p.user_id, p.unit_id, p.employee_no, p.category, p.is_quota),
        *(p.grade, p.leadership_level, p.position_title),
        *(p.joined_on, p.grade_since, p.post_since, True, "", now, now),
    )


def scale_data_exists() -> bool:
    return (
        OrgUnit.objects.filter(code__startswith=PREFIX).exists()
        or Person.objects.filter(employee_no__startswith=PREFIX).exists()
        or get_user_model().objects.filter(username__startswith=PREFIX).exists()
    )


def scale_seed(
    *,
    units: int = 3600,
    people: int = 300_000,
    seed: int = 2026,
    year: int = 2026,
    today: dt.date | None = None,
    progress: Progress | None = None,
    recompute: bool = False,
    certificates: int = 0,
) -> ScaleResult:
    """Create the national tree, ``people`` staff with logins, their 2026 ledger with
    the course enrolments and exam attempts behind its online entries, the national
    programmes, courses and exams. With ``recompute``, then every published
    programme's compliance and roll-ups, and ``certificates`` real certificates for
    people who met a certificate-issuing programme. Each phase commits on its own
    (all or nothing); refuses when seed_scale data is already there."""
    if scale_data_exists():
        raise ScaleDataExists(
            f"seed_scale data (codes starting with {PREFIX!r}) already exists."
        )
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    today = today or timezone.localdate()
    result = ScaleResult()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.seconds[name] = round(now - clock, 2)
        clock = now

    # 1. Units and programmes, committed first: publishing a programme recomputes
    # its (still empty) audience once this commits, not 300,000 people later.
    with transaction.atomic():
        first_unit = _reserve_ids(OrgUnit, units)
        tree = build_tree(units, rng, _next_root_path(), first_unit)
        OrgUnit.objects.bulk_create(
            [
                OrgUnit(
                    id=u.id,
                    path=u.path,
                    depth=len(u.path) // STEPLEN,
                    numchild=len(u.children),
                    code=u.code,
                    name=u.name,
                    short_name=u.short_name[:60],
                    kind=u.kind,
                    level=u.level,
                    sort_order=u.sort_order,
                )
                for u in tree
            ],
            batch_size=BATCH,
        )
        result.units = len(tree)
        if progress:
            progress("units", len(tree), units)
        result.programmes = national_programmes_ensure(
            OrgUnit.objects.get(pk=tree[0].id)
        )
    lap("units_programmes")
    with transaction.atomic():
        catalogue = catalogue_ensure()
    lap("courses_exams")

    # 2. Staff, logins and the ledger, all or nothing.
    with transaction.atomic():
        first_user = _reserve_ids(get_user_model(), people)
        first_person = _reserve_ids(Person, people)
        staff = build_people(
            people,
            tree,
            rng,
            first_person_id=first_person,
            first_user_id=first_user,
            year=year,
        )
        lap("generate_people")
        now = timezone.now()
        # Unusable passwords: these logins exist because Person.user is required,
        # not to be signed in with. One unusable hash per batch keeps it cheap.
        unusable = [make_password(None) for _ in range(math.ceil(people / BATCH) or 1)]
        _write(
            get_user_model(),
            USER_COLUMNS,
            (_user_row(p, unusable[i // BATCH], now) for i, p in enumerate(staff)),
            total=people,
            progress=progress,
            phase="users",
        )
        lap("users")
        _write(
            Person,
            PERSON_COLUMNS,
            (_person_row(p, now) for p in staff),
            total=people,
            progress=progress,
            phase="people",
        )
        result.people = people
        lap("people")
        start = dt.date(year, 1, 1)
        end = min(dt.date(year, 12, 31), max(today, start))
        expected = people * 10
        first_entry = _reserve_ids(LedgerEntry, expected + people * 3)
        # Upper bounds: 12 entries and one course in progress a person; each exam
        # at most twice, plus one failed.
        learning = LearningRows(
            first_enrollment=_reserve_ids(Enrollment, people * 13),
            first_attempt=_reserve_ids(Attempt, people * (2 * len(EXAMS) + 1)),
        )
        result.ledger_entries = _write(
            LedgerEntry,
            LEDGER_COLUMNS,
            ledger_rows(
                staff,
                rng,
                first_id=first_entry,
                start=start,
                end=end,
                political_id=result.programmes.get("political-2026"),
                now=now,
                catalogue=catalogue,
                learning=learning,
            ),
            total=expected,
            progress=progress,
            phase="ledger",
        )
        lap("ledger")
        result.enrollments = _write(
            Enrollment,
            ENROLLMENT_COLUMNS,
            enrollment_rows(learning, catalogue, rng),
            total=len(learning.enrol_user),
            progress=progress,
            phase="enrollments",
        )
        lap("enrollments")
        result.attempts = _write(
            Attempt,
            ATTEMPT_COLUMNS,
            attempt_rows(learning, catalogue, rng),
            total=len(learning.attempt_user),
            progress=progress,
            phase="attempts",
        )
        lap("attempts")
        del learning
    # The commit runs the deferred foreign-key checks of every row written.
    lap("commit")
    if _is_postgres():
        with connection.cursor() as cursor:
            for model in (
                OrgUnit,
                get_user_model(),
                Person,
                LedgerEntry,
                Enrollment,
                Attempt,
            ):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        lap("analyze")
    result.mix = _mix(staff)
    del staff
    if recompute:
        from training.compliance.recompute import compliance_recompute

        # One transaction per programme; each rebuilds its cycle's roll-ups.
        result.compliance = compliance_recompute(
            progress=(lambda n: progress("compliance", n, 0)) if progress else None
        )
        lap("recompute")
        if _is_postgres():
            with connection.cursor() as cursor:
                for model in (ComplianceStatus, UnitRollup, UnitRollupMonth):
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        if certificates:
            result.certificates = certificates_sample(certificates, rng, progress)
            lap("certificates")
    return result


def _mix(staff: list[PersonRow]) -> dict[str, int]:
    mix: dict[str, int] = {}
    for p in staff:
        mix[str(p.category)] = mix.get(str(p.category), 0) + 1
        if p.is_quota:
            mix["quota"] = mix.get("quota", 0) + 1
        if p.leadership_level:
            key = f"lead:{p.leadership_level!s}"
            mix[key] = mix.get(key, 0) + 1
    return mix


@transaction.atomic
def scale_reset() -> dict[str, int]:
    """Delete everything seed_scale made (by the ``S-`` prefix), and what was
    recorded against it since (compliance rows and roll-ups, ledger entries,
    records, enrolments, attempts, certificates with their PDF files). The national
    courses and exams stay: they are shared, and reused by the next seed."""
    user_model = get_user_model()
    people = Person.objects.filter(employee_no__startswith=PREFIX)
    person_ids = people.values("id")
    user_ids = people.values("user_id")
    deleted: dict[str, int] = {}

    def raw(queryset, label: str) -> None:
        # No collector: millions of rows, and nothing cascades from these.
        deleted[label] = queryset._raw_delete(queryset.db)

    certificates = Certificate.objects.filter(person_id__in=person_ids)
    files = [name for name in certificates.values_list("pdf", flat=True) if name]
    CertificateReview.objects.filter(certificate__in=certificates).delete()
    CertificateRevocation.objects.filter(certificate__in=certificates).delete()
    # Re-issues point at what they replace: newest generation first.
    deleted["certificates"] = 0
    for generation in sorted(
        set(certificates.values_list("generation", flat=True)), reverse=True
    ):
        deleted["certificates"] += certificates.filter(generation=generation).delete()[
            0
        ]
    if files:
        storage = Certificate._meta.get_field("pdf").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
    raw(ComplianceStatus.objects.filter(person_id__in=person_ids), "compliance")
    for model in (ExternalRecord, Exemption, ClassMember):
        model.objects.filter(person_id__in=person_ids).delete()
    raw(LedgerEntry.objects.filter(person_id__in=person_ids), "ledger_entries")
    for model, label in ((Enrollment, "enrollments"), (Attempt, "attempts")):
        rows = model.objects.filter(user_id__in=user_ids)
        # Whatever was recorded against them since (lesson progress, answers).
        for relation in model._meta.related_objects:
            relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": rows}
            ).delete()
        raw(rows, label)
    user_id_list = list(people.values_list("user_id", flat=True))
    raw(people, "people")
    RoleGrant.objects.filter(user_id__in=user_id_list).delete()
    raw(user_model.objects.filter(username__startswith=PREFIX), "users")
    units = OrgUnit.objects.filter(code__startswith=PREFIX)
    programmes = Programme.objects.filter(owner_unit__in=units)
    if programmes.exists():
        raw(ComplianceStatus.objects.filter(programme__in=programmes), "compliance2")
        LedgerEntry.objects.filter(programme__in=programmes).update(programme=None)
        for model in (UnitRollup, UnitRollupMonth):
            raw(model.objects.filter(programme__in=programmes), "rollups2")
        deleted["programmes"] = programmes.delete()[0]
    RoleGrant.objects.filter(unit__in=units).delete()
    raw(ComplianceStatus.objects.filter(unit__in=units), "compliance3")
    raw(UnitRollup.objects.filter(unit__in=units), "rollups")
    raw(UnitRollupMonth.objects.filter(unit__in=units), "rollup_months")
    deleted["units"] = units.count()
    for root in units.filter(depth=1):
        root.delete()  # treebeard: the subtree goes with it
    OrgUnit.objects.filter(code__startswith=PREFIX).delete()  # any left elsewhere
    # Dashboards cached under the old roll-ups go with them.
    transaction.on_commit(lambda: cache.delete(GENERATION_KEY))
    return deleted
