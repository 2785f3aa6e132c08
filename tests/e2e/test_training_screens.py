"""Screens of programmes, classes, the 学时 ledger and compliance in the browser, on
a small believable world built through the services; saved to docs/screenshots/
as training-*.png when SCREENSHOTS=1.

Every page is checked to load and to show its key elements (found by id, name or
CSS class, not by interface text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.factories import OrgUnitFactory, PersonFactory, Role, UserFactory, grant
from tests.factories.training import make_class, make_programme
from training.classes.attendance import attendance_bulk_record
from training.classes.models import AttendanceRecord
from training.classes.services import class_complete, class_nominate
from training.compliance.exemptions import exemption_grant
from training.compliance.reminders import reminders_send
from training.compliance.services import compliance_refresh_person
from training.ledger.models import LedgerEntry
from training.ledger.records import external_record_decide_and_notify
from training.ledger.services import external_record_submit, ledger_entry_create
from training.notifications.models import Notification
from training.org.models import Person
from training.org.services import role_groups_ensure
from training.reports.models import ProgressReport, ReportSubmission
from training.reports.progress_selectors import report_due_on, report_period_bounds
from training.reports.progress_services import (
    progress_report_get_or_create,
    progress_report_return,
    progress_report_submit,
)

pytestmark = pytest.mark.e2e

PRESENT, LATE, LEAVE, ABSENT = (
    AttendanceRecord.Status.PRESENT,
    AttendanceRecord.Status.LATE,
    AttendanceRecord.Status.LEAVE,
    AttendanceRecord.Status.ABSENT,
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def _open(page, url: str, selector: str):
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.locator(selector).first.wait_for()
    return response


def _ago(today: dt.date, days: int) -> dt.date:
    """``days`` before today, but never before this year's 1 January (the cycle)."""
    return max(dt.date(today.year, 1, 1), today - dt.timedelta(days=days))


