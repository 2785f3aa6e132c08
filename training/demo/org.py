"""The demo world behind ``manage.py seed_demo``: units, people, logins, pages.

Only data and pure functions live here; the command writes it through the real
services. Everything is fixed or drawn from a seeded ``random.Random`` so every run
produces the same world (same names, ID numbers and dates), which is what makes the
command idempotent and the screenshots in the docs reproducible.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from typing import Any

from training.org.identity import national_id_with_check_digit
from training.org.models import OrgUnit, Person, RoleGrant
from training.org.services.roster.columns import (
    CATEGORY_LABELS,
    GRADE_LABELS,
    LEADERSHIP_LABELS,
)

Kind = OrgUnit.Kind
Level = OrgUnit.Level
Category = Person.Category
Grade = Person.Grade
Lead = Person.LeadershipLevel
Role = RoleGrant.Role

SEED = 20260101
EMAIL_DOMAIN = "jcy.example"  # reserved TLD: demo mail can never reach anyone


# --- units -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    short_name: str
    level: str
    kind: str
    parent: str | None
    sort_order: int
    # First six digits of employee numbers and of demo ID numbers (行政区划代码).
    area: str


_LEVELS = {
    "supreme": Level.SUPREME,
    "province": Level.PROVINCIAL,
    "city": Level.MUNICIPAL,
    "basic": Level.BASIC,
}
_KINDS = {"proc": Kind.PROCURATORATE, "branch": Kind.BRANCH, "office": Kind.OFFICE}

# code, parent, area code (first six digits of employee and ID numbers), level,
# kind, full name, short name
_PROCURATORATES = """
SPP         -        110101 supreme  proc   最高人民检察院 最高检
ZJ          SPP      330000 province proc   浙江省人民检察院 浙江省院
ZJ-HZ       ZJ       330100 city     proc   杭州市人民检察院 杭州市院
ZJ-HZ-XH    ZJ-HZ    330106 basic    proc   杭州市西湖区人民检察院 西湖区院
ZJ-HZ-XH-ZT ZJ-HZ-XH 330106 basic    office 杭州市西湖区人民检察院转塘检察室 转塘检察室
ZJ-HZ-SC    ZJ-HZ    330102 basic    proc   杭州市上城区人民检察院 上城区院
ZJ-NB       ZJ       330200 city     proc   宁波市人民检察院 宁波市院
ZJ-NB-HS    ZJ-NB    330203 basic    proc   宁波市海曙区人民检察院 海曙区院
JS          SPP      320000 province proc   江苏省人民检察院 江苏省院
JS-NJ       JS       320100 city     proc   南京市人民检察院 南京市院
JS-NJ-XW    JS-NJ    320102 basic    proc   南京市玄武区人民检察院 玄武区院
JS-NJ-GL    JS-NJ    320106 basic    proc   南京市鼓楼区人民检察院 鼓楼区院
JS-SZ       JS       320500 city     proc   苏州市人民检察院 苏州市院
JS-SZ-GS    JS-SZ    320508 basic    proc   苏州市姑苏区人民检察院 姑苏区院
JS-SZ-YQ    JS-SZ    320571 basic    branch 苏州工业园区人民检察院 园区检察院
"""  # JS-SZ-YQ is a 派出院 of the Suzhou municipal procuratorate.

# Internal departments by the level (and kind) of the procuratorate they belong to.
_DEPARTMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    Level.SUPREME: (
        ("01", "第一检察厅"),
        ("ZZB", "政治部"),
        ("JSZX", "检察技术信息研究中心"),
        ("JGXY", "国家检察官学院"),
    ),
    Level.PROVINCIAL: (("01", "第一检察部"), ("02", "第二检察部"), ("ZZB", "政治部")),
    Level.MUNICIPAL: (("01", "第一检察部"), ("02", "第二检察部"), ("ZZB", "政治部")),
    Level.BASIC: (
        ("01", "第一检察部"),
        ("02", "第二检察部"),
        ("ZZB", "政治部"),
        ("JS", "检察技术信息科"),
    ),
    Kind.BRANCH: (("01", "第一检察部"), ("ZZB", "政治部")),
    Kind.OFFICE: (),
}


def demo_units() -> list[UnitSpec]:
    """Every unit, parents before children."""
    units: list[UnitSpec] = []
    lines = _PROCURATORATES.strip().splitlines()
    for order, line in enumerate(lines):
        code, parent, area, level, kind, name, short = line.split()
        parent = None if parent == "-" else parent
        level = _LEVELS[level]
        kind = _KINDS[kind]
        # Siblings sort by sort_order: a unit's own departments first, then the
        # procuratorates under it in the order of the table above.
        units.append(
            UnitSpec(code, name, short, level, kind, parent, 100 + order, area)
        )
        key = level if kind == Kind.PROCURATORATE else kind
        for dept_order, (suffix, dept) in enumerate(_DEPARTMENTS[key]):
            units.append(
                UnitSpec(
                    code=f"{code}-{suffix}",
                    name=f"{name}{dept}",
                    short_name=f"{short}{dept}",
                    level=level,
                    kind=Kind.DEPARTMENT,
                    parent=code,
                    sort_order=dept_order + 1,
                    area=area,
                )
            )
    return units


# --- people ------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One person to create: where, what, and anything that must not be random."""

    unit: str
    category: str
    title: str
    grade: str = ""
    leadership: str = ""
    quota: bool = False
    username: str = ""  # a demo login; becomes the employee number too
    given_name: str = ""  # fixed given name (rare characters)
    joined_on: dt.date | None = None
    grade_since: dt.date | None = None
    post_since: dt.date | None = None


