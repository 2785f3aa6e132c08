"""Demo progress reports for the third quarter of 2026 (called from ``seed_demo``
after programmes and classes are seeded).

Under 浙江省院: 杭州市院 reported on time, 宁波市院's report was returned with a
comment. Under 江苏省院: 南京市院 reported late, 苏州市院 has not reported (逾期未报).
Idempotent: a unit whose report already has a submission is left alone.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from training.org.models import OrgUnit
from training.reports.models import ProgressReport, ReportSubmission
from training.reports.progress_services import (
    progress_report_get_or_create,
    progress_report_return,
    progress_report_submit,
)

PERIOD = ProgressReport.Period.QUARTER
PERIOD_START = dt.date(2026, 7, 1)
ON_TIME = dt.datetime(2026, 10, 9, 10, 30)
LATE = dt.datetime(2026, 10, 16, 15, 0)
RETURN_COMMENT = "请补充集中轮训参训人数偏低的原因及整改措施。"

# unit code -> (demo login that submits, submitted at, returned?)
PLAN = {
    "ZJ-HZ": ("coordinator", ON_TIME, False),
    "ZJ-NB": ("admin", ON_TIME, True),
    "JS-NJ": ("admin", LATE, False),
    # JS-SZ: nothing, so the province sees 逾期未报.
}
PROBLEMS = (
    "一、部分基层院岗位培训学时完成进度偏慢；\n"
    "二、线上学习时间集中在季度末。\n"
    "措施：按月通报完成情况，督促各部门负责人落实。"
)


def seed_reports(*, stdout=None) -> dict[str, str]:
    User = get_user_model()
    users = User.objects.in_bulk(["coordinator", "admin"], field_name="username")
    admin = users.get("admin")
    units = OrgUnit.objects.in_bulk(list(PLAN), field_name="code")
    done: dict[str, str] = {}
    for code, (login, when, returned) in PLAN.items():
        unit = units.get(code)
        actor = users.get(login) or admin
        if unit is None or actor is None:
            continue
        report = progress_report_get_or_create(
            unit=unit, period=PERIOD, period_start=PERIOD_START, actor=actor
        )
        if ReportSubmission.objects.filter(report=report).exists():
            done[code] = "kept"
            continue
        submission = progress_report_submit(
            report=report,
            actor=actor,
            problems=PROBLEMS,
            comments="本季度按计划完成政治轮训第一期。",
        )
        # The demo tells a story about October 2026, whatever day it is seeded.
        ReportSubmission.objects.filter(pk=submission.pk).update(
            submitted_at=timezone.make_aware(when)
        )
        if returned and admin is not None:
            progress_report_return(
                submission=submission, actor=admin, comment=RETURN_COMMENT
            )
        done[code] = "returned" if returned else "submitted"
    if stdout is not None:
        stdout.write(
            "Progress reports (2026 Q3): "
            + ", ".join(f"{code} {state}" for code, state in done.items())
            + "; JS-SZ not submitted."
        )
    return done