def _evidence(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _course(person: Person, title: str, hours: str, on: dt.date) -> LedgerEntry:
    return ledger_entry_create(
        person=person,
        source=LedgerEntry.Source.COURSE,
        title=title,
        hours=Decimal(hours),
        occurred_on=on,
        source_key=f"screens:{person.pk}:{title}:{on}",
    )


@pytest.fixture
def world(transactional_db, home_page, settings):
    today = timezone.localdate()
    year = today.year
    role_groups_ensure()

    prov = OrgUnitFactory(code="PROV", name="某省人民检察院", level="provincial")
    cities = [
        OrgUnitFactory(code=code, name=name, level="municipal", parent=prov)
        for code, name in [
            ("CITY-A", "甲市人民检察院"),
            ("CITY-B", "乙市人民检察院"),
            ("CITY-C", "丙市人民检察院"),
            ("CITY-D", "丁市人民检察院"),
        ]
    ]
    city_a = cities[0]
    a1 = OrgUnitFactory(code="A1", name="甲市甲一区人民检察院", parent=city_a)
    a2 = OrgUnitFactory(code="A2", name="甲市甲二区人民检察院", parent=city_a)

    coordinator = UserFactory(username="coord-prov", full_name="王协调")
    grant(coordinator, Role.COORDINATOR, prov)

    Category = Person.Category
    staff = [
        ("310100301", "张明", a1, Category.PROSECUTOR),
        ("310100302", "李娜", a1, Category.PROSECUTOR),
        ("310100303", "王芳", a1, Category.ASSISTANT),
        ("310100304", "刘洋", a1, Category.CLERK),
        ("310100305", "陈静", a2, Category.PROSECUTOR),
        ("310100306", "杨帆", a2, Category.ASSISTANT),
        ("310100307", "赵磊", a2, Category.JUDICIAL_POLICE),
        ("310100308", "黄敏", city_a, Category.PROSECUTOR),
    ]
    people = [
        PersonFactory(
            unit=unit, employee_no=no, user__full_name=name, category=category
        )
        for no, name, unit, category in staff
    ]
    learner = people[0]

    # Four rules the province sets for everyone below it.
    annual = make_programme(
        prov,
        name="年度岗位培训",
        hours_required=Decimal("90"),
        days_required=Decimal("12"),
    ).programme
    political = make_programme(
        prov,
        name=f"{year} 年度政治轮训",
        kind="political",
        effective_from=dt.date(year, 1, 1),
        days_required=Decimal("5"),
        centralised_days_required=Decimal("5"),
        credit_scope="earmarked",
    ).programme
    online = make_programme(
        prov,
        name="年度网络学习",
        kind="all_staff",
        effective_from=dt.date(year, 1, 1),
        online_hours_required=Decimal("50"),
    ).programme

    # Last year's cycle of the annual rule, never finished: overdue.
    last_year = dt.date(year - 1, 6, 12)
    ledger_entry_create(
        person=learner,
        source=LedgerEntry.Source.CLASS,
        title="培训班：公诉业务能力提升班",
        hours=Decimal("40"),
        days=Decimal("5"),
        occurred_on=last_year,
        is_centralised=True,
        source_key=f"screens:last-year:{learner.pk}",
    )
    compliance_refresh_person(person_id=learner.pk, days=[last_year])

    # This year: online courses and an approved external record make the annual
    # rule; the online rule is exempted.
    for i, (title, hours) in enumerate(
        [
            ("《检察官职业道德基本准则》解读", "1"),
            ("刑事诉讼监督实务", "1"),
            ("检察信息化应用：统一业务应用系统 2.0", "1"),
            ("突发事件处置与舆情应对", "0.5"),
            ("群众工作方法与检察信访", "1"),
        ]
    ):
        _course(learner, title, hours, _ago(today, 200 - i * 20))
    earlier = external_record_submit(
        person=learner,
        actor=learner.user,
        title="全省检察机关业务骨干培训班",
        provider="省检察官学院",
        started_on=_ago(today, 120),
        ended_on=_ago(today, 108),
        hours=Decimal("88"),
        days=Decimal("12"),
        is_centralised=True,
        files=[_evidence("结业证书.pdf")],
    )
    external_record_decide_and_notify(record=earlier, actor=coordinator, approve=True)
    exemption_grant(
        person=learner,
        programme=online,
        reason="借调中央巡视组期间免修，经政治部批准",
        valid_from=dt.date(year, 1, 1),
        valid_until=dt.date(year, 12, 31),
        actor=coordinator,
    )

    # The others: some credit each, so the evaluation has both outcomes.
    for i, person in enumerate(people[1:], start=1):
        _course(person, "《检察官职业道德基本准则》解读", "1", _ago(today, 90))
        if i % 2:
            ledger_entry_create(
                person=person,
                source=LedgerEntry.Source.EXTERNAL,
                title="全省检察机关岗位练兵集中培训",
                hours=Decimal("96"),
                days=Decimal("12"),
                occurred_on=_ago(today, 60 + i),
                is_centralised=True,
                source_key=f"screens:external:{person.pk}",
            )

    # Two of them have done everything this year.
    for person in (people[2], people[5]):
        for i in range(5):
            _course(
                person,
                f"网络专题班：检察业务知识更新（第{i + 1}单元）",
                "10",
                _ago(today, 150 - i * 10),
            )
        ledger_entry_create(
            person=person,
            source=LedgerEntry.Source.EXTERNAL,
            title="省委党校处级干部政治理论轮训",
            days=Decimal("2"),
            occurred_on=_ago(today, 100),
            is_centralised=True,
            programme=political,
            source_key=f"screens:party-school:{person.pk}",
        )
        if person is people[2]:
            ledger_entry_create(
                person=person,
                source=LedgerEntry.Source.EXTERNAL,
                title="全省检察机关岗位练兵集中培训",
                hours=Decimal("96"),
                days=Decimal("12"),
                occurred_on=_ago(today, 61),
                is_centralised=True,
                source_key=f"screens:external:{person.pk}",
            )

    # A political rotation class that ended three weeks ago, completed.
    first_day = _ago(today, 23)
    rotation = make_class(
        city_a,
        actor=coordinator,
        name=f"{year} 年第一期政治轮训班",
        starts_on=first_day,
        ends_on=first_day + dt.timedelta(days=2),
        hours="24",
        days="3",
        sessions=3,
        programme=political,
        description="学习贯彻党的二十大精神和检察官职业道德基本准则。",
    )
    rotation_members = [
        class_nominate(training_class=rotation, person=person, actor=coordinator)
        for person in people[:6]
    ]
    plan = [
        [PRESENT, PRESENT, PRESENT],
        [PRESENT, LATE, PRESENT],
        [PRESENT, PRESENT, PRESENT],
        [PRESENT, (LEAVE, "出庭支持公诉"), PRESENT],
        [ABSENT, ABSENT, PRESENT],
        [PRESENT, PRESENT, LATE],
    ]
    for index, session in enumerate(rotation.sessions.order_by("date")):
        statuses = {}
        for member, marks in zip(rotation_members, plan, strict=True):
            mark = marks[index]
            status, reason = mark if isinstance(mark, tuple) else (mark, "")
            statuses[member.pk] = (status, reason)
        attendance_bulk_record(session=session, statuses=statuses, actor=coordinator)
    class_complete(training_class=rotation, actor=coordinator)

    # An on-the-job class running now: yesterday's session is checked in.
    skills = make_class(
        city_a,
        actor=coordinator,
        name=f"{year} 年度岗位练兵专题培训班",
        kind="on_the_job",
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=2),
        hours="12",
        days="2",
        sessions=2,
    )
    skills_members = [
        class_nominate(training_class=skills, person=person, actor=coordinator)
        for person in people[1:]
    ]
    checkin = skills.sessions.order_by("date").first()
    marks = [PRESENT, PRESENT, LATE, (LEAVE, "外出办案"), PRESENT, ABSENT, PRESENT]
    attendance_bulk_record(
        session=checkin,
        statuses={
            member.pk: mark if isinstance(mark, tuple) else (mark, "")
            for member, mark in zip(skills_members, marks, strict=True)
        },
        actor=coordinator,
    )

    # Records waiting for the coordinator.
    pending = [
        external_record_submit(
            person=learner,
            actor=learner.user,
            title="全国检察机关未成年人检察业务培训班",
            provider="国家检察官学院",
            started_on=_ago(today, 40),
            ended_on=_ago(today, 36),
            hours=Decimal("32"),
            days=Decimal("5"),
            is_centralised=True,
            files=[_evidence("培训证明.pdf")],
        ),
        external_record_submit(
            person=people[4],
            actor=people[4].user,
            title="检察听证实务专题讲座",
            provider="甲市法学会",
            started_on=_ago(today, 15),
            ended_on=_ago(today, 15),
            hours=Decimal("3"),
            days=Decimal("0"),
            is_centralised=False,
            files=[_evidence("签到表.pdf"), _evidence("讲座通知.pdf")],
        ),
    ]

    # Last quarter's progress reports: on time, late, returned, missing.
    quarter = ProgressReport.Period.QUARTER
    previous = report_period_bounds(quarter, today)[0] - dt.timedelta(days=1)
    q_start, q_end = report_period_bounds(quarter, previous)
    due = report_due_on(q_end)
    submitted = {
        "CITY-A": due - dt.timedelta(days=3),
        "CITY-B": due + dt.timedelta(days=4),
        "CITY-D": due - dt.timedelta(days=1),
    }
    for city in cities:
        when = submitted.get(city.code)
        if when is None:
            continue
        report = progress_report_get_or_create(
            unit=city, period=quarter, period_start=q_start, actor=coordinator
        )
        submission = progress_report_submit(
            report=report,
            actor=coordinator,
            problems="部分基层院岗位培训学时完成进度偏慢。",
            comments="本季度按计划完成政治轮训第一期。",
        )
        ReportSubmission.objects.filter(pk=submission.pk).update(
            submitted_at=timezone.make_aware(dt.datetime.combine(when, dt.time(10, 30)))
        )
        if city.code == "CITY-D":
            progress_report_return(
                submission=submission,
                actor=coordinator,
                comment="请补充集中轮训参训人数偏低的原因及整改措施。",
            )

    # Today's reminders: the overdue cycle, and the political rule due this year
    # (reminded today, whatever the number of days left).
    settings.TRAINING_REMINDER_DAYS = (30, 7, 1, (dt.date(year, 12, 31) - today).days)
    reminders_send(today=today)

    return SimpleNamespace(
        today=today,
        prov=prov,
        coordinator=coordinator,
        learner=learner,
        annual=annual,
        political=political,
        online=online,
        rotation=rotation,
        skills=skills,
        checkin=checkin,
        pending=pending,
        q_start=q_start,
    )