P, A, C = Category.PROSECUTOR, Category.ASSISTANT, Category.CLERK
J, T, S = Category.JUDICIAL_POLICE, Category.TECHNICIAN, Category.ADMINISTRATIVE


def _posts() -> list[Post]:
    posts = [
        Post("SPP-01", P, "第一检察厅厅长", Grade.SENIOR_1, Lead.BUREAU, True),
        Post("SPP-01", P, "员额检察官", Grade.SENIOR_2, quota=True),
        Post("SPP-ZZB", S, "干部教育培训处处长", leadership=Lead.COUNTY),
        Post("SPP-JSZX", T, "信息化运维工程师", username="admin"),
        Post("SPP-JGXY", S, "教学资源部课程编辑", username="editor"),
    ]
    for code in ("ZJ", "JS"):
        posts += [
            Post(code, P, "检察长", Grade.GRAND_2, Lead.BUREAU, True),
            Post(code, P, "副检察长", Grade.SENIOR_1, Lead.BUREAU, True),
            Post(f"{code}-01", P, "第一检察部主任", Grade.SENIOR_2, Lead.COUNTY, True),
            Post(f"{code}-01", P, "员额检察官", Grade.SENIOR_3, quota=True),
            # A prosecutor in a non-case post: keeps the grade, not in the 员额.
            Post(f"{code}-ZZB", P, "政治部副主任", Grade.SENIOR_4, Lead.COUNTY),
        ]
    posts += [
        Post("ZJ", P, "副检察长", Grade.SENIOR_1, Lead.BUREAU, True, username="leader"),
        Post("ZJ-02", C, "书记员"),
        Post("JS-02", A, "检察官助理"),
    ]

    municipal_extra = {
        "ZJ-HZ": Post("ZJ-HZ-02", A, "检察官助理"),
        "ZJ-NB": Post("ZJ-NB", J, "司法警察支队副支队长", leadership=Lead.SECTION),
        "JS-NJ": Post("JS-NJ-02", C, "书记员"),
        "JS-SZ": Post("JS-SZ-ZZB", S, "政治部宣传处科员"),
    }
    for code, extra in municipal_extra.items():
        posts += [
            Post(code, P, "检察长", Grade.SENIOR_3, Lead.COUNTY, True),
            Post(
                f"{code}-01",
                P,
                "第一检察部主任",
                Grade.PROSECUTOR_1,
                Lead.SECTION,
                True,
            ),
            extra,
        ]
    posts.append(Post("ZJ-HZ", P, "副检察长", Grade.SENIOR_4, Lead.COUNTY, True))
    posts.append(
        Post(
            "ZJ-HZ-ZZB",
            S,
            "政治部干部教育培训科科长",
            leadership=Lead.SECTION,
            username="coordinator",
            given_name="文堃",
        )
    )

    # 西湖区院 is the showcase: every category, plus the people the special
    # programmes are about (a new deputy chief, a new entrant, a fresh promotion).
    posts += [
        Post("ZJ-HZ-XH", P, "检察长", Grade.SENIOR_4, Lead.COUNTY, True),
        Post(
            "ZJ-HZ-XH",
            P,
            "副检察长",
            Grade.PROSECUTOR_1,
            Lead.COUNTY,
            True,
            post_since=dt.date(2026, 3, 16),
        ),
        Post("ZJ-HZ-XH", J, "司法警察"),
        Post(
            "ZJ-HZ-XH-01", P, "第一检察部主任", Grade.PROSECUTOR_2, Lead.SECTION, True
        ),
        Post(
            "ZJ-HZ-XH-01",
            P,
            "员额检察官",
            Grade.PROSECUTOR_4,
            quota=True,
            username="learner",
            given_name="喆",
            joined_on=dt.date(2016, 7, 18),
            grade_since=dt.date(2023, 1, 1),
            post_since=dt.date(2021, 9, 1),
        ),
        Post("ZJ-HZ-XH-01", A, "检察官助理", joined_on=dt.date(2026, 7, 1)),
        Post("ZJ-HZ-XH-02", P, "员额检察官", Grade.PROSECUTOR_3, quota=True),
        Post("ZJ-HZ-XH-02", C, "书记员"),
        Post("ZJ-HZ-XH-JS", T, "电子数据检验员"),
        Post("ZJ-HZ-XH-ZZB", S, "政治部主任", leadership=Lead.SECTION),
        Post("ZJ-HZ-XH-ZT", P, "检察室主任", Grade.PROSECUTOR_2, Lead.SECTION, True),
    ]

    basic_extra = {
        "ZJ-HZ-SC": (("ZJ-HZ-SC-01", C, "书记员"), ("ZJ-HZ-SC-02", A, "检察官助理")),
        "ZJ-NB-HS": (("ZJ-NB-HS", J, "司法警察"), ("ZJ-NB-HS-01", C, "书记员")),
        "JS-NJ-XW": (("JS-NJ-XW-01", A, "检察官助理"), ("JS-NJ-XW-JS", T, "技术员")),
        "JS-NJ-GL": (("JS-NJ-GL-JS", T, "检察技术人员"), ("JS-NJ-GL-01", C, "书记员")),
        "JS-SZ-GS": (
            ("JS-SZ-GS-ZZB", S, "政治部科员"),
            ("JS-SZ-GS-01", A, "检察官助理"),
        ),
    }
    for code, extras in basic_extra.items():
        chief = Post(code, P, "检察长", Grade.SENIOR_4, Lead.COUNTY, True)
        prosecutor = Post(f"{code}-01", P, "员额检察官", Grade.PROSECUTOR_3, quota=True)
        if code == "JS-SZ-GS":  # promoted to 高级检察官 this year
            chief = replace(chief, grade_since=dt.date(2026, 5, 1))
        if code == "JS-NJ-GL":
            prosecutor = replace(prosecutor, given_name="䶮")
        if code == "JS-NJ-XW":
            prosecutor = replace(prosecutor, grade=Grade.PROSECUTOR_5)
        posts += [chief, prosecutor, *(Post(*extra) for extra in extras)]

    posts += [
        Post("JS-SZ-YQ", P, "检察长", Grade.SENIOR_4, Lead.COUNTY, True),
        Post("JS-SZ-YQ-01", P, "员额检察官", Grade.PROSECUTOR_2, quota=True),
    ]
    return posts


