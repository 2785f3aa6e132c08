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
  PostgreSQL they are streamed with ``COPY``, elsewhere with ``bulk_create``.
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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from training.models import (
    ClassMember,
    ComplianceStatus,
    Exemption,
    ExternalRecord,
    LedgerEntry,
    OrgUnit,
    Person,
    Programme,
    RoleGrant,
)

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

# The three yearly national programmes (same keys and rules as training.national).
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
    PostgreSQL, ``bulk_create`` in batches of 5,000 elsewhere."""
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
        attnames = {f.column: f.attname for f in model._meta.concrete_fields}
        names = [attnames[c] for c in columns]
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**dict(zip(names, row, strict=True))))
            if len(batch) >= BATCH:
                model.objects.bulk_create(batch)
                written += len(batch)
                batch = []
                if progress:
                    progress(phase, written, total)
        model.objects.bulk_create(batch)
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


# --- the ledger --------------------------------------------------------------------

HALF = Decimal("0.5")
COURSE_HOURS = [(Decimal("0.25"), 0.2), (HALF, 0.3), (Decimal(1), 0.5)]


def ledger_rows(
    people: list[PersonRow],
    rng: random.Random,
    *,
    first_id: int,
    start: dt.date,
    end: dt.date,
    political_id: int | None,
    now: dt.datetime,
) -> Iterator[tuple]:
    """8–12 entries a person: online courses (0.25–1 学时), passed tests (0.5),
    class attendance with days (political rotation classes earmarked for
    ``political_id``), now and then training elsewhere."""
    span = (end - start).days + 1
    hour_values = [v for v, _w in COURSE_HOURS]
    hour_weights = [w for _v, w in COURSE_HOURS]
    entry_id = first_id
    zero = Decimal(0)
    for person in people:
        for n in range(rng.randint(8, 12)):
            day = start + dt.timedelta(days=rng.randrange(span))
            programme_id = None
            centralised = False
            roll = rng.random()
            if n == 0 and person.category == Category.PROSECUTOR and rng.random() < 0.7:
                source, days = Source.CLASS, Decimal(rng.choice((2, 3, 5, 5, 5)))
                hours = zero
                title = "培训班：2026 年度政治轮训班"
                programme_id, centralised = political_id, True
            elif roll < 0.55:
                source, days = Source.COURSE, zero
                hours = rng.choices(hour_values, hour_weights)[0]
                title = "课程：" + rng.choice(COURSES)
            elif roll < 0.82:
                source, hours, days = Source.QUIZ, HALF, zero
                title = "测试：" + rng.choice(COURSES)
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
                now,
            )
            entry_id += 1


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
    "created_at",
]


# --- programmes --------------------------------------------------------------------


def national_programmes_ensure(owner_unit: OrgUnit) -> dict[str, int]:
    """The yearly national programmes, by key: ``training.national`` when it is
    there, else the three this module knows. Existing keys are left alone."""
    try:
        from training import national
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
    from training.services.programmes import (
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
) -> ScaleResult:
    """Create the national tree, ``people`` staff with logins, their 2026 ledger and
    the national programmes. Refuses when seed_scale data is already there."""
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
            ),
            total=expected,
            progress=progress,
            phase="ledger",
        )
        lap("ledger")
    # The commit runs the deferred foreign-key checks of every row written.
    lap("commit")
    if _is_postgres():
        with connection.cursor() as cursor:
            for model in (OrgUnit, get_user_model(), Person, LedgerEntry):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
        lap("analyze")
    result.mix = _mix(staff)
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
    recorded against it since (compliance rows, ledger entries, records)."""
    user_model = get_user_model()
    people = Person.objects.filter(employee_no__startswith=PREFIX)
    person_ids = people.values("id")
    deleted: dict[str, int] = {}

    def raw(queryset, label: str) -> None:
        # No collector: millions of rows, and nothing cascades from these.
        deleted[label] = queryset._raw_delete(queryset.db)

    raw(ComplianceStatus.objects.filter(person_id__in=person_ids), "compliance")
    for model in (ExternalRecord, Exemption, ClassMember):
        model.objects.filter(person_id__in=person_ids).delete()
    raw(LedgerEntry.objects.filter(person_id__in=person_ids), "ledger_entries")
    user_ids = list(people.values_list("user_id", flat=True))
    raw(people, "people")
    RoleGrant.objects.filter(user_id__in=user_ids).delete()
    raw(user_model.objects.filter(username__startswith=PREFIX), "users")
    units = OrgUnit.objects.filter(code__startswith=PREFIX)
    programmes = Programme.objects.filter(owner_unit__in=units)
    if programmes.exists():
        raw(ComplianceStatus.objects.filter(programme__in=programmes), "compliance2")
        LedgerEntry.objects.filter(programme__in=programmes).update(programme=None)
        deleted["programmes"] = programmes.delete()[0]
    RoleGrant.objects.filter(unit__in=units).delete()
    raw(ComplianceStatus.objects.filter(unit__in=units), "compliance3")
    deleted["units"] = units.count()
    for root in units.filter(depth=1):
        root.delete()  # treebeard: the subtree goes with it
    OrgUnit.objects.filter(code__startswith=PREFIX).delete()  # any left elsewhere
    return deleted