def test_learner_screens(page, live_server, world, screenshot):
    w = world
    year = w.today.year
    _login(page, live_server, w.learner.user)

    _open(page, "/compliance/", "#compliance-current")
    statuses = {
        f"compliance-{w.annual.pk}": "status-compliant",
        f"compliance-{w.political.pk}": "status-in_progress",
        f"compliance-{w.online.pk}": "status-exempt",
        f"compliance-{w.annual.pk}-{year - 1}0101": "status-overdue",
    }
    for card_id, status in statuses.items():
        assert status in page.get_attribute(f"#{card_id}", "class").split(), card_id
    political = page.locator(f"#compliance-{w.political.pk}")
    assert w.rotation.name in political.text_content()
    assert political.locator(".compliance-missing li").count() >= 1
    assert page.locator(f"#compliance-{w.annual.pk} .compliance-pending").count() == 1
    screenshot(page, "training-compliance.png")

    _open(page, "/notifications/", "#notification-list")
    kinds = set(
        Notification.objects.filter(user=w.learner.user).values_list("kind", flat=True)
    )
    assert {"overdue", "due_soon", "record"} <= kinds
    notes = Notification.objects.filter(user=w.learner.user)
    for note in notes:
        assert page.locator(f"#notification-{note.pk}").count() == 1
    screenshot(page, "training-notifications.png")