_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛"
    "段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官")
_GIVEN_MALE = (
    "伟强磊军洋勇杰涛斌超明刚平辉鹏华飞鑫波宁浩宇凯"
    "健俊帆建国志文博晨振海峰瑞天思远航泽嘉毅"
)
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩洁慧欣佳怡悦萍红晶晓雯蕾璐莉梦瑶琪丹秀兰"

# Where demo people were "born" (first six digits of the ID number), per province.
_BIRTH_AREAS = {
    "SPP": ("110101", "110105", "130102", "370102", "420102", "510104", "610113"),
    "ZJ": ("330102", "330106", "330203", "330302", "330602", "331002", "330782"),
    "JS": ("320102", "320106", "320508", "320205", "321002", "320602", "320311"),
}

# Years a person with this grade (prosecutors) or category (others) typically joined.
_JOINED = {
    Grade.GRAND_2: (1987, 1992),
    Grade.SENIOR_1: (1990, 1996),
    Grade.SENIOR_2: (1992, 1998),
    Grade.SENIOR_3: (1995, 2002),
    Grade.SENIOR_4: (1998, 2006),
    Grade.PROSECUTOR_1: (2003, 2010),
    Grade.PROSECUTOR_2: (2006, 2012),
    Grade.PROSECUTOR_3: (2009, 2015),
    Grade.PROSECUTOR_4: (2012, 2018),
    Grade.PROSECUTOR_5: (2017, 2021),
    Category.ASSISTANT: (2016, 2024),
    Category.CLERK: (2018, 2025),
    Category.JUDICIAL_POLICE: (2008, 2020),
    Category.TECHNICIAN: (2006, 2020),
    Category.ADMINISTRATIVE: (2000, 2018),
}
_LAST_YEAR = 2025  # random dates stay before the demo "present" (2026)


