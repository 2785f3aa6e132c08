"""The national training rules, as data.

Each entry is one programme with its first rule version. ``programmes_national_ensure``
creates and publishes them through the programme services, keyed by ``Programme.key``
so that running it again (``seed_demo``, ``seed_scale``) changes nothing. A rule that
changes later gets a new version in the UI; this module never rewrites a published one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from training.org.models import OrgUnit, Person
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.services import (
    programme_create,
    programme_publish,
    programme_version_create,
)

Kind = Programme.Kind
Version = ProgrammeVersion
LEADERS = [Person.LeadershipLevel.BUREAU.value, Person.LeadershipLevel.COUNTY.value]
SENIOR_GRADES = [
    Person.Grade.SENIOR_1.value,
    Person.Grade.SENIOR_2.value,
    Person.Grade.SENIOR_3.value,
    Person.Grade.SENIOR_4.value,
]
DEPARTMENT = "政治部教育培训处"
RESPONSIBLE = "教育培训处处长"
CONTINUING_FROM = dt.date(2025, 1, 1)

# key -> programme fields and the rule of its first version.
NATIONAL_PROGRAMMES: dict[str, dict[str, Any]] = {
    "annual-on-the-job": {
        "programme": {
            "name": "年度岗位培训",
            "kind": Kind.ON_THE_JOB,
            "description": (
                "全体检察人员每年参加岗位培训累计不少于 90 学时或 12 天，"
                "学时与天数任一达到即为合格。"
            ),
        },
        "version": {
            "effective_from": CONTINUING_FROM,
            "hours_required": Decimal("90"),
            "days_required": Decimal("12"),
            "cycle_kind": Version.CycleKind.CALENDAR_YEAR,
        },
    },
    "annual-online": {
        "programme": {
            "name": "年度网络学习",
            "kind": Kind.ALL_STAFF,
            "description": (
                "全体检察人员每年网络学习不少于 50 学时。课程 30 分钟以上计 1 学时，"
                "15–30 分钟计 0.5 学时，15 分钟以下计 0.25 学时，"
                "通过一次测试计 0.5 学时。"
            ),
        },
        "version": {
            "effective_from": CONTINUING_FROM,
            "online_hours_required": Decimal("50"),
            "cycle_kind": Version.CycleKind.CALENDAR_YEAR,
        },
    },
    "cadre-five-year": {
        "programme": {
            "name": "县处级以上干部五年培训",
            "kind": Kind.LEADERSHIP,
            "description": (
                "县处级以上领导干部每五年参加脱产培训累计不少于 3 个月（90 天）"
                "或 550 学时。五年周期自 2023 年起算。"
            ),
        },
        "version": {
            "effective_from": CONTINUING_FROM,
            "leadership_levels": LEADERS,
            "hours_required": Decimal("550"),
            "days_required": Decimal("90"),
            "cycle_kind": Version.CycleKind.MULTI_YEAR,
            "cycle_years": 5,
            "cycle_anchor_year": 2023,
        },
    },
    "induction": {
        "programme": {
            "name": "初任培训",
            "kind": Kind.INDUCTION,
            "description": (
                "新录用人员入职后一年内完成初任培训，其中集中培训不少于 1 个月"
                "（按 30 天计）。"
            ),
        },
        "version": {
            "effective_from": CONTINUING_FROM,
            "centralised_days_required": Decimal("30"),
            "cycle_kind": Version.CycleKind.EVENT,
            "trigger_event": Version.TriggerEvent.JOINED,
            "window_months": 12,
        },
    },
    "new-chief": {
        "programme": {
            "name": "新任院领导任职培训",
            "kind": Kind.APPOINTMENT,
            "description": (
                "新任检察长、副检察长任职后一年内参加任职培训不少于 15 天。"
            ),
        },
        "version": {
            "effective_from": CONTINUING_FROM,
            "leadership_levels": LEADERS,
            "days_required": Decimal("15"),
            "cycle_kind": Version.CycleKind.EVENT,
            "trigger_event": Version.TriggerEvent.APPOINTED,
            "window_months": 12,
        },
    },
    "senior-promotion": {
        "programme": {
            "name": "晋升高级检察官培训",
            "kind": Kind.PROMOTION,
            "description": (
                "晋升高级检察官后一年内参加晋升培训不少于 30 天或 230 学时。"
            ),
        },
        "version": {
            "effective_from": CONTINUING_FROM,
            "grades": SENIOR_GRADES,
            "hours_required": Decimal("230"),
            "days_required": Decimal("30"),
            "cycle_kind": Version.CycleKind.EVENT,
            "trigger_event": Version.TriggerEvent.PROMOTED,
            "window_months": 12,
        },
    },
    "political-2026": {
        "programme": {
            "name": "2026 年度政治轮训",
            "kind": Kind.POLITICAL,
            "deadline": dt.date(2026, 12, 15),
            "issues_certificate": True,
            "description": (
                "全体检察官于 2026 年 12 月 15 日前参加政治轮训不少于 5 天；"
                "只计入为本项目登记的培训。"
            ),
        },
        "version": {
            "effective_from": dt.date(2026, 1, 1),
            "categories": [Person.Category.PROSECUTOR.value],
            "days_required": Decimal("5"),
            "credit_scope": Version.CreditScope.EARMARKED,
            # One campaign, not a yearly rule: 2027 gets its own programme.
            "cycle_kind": Version.CycleKind.ONCE,
        },
    },
}


@transaction.atomic
def programmes_national_ensure(
    *, owner_unit: OrgUnit, actor=None
) -> dict[str, Programme]:
    """Create and publish the national programmes that do not exist yet.

    Idempotent by ``Programme.key``: an existing programme is left as it is (its
    versions may have been changed on purpose), except that one left without a
    published version gets its first version published. Returns {key: programme}.
    """
    existing = {
        p.key: p for p in Programme.objects.filter(key__in=list(NATIONAL_PROGRAMMES))
    }
    result: dict[str, Programme] = {}
    for key, spec in NATIONAL_PROGRAMMES.items():
        programme = existing.get(key)
        if programme is None:
            programme = programme_create(
                actor=actor,
                owner_unit=owner_unit,
                key=key,
                responsible_department=DEPARTMENT,
                responsible_person=RESPONSIBLE,
                **spec["programme"],
            )
        if not programme.versions.filter(is_published=True).exists():
            version = programme.versions.order_by("-number").first()
            if version is None:
                version = programme_version_create(
                    programme=programme,
                    actor=actor,
                    change_note="国家规定",
                    **spec["version"],
                )
            programme_publish(version=version, actor=actor)
            programme.refresh_from_db()
        result[key] = programme
    return result