def test_coordinator_screens(page, live_server, world, screenshot):
    w = world
    _login(page, live_server, w.coordinator)
    page.set_viewport_size({"width": 1366, "height": 900})

    _open(page, f"/classes/{w.rotation.pk}/", "#roster-table")
    assert page.locator("#roster-table tbody tr").count() == 6
    # A leave is excused but not attended: 2 of 3 sessions is below 80 %.
    assert page.locator("#roster-table .badge-success").count() == 4
    assert page.locator("#roster-table .badge-error").count() == 2
    assert page.locator("#session-table tbody tr").count() == 3
    screenshot(page, "training-class-detail.png")

    _open(
        page,
        f"/classes/{w.skills.pk}/sessions/{w.checkin.pk}/attendance/",
        "#attendance-form",
    )
    assert page.locator("#attendance-table tbody tr").count() == 7
    assert page.locator("#attendance-form input[type=radio]:checked").count() == 7
    screenshot(page, "training-attendance.png")

    _open(page, "/records/approvals/", "#approval-queue")
    for record in w.pending:
        assert page.locator(f"#queue-record-{record.pk}").count() == 1
    screenshot(page, "training-approvals.png")

    _open(page, f"/programmes/{w.political.pk}/", "#compliance-counts")
    assert page.locator("#rule-summary").count() == 1
    screenshot(page, "training-programme.png")
    version = w.political.versions.get()
    _open(
        page,
        f"/programmes/{w.political.pk}/versions/{version.pk}/edit/",
        "#audience-preview",
    )
    assert page.inner_text("#audience-count").strip() == "8"
    screenshot(page, "training-programme-rule.png")

    _open(page, f"/evaluation/?year={w.today.year}", "#evaluation-table")
    assert page.locator("#evaluation-table tbody tr").count() == 8
    assert page.locator(f"#evaluation-person-{w.learner.pk}").count() == 1
    assert page.locator("#evaluation-table .badge-success").count() == 2
    screenshot(page, "training-evaluation.png")

    _open(
        page,
        f"/progress-reports/children/?unit={w.prov.pk}&period=quarter"
        f"&start={w.q_start.isoformat()}",
        "#children-table",
    )
    for code in ("CITY-A", "CITY-B", "CITY-C", "CITY-D"):
        assert page.locator(f"#child-{code}").count() == 1
    screenshot(page, "training-progress-reports.png")

    _open(page, "/notifications/", "#notification-list")
    assert Notification.objects.filter(user=w.coordinator, kind="report").exists()