def _date(rng: random.Random, first_year: int, last_year: int) -> dt.date:
    year = rng.randint(first_year, max(first_year, last_year))
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _name(rng: random.Random, male: bool, given: str, taken: set[str]) -> str:
    pool = _GIVEN_MALE if male else _GIVEN_FEMALE
    while True:
        if rng.random() < 0.04:
            surname = rng.choice(_COMPOUND_SURNAMES)
        else:
            surname = rng.choice(_SURNAMES)
        if given:
            name = surname + given
        elif rng.random() < 0.3:
            name = surname + rng.choice(pool)
        else:
            name = surname + "".join(rng.sample(pool, 2))
        if name not in taken:
            taken.add(name)
            return name


def demo_people(rng: random.Random) -> list[dict[str, Any]]:
    """One roster row per person, keyed by ``ROSTER_COLUMNS`` keys, with the Chinese
    labels a coordinator would type (the import maps them back to codes)."""
    category_label = {v: k for k, v in CATEGORY_LABELS.items()}
    grade_label = {v: k for k, v in GRADE_LABELS.items()}
    lead_label = {v: k for k, v in LEADERSHIP_LABELS.items()}
    areas = {u.code: u.area for u in demo_units()}
    serials: dict[str, int] = {}
    names: set[str] = set()
    ids: set[str] = set()
    rows = []
    for post in _posts():
        male = rng.random() < 0.62
        area = areas[post.unit]
        if post.username:
            employee_no = post.username
        else:
            serials[area] = serials.get(area, 0) + 1
            employee_no = f"{area}{serials[area]:03d}"
        if post.given_name:
            male = True  # the fixed rare-character names are men's names
        full_name = _name(rng, male, post.given_name, names)
        first, last = _JOINED[post.grade or post.category]
        joined = _date(rng, first, last)
        grade_since = _date(
            rng, min(max(joined.year + 3, 2017), _LAST_YEAR), _LAST_YEAR
        )
        post_since = _date(rng, min(max(joined.year + 1, 2016), _LAST_YEAR), _LAST_YEAR)
        joined = post.joined_on or joined
        grade_since = max(post.grade_since or grade_since, joined)
        post_since = max(post.post_since or post_since, joined)
        born = _date(rng, joined.year - 26, joined.year - 22)
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
            birth_area = rng.choice(_BIRTH_AREAS[post.unit.split("-")[0]])
            national_id = national_id_with_check_digit(
                f"{birth_area}{born:%Y%m%d}{sequence:03d}"
            )
            if national_id not in ids:
                ids.add(national_id)
                break
        rows.append(
            {
                "employee_no": employee_no,
                "full_name": full_name,
                "unit_code": post.unit,
                "category": category_label[post.category],
                "is_quota": "是" if post.quota else "否",
                "grade": grade_label[post.grade] if post.grade else "",
                "leadership_level": lead_label[post.leadership],
                "position_title": post.title,
                "national_id": national_id,
                "email": f"{employee_no}@{EMAIL_DOMAIN}",
                "joined_on": joined,
                "grade_since": grade_since if post.grade else None,
                "post_since": post_since,
                "is_active": "是",
            }
        )
    return rows


# --- logins --------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    role: str  # "" for a plain learner
    unit: str
    description: str


DEMO_LOGINS: tuple[Login, ...] = (
    Login("learner", "", "ZJ-HZ-XH-01", "学员，员额检察官"),
    Login("coordinator", Role.COORDINATOR, "ZJ-HZ", "培训管理员"),
    Login("leader", Role.LEADER, "ZJ", "领导督查"),
    Login("editor", Role.EDITOR, "SPP", "课程编辑"),
    Login("admin", Role.ADMIN, "SPP", "平台管理员，超级用户"),
)
SUPERUSERS = frozenset({"admin"})
# The demo exam and quiz attempts are made by the people of this subtree (the
# coordinator's unit), so the coordinator can grade them; ``learner`` sits only the
# lesson quiz, leaving the exam for the demo.
EXAM_TAKERS_UNIT = "ZJ-HZ"
# The coordinator assigns the political rotation course to this unit subtree (the
# learner's procuratorate); the learner's department gets the overdue assignment.
COURSE_UNIT = "ZJ-HZ-XH"
COURSE_DEPARTMENT = "ZJ-HZ-XH-01"


# --- pages ---------------------------------------------------------------------------

