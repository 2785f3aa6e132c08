"""The acceptance test of classes and compliance, in the browser.

A learner owes a political rotation programme (3 days, only training earmarked for
it counts) and sees it "in progress". A coordinator of the city procuratorate
creates a centralised class linked to the programme, adds a session, nominates the
learner, checks them in and completes the class. The learner's compliance page
then shows the programme met, with the class in the explanation.

Elements are found by id, name or CSS class, not by interface text, so the test
keeps passing when the interface is translated."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    OrgUnitFactory,
    PersonFactory,
    Role,
    UserFactory,
    grant,
)
from tests.factories.training import make_programme
from training.classes.models import AttendanceRecord, ClassMember, TrainingClass
from training.compliance.models import ComplianceStatus
from training.ledger.models import LedgerEntry
from training.org.services import role_groups_ensure
from training.programmes.models import Programme

pytestmark = pytest.mark.e2e

CLASS_NAME = "2026 年第二期政治轮训班"


def _past_dates() -> tuple[dt.date, dt.date]:
    """Three days that ended before today, inside this calendar year (the cycle)."""
    today = timezone.localdate()
    first_of_year = dt.date(today.year, 1, 1)
    ends = max(first_of_year, today - dt.timedelta(days=7))
    starts = max(first_of_year, ends - dt.timedelta(days=2))
    return starts, ends


@pytest.fixture
def world(transactional_db, home_page):
    role_groups_ensure()
    prov = OrgUnitFactory(code="PROV", name="某省人民检察院", level="provincial")
    city = OrgUnitFactory(
        code="CITY-A", name="甲市人民检察院", level="municipal", parent=prov
    )
    basic = OrgUnitFactory(code="A1", name="甲市甲一区人民检察院", parent=city)
    learner = PersonFactory(unit=basic, employee_no="310100301", user__full_name="张明")
    coordinator = UserFactory(username="coord-a", full_name="李协调")
    grant(coordinator, Role.COORDINATOR, city)
    version = make_programme(
        prov,
        name="2026 年度政治轮训",
        kind=Programme.Kind.POLITICAL,
        days_required=Decimal("3"),
        credit_scope="earmarked",
    )
    return {
        "city": city,
        "learner": learner,
        "coordinator": coordinator,
        "programme": version.programme,
    }


def sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_class_completion_makes_the_learner_compliant(page, world):
    learner, programme = world["learner"], world["programme"]
    card_id = f"#compliance-{programme.pk}"
    starts, ends = _past_dates()

    # Before the class: the learner owes the programme.
    sign_in(page, learner.user.username)
    page.goto("/compliance/")
    card = page.locator(card_id)
    card.wait_for()
    assert "status-in_progress" in card.get_attribute("class").split()
    assert CLASS_NAME not in card.text_content()

    # The coordinator creates the class, linked to the programme.
    sign_in(page, world["coordinator"].username)
    page.goto("/classes/new/")
    form = page.locator("#class-form")
    form.locator("[name=name]").fill(CLASS_NAME)
    form.locator("[name=kind]").select_option(TrainingClass.Kind.CENTRALISED)
    form.locator("[name=programme]").select_option(str(programme.pk))
    form.locator("[name=organiser_unit]").select_option(str(world["city"].pk))
    form.locator("[name=place]").fill("甲市检察官培训中心")
    form.locator("[name=starts_on]").fill(starts.isoformat())
    form.locator("[name=ends_on]").fill(ends.isoformat())
    form.locator("[name=capacity]").fill("40")
    form.locator("[name=credited_hours]").fill("24")
    form.locator("[name=credited_days]").fill("3")
    form.locator("[name=min_attendance_percent]").fill("80")
    page.click("#save-class")
    page.wait_for_url(re.compile(r"/classes/\d+/$"))
    training_class = TrainingClass.objects.get(name=CLASS_NAME)
    assert training_class.programme_id == programme.pk
    assert training_class.credited_days == Decimal("3")
    detail_url = f"/classes/{training_class.pk}/"

    # One session on the first day.
    page.click("#add-session")
    page.wait_for_url(re.compile(r"/sessions/new/$"))
    session_form = page.locator("#session-form")
    session_form.locator("[name=date]").fill(starts.isoformat())
    session_form.locator("[name=starts_at]").fill("09:00")
    session_form.locator("[name=ends_at]").fill("12:00")
    session_form.locator("[name=title]").fill("学习贯彻检察官职业道德基本准则")
    session_form.locator("button[type=submit]:not([name])").click()
    page.wait_for_url(re.compile(re.escape(detail_url) + "$"))
    assert page.locator("#session-table tbody tr").count() == 1

    # Nominate the learner, found by employee number.
    page.click("#nominate-link")
    page.wait_for_url(re.compile(r"/nominate/$"))
    page.fill("#id_q", learner.employee_no)
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"/nominate/\?q="))
    page.check(f"#person-{learner.pk}")
    page.click("#nominate-submit")
    page.wait_for_url(re.compile(re.escape(detail_url) + "$"))
    member = ClassMember.objects.get(training_class=training_class, person=learner)
    assert page.locator(f"#roster-table #member-{member.pk}").count() == 1

    # Check-in: present.
    page.click("#session-table a[href*='/attendance/']")
    page.wait_for_url(re.compile(r"/attendance/$"))
    page.check(f"#status-{member.pk}-{AttendanceRecord.Status.PRESENT}")
    with page.expect_navigation():
        page.click("#save-attendance")
    assert page.locator(
        f"#status-{member.pk}-{AttendanceRecord.Status.PRESENT}"
    ).is_checked()
    assert AttendanceRecord.objects.get(member=member).status == "present"

    # Complete the class on the confirmation page.
    page.goto(detail_url)
    page.click("#complete-link")
    page.wait_for_url(re.compile(r"/complete/$"))
    assert page.inner_text("#will-pass") == "1"
    assert page.inner_text("#will-fail") == "0"
    page.click("#complete-class")
    page.wait_for_url(re.compile(re.escape(detail_url) + "$"))
    training_class.refresh_from_db()
    assert training_class.status == TrainingClass.Status.COMPLETED
    member.refresh_from_db()
    assert member.result == ClassMember.Result.PASSED
    entry = LedgerEntry.objects.get(person=learner, source=LedgerEntry.Source.CLASS)
    assert entry.programme_id == programme.pk
    assert entry.days == Decimal("3")
    assert entry.hours == Decimal("24")

    # After the class: the learner has met the programme, and the card says why.
    sign_in(page, learner.user.username)
    page.goto("/compliance/")
    card = page.locator(card_id)
    card.wait_for()
    assert "status-compliant" in card.get_attribute("class").split()
    assert CLASS_NAME in card.locator(".counted-table").text_content()
    assert card.locator(f".ledger-entry[data-entry='{entry.pk}']").count() == 1
    assert card.locator(".compliance-missing").count() == 0
    assert (
        ComplianceStatus.objects.get(person=learner, programme=programme).status
        == ComplianceStatus.Status.COMPLIANT
    )
