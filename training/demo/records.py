"""Demo external records (外出培训学时申报), an exemption (免修) and a corrected
mistake, so the approval queue, the learner's records page and the ledger page all
have something to show.

Idempotent: records are found again by person and title, the mistaken adjustment
by its ``source_key``; everything is written through the services, so approvals
write ledger entries, notify the person and refresh compliance like real ones.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from training.compliance.exemptions import exemption_grant
from training.compliance.models import Exemption
from training.ledger.models import ExternalRecord, LedgerEntry
from training.ledger.records import external_record_decide_and_notify
from training.ledger.services import (
    external_record_submit,
    ledger_entry_create,
    ledger_entry_reverse,
)
from training.org.models import OrgUnit, Person
from training.programmes.models import Programme

DEMO_TODAY = dt.date(2026, 11, 25)
COORDINATOR_UNIT = "ZJ-HZ"
MISTAKE_KEY = "demo:records:mistaken-adjustment"

# (title, provider, days before today it ended, length in days, 学时, days,
#  centralised, outcome, reason)
RECORDS = (
    (
        "全国检察机关刑事检察业务骨干研修班",
        "国家检察官学院",
        40,
        5,
        "40",
        "5",
        True,
        "approved",
        "",
    ),
    (
        "法治政府建设专题培训",
        "中共杭州市委党校",
        75,
        3,
        "18",
        "3",
        True,
        "approved",
        "",
    ),
    (
        "公益诉讼检察实务讲座",
        "浙江大学光华法学院",
        20,
        1,
        "6",
        "0",
        False,
        "rejected",
        "未附结业证书或签到证明，请补充后重新申报。",
    ),
    ("数字检察专题培训", "浙江省人民检察院", 12, 2, "12", "2", True, "pending", ""),
    (
        "未成年人检察业务培训",
        "浙江省检察官培训学院",
        9,
        2,
        "12",
        "2",
        True,
        "pending",
        "",
    ),
    (
        "检察官职业道德与纪律作风专题讲座",
        "杭州市人民检察院",
        5,
        1,
        "4",
        "0",
        False,
        "pending",
        "",
    ),
)
LEARNER_RECORD = (
    "国家检察官学院 专题研修班",
    "国家检察官学院",
    15,
    5,
    "32",
    "5",
    True,
    "pending",
    "",
)


def _evidence_pdf(title: str, provider: str, name: str, start, end) -> ContentFile:
    from cms.pdf import html_to_pdf

    html = (
        "<html><head><meta charset='utf-8'><style>"
        "body{font-family:'Noto Sans CJK SC',sans-serif;padding:3cm;}"
        "h1{font-size:22pt;text-align:center;}p{font-size:13pt;line-height:2;}"
        "</style></head><body>"
        f"<h1>结业证书</h1><p>{name}同志于 {start:%Y年%m月%d日} 至 {end:%Y年%m月%d日}"
        f"参加{provider}举办的“{title}”，完成全部学习任务，准予结业。</p>"
        f"<p style='text-align:right'>{provider}<br>{end:%Y年%m月%d日}</p>"
        "</body></html>"
    )
    return ContentFile(html_to_pdf(html), name="结业证书.pdf")


def _people(coordinator_unit: OrgUnit) -> tuple[Person | None, list[Person]]:
    people = (
        Person.objects.filter(unit__path__startswith=coordinator_unit.path)
        .select_related("user", "unit")
        .order_by("employee_no")
    )
    learner = people.filter(user__username="learner").first()
    demo_logins = {"learner", "coordinator", "leader", "editor", "admin"}
    others = [p for p in people if p.user.username not in demo_logins]
    return learner, others


def _record(spec, person: Person, today: dt.date) -> tuple[ExternalRecord, bool]:
    title, provider, ago, length, hours, days, centralised, _o, _r = spec
    existing = ExternalRecord.objects.filter(person=person, title=title).first()
    if existing is not None:
        return existing, False
    end = today - dt.timedelta(days=ago)
    start = end - dt.timedelta(days=length - 1)
    record = external_record_submit(
        person=person,
        actor=person.user,
        title=title,
        provider=provider,
        started_on=start,
        ended_on=end,
        hours=Decimal(hours),
        days=Decimal(days),
        is_centralised=centralised,
        note="",
        files=[_evidence_pdf(title, provider, person.full_name, start, end)],
    )
    return record, True


@transaction.atomic
def seed_records(*, stdout=None) -> None:
    unit = OrgUnit.objects.filter(code=COORDINATOR_UNIT).first()
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    if unit is None or coordinator is None:
        if stdout:
            stdout.write("External records: skipped (no demo coordinator).")
        return
    today = min(DEMO_TODAY, timezone.localdate())
    learner, others = _people(unit)
    specs = [(LEARNER_RECORD, learner)] if learner else []
    specs += list(zip(RECORDS, others, strict=False))
    created = 0
    for spec, person in specs:
        record, new = _record(spec, person, today)
        created += new
        outcome, reason = spec[7], spec[8]
        if record.status == ExternalRecord.Status.PENDING and outcome != "pending":
            external_record_decide_and_notify(
                record=record,
                actor=coordinator,
                approve=outcome == "approved",
                reason=reason,
            )

    exempted = _seed_exemption(others, coordinator, today)
    corrected = _seed_correction(others, coordinator, today)
    if stdout:
        stdout.write(
            f"External records: {len(specs)} in the demo, {created} created; "
            f"exemption: {exempted}; corrected adjustment: {corrected}."
        )


def _seed_exemption(others: list[Person], actor, today: dt.date) -> str:
    programme = Programme.objects.filter(
        key="annual-online", status=Programme.Status.PUBLISHED
    ).first()
    if programme is None or len(others) < 7:
        return "skipped (no published annual-online programme)"
    person = others[6]
    if Exemption.objects.filter(person=person, programme=programme).exists():
        return "exists"
    exemption_grant(
        person=person,
        programme=programme,
        reason="病假：住院治疗及康复休养（附医院证明）",
        valid_from=dt.date(today.year, 3, 1),
        valid_until=dt.date(today.year, 12, 31),
        actor=actor,
    )
    return f"{person.full_name}"


def _seed_correction(others: list[Person], actor, today: dt.date) -> str:
    """An adjustment typed for the wrong person, reversed with a reason."""
    if len(others) < 8:
        return "skipped"
    person = others[7]
    entry = LedgerEntry.objects.filter(source_key=MISTAKE_KEY).first()
    if entry is None:
        entry = ledger_entry_create(
            person=person,
            source=LedgerEntry.Source.ADJUSTMENT,
            title="补录：业务培训（纸质签到表）",
            occurred_on=today - dt.timedelta(days=30),
            hours=Decimal("16"),
            days=Decimal("2"),
            reason="根据纸质签到表补录",
            source_key=MISTAKE_KEY,
            actor=actor,
        )
    if not LedgerEntry.objects.filter(reverses=entry).exists():
        ledger_entry_reverse(
            entry=entry, actor=actor, reason="误录：该同志未参加此次培训，冲销。"
        )
    return f"{entry.person.full_name}"