HOME_INTRO = (
    "<p>检察教育培训平台面向全体检察人员，提供在线课程、考试测评、培训班管理、"
    "学时记录和培训证书。</p>"
    "<p>各级检察院的培训管理员在这里布置培训任务、组织集中轮训和岗位培训、审核学时；"
    "领导可随时查看本院及下级院的培训完成情况，并定期向上一级院报告进展。</p>"
)
# What cms/migrations/0003 puts there; replaced, anything else an editor wrote is kept.
STOCK_HOME_INTROS = ("", "<p>面向全国检察人员的在线学习、考试与培训管理平台。</p>")


@dataclass(frozen=True)
class PageSpec:
    slug: str
    title: str
    introduction: str
    body: str


DEMO_PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        slug="guide",
        title="平台使用说明",
        introduction="登录、在线学习、参加培训班和查看学时的基本操作。",
        body=(
            "<h2>登录</h2>"
            "<p>使用工号或电子邮箱登录。账号由本院培训管理员通过人员名册导入开通，"
            "平台不开放自行注册；首次登录请通过“忘记密码”设置密码。"
            "培训管理员、领导、课程编辑和平台管理员须绑定动态口令（TOTP）。</p>"
            "<h2>在线学习</h2>"
            "<p>在“课程”中按专题浏览课程，在“我的学习”中查看必修任务、学习进度和已获学时。"
            "学完课程、通过测试后，学时自动记入个人学时记录。</p>"
            "<h2>培训班</h2>"
            "<p>集中轮训和岗位培训班的考勤由培训管理员登记，合格后计入培训天数；"
            "结业后可下载结业证书，证书可扫码在线核验。</p>"
            "<h2>外部培训</h2>"
            "<p>在其他机构参加的培训，可提交证明材料申请登记，经本院培训管理员审核后计入。</p>"
            "<h2>培训管理员和领导</h2>"
            "<p>培训管理员负责本院及下级院的人员名册、培训任务、培训班和学时审核；"
            "领导可查看本院及下级院的培训完成情况。</p>"
        ),
    ),
    PageSpec(
        slug="rules",
        title="培训制度",
        introduction="检察人员教育培训的时间要求和网络学时计算规则（摘要）。",
        body=(
            "<h2>年度要求</h2><ul>"
            "<li>在职检察人员每年参加岗位培训累计不少于 12 天或 90 学时。</li>"
            "<li>每名检察人员每年网络培训不少于 50 学时。</li>"
            "<li>县处级以上领导干部每 5 年参加集中培训累计不少于 3 个月"
            "或 550 学时。</li>"
            "</ul>"
            "<h2>专项培训</h2><ul>"
            "<li>初任培训：新录用人员 1 年，其中集中培训不少于 1 个月。</li>"
            "<li>任职培训：新任检察长、副检察长在任职 1 年内"
            "参加不少于 15 天的培训。</li>"
            "<li>晋升培训：晋升高级检察官的，在 1 年内"
            "参加不少于 30 天或 230 学时的培训。</li>"
            "<li>政治轮训：按年度计划参加，学习检察官职业道德——忠诚、公正、清廉、文明。</li>"
            "</ul>"
            "<h2>网络学时</h2><ul>"
            "<li>一门课程时长 30 分钟及以上计 1 学时，"
            "15 分钟以上不足 30 分钟计 0.5 学时，不足 15 分钟计 0.25 学时。</li>"
            "<li>通过一次测试计 0.5 学时。</li>"
            "</ul>"
            "<h2>天数与学时</h2>"
            "<p>培训天数和学时分别记录，不相互折算。"
            "未按规定完成培训任务的，年度考核不得评为优秀。</p>"
            "<p>具体要求以本院培训项目的设置为准。</p>"
        ),
    ),
    PageSpec(
        slug="about",
        title="关于平台",
        introduction="平台建设的依据、培训重点和责任落实。",
        body=(
            "<p>本平台依据最高人民检察院关于落实政治轮训制度、开展大规模检察教育培训的要求建设，"
            "面向全体检察人员，重点是领导干部、业务骨干和执法一线检察官，"
            "把集中轮训和岗位培训结合起来。</p>"
            "<h2>培训重点</h2><ul>"
            "<li>法律监督和群众工作能力</li>"
            "<li>信息化应用能力</li>"
            "<li>突发事件处置能力</li>"
            "<li>检察官职业道德：忠诚、公正、清廉、文明</li>"
            "</ul>"
            "<h2>责任落实</h2>"
            "<p>每项培训任务明确责任部门、责任人和时限；"
            "各院定期向上一级院报告培训进展，并纳入考评。</p>"
        ),
    ),
)
