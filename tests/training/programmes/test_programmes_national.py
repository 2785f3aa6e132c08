"""The national rules as data: created once, published, evaluated as policy says."""

import datetime as dt

import pytest
from django.utils import translation

from tests.factories import PersonFactory
from tests.factories.training import credit
from training.compliance.models import ComplianceStatus
from training.compliance.services import compliance_refresh_person
from training.ledger.models import LedgerEntry
from training.org.models import Person
from training.programmes.models import Programme
from training.programmes.national import NATIONAL_PROGRAMMES, programmes_national_ensure
from training.programmes.rules import missing_phrases

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def national(tree):
    return programmes_national_ensure(owner_unit=tree.prov)


def row_for(person, key, national, today=TODAY, days=()):
    compliance_refresh_person(person_id=person.pk, today=today, days=days)
    return ComplianceStatus.objects.filter(
        person=person, programme=national[key]
    ).order_by("-cycle_start")


def test_ensure_is_idempotent(tree, national):
    assert set(national) == set(NATIONAL_PROGRAMMES)
    assert all(p.status == Programme.Status.PUBLISHED for p in national.values())
    again = programmes_national_ensure(owner_unit=tree.prov)
    assert {k: p.pk for k, p in again.items()} == {k: p.pk for k, p in national.items()}
    assert Programme.objects.count() == len(NATIONAL_PROGRAMMES)
    for programme in again.values():
        assert programme.versions.count() == 1
        assert programme.versions.get().is_published


def test_annual_on_the_job_12_days_is_enough(people, national):
    person = people["A1"]
    credit(person, days="12", on=dt.date(2026, 3, 1))
    row = row_for(person, "annual-on-the-job", national).get()
    assert row.status == "compliant"
    assert row.cycle_start == dt.date(2026, 1, 1)


def test_annual_on_the_job_89_hours_is_not(people, national):
    person = people["A1"]
    credit(person, "89.5")
    row = row_for(person, "annual-on-the-job", national).get()
    assert row.status == "in_progress"
    assert row.missing["hours"] == "0.50"


def test_annual_online_counts_only_online_hours(people, national):
    person = people["A1"]
    credit(person, "49.5", source=LedgerEntry.Source.COURSE)
    credit(person, "20")  # an adjustment: not online
    row = row_for(person, "annual-online", national).get()
    assert row.status == "in_progress"
    assert row.online_hours == 49.5
    assert row.missing == {"online_hours": "0.50"}
    with translation.override("en"):
        assert missing_phrases(row.missing) == ["online 学时 0.5 short"]


def test_cadre_five_years_counts_2023_to_2027(tree, national):
    cadre = PersonFactory(
        unit=tree.a1, leadership_level=Person.LeadershipLevel.COUNTY, grade="senior3"
    )
    staff = PersonFactory(unit=tree.a1)
    credit(cadre, "300", on=dt.date(2023, 2, 1))
    credit(cadre, "250", on=dt.date(2027, 11, 30))
    credit(cadre, "100", on=dt.date(2022, 12, 31))  # previous cycle
    row = row_for(cadre, "cadre-five-year", national).get()
    assert (row.cycle_start, row.cycle_end) == (
        dt.date(2023, 1, 1),
        dt.date(2027, 12, 31),
    )
    assert row.hours == 550
    assert row.status == "compliant"
    assert not row_for(staff, "cadre-five-year", national).exists()


def test_cadre_90_days_is_enough(tree, national):
    cadre = PersonFactory(unit=tree.a1, leadership_level=Person.LeadershipLevel.BUREAU)
    credit(cadre, days="90", on=dt.date(2024, 5, 1))
    assert row_for(cadre, "cadre-five-year", national).get().status == "compliant"


def test_induction_needs_30_centralised_days_within_a_year(tree, national):
    newcomer = PersonFactory(unit=tree.a1, joined_on=dt.date(2025, 9, 1))
    credit(newcomer, days="20", on=dt.date(2025, 10, 1), centralised=True)
    credit(newcomer, days="20", on=dt.date(2025, 11, 1))  # not centralised
    row = row_for(newcomer, "induction", national).get()
    assert row.cycle_start == dt.date(2025, 9, 1)
    assert row.due_on == dt.date(2026, 8, 31)
    assert row.status == "in_progress"
    assert row.missing == {"centralised_days": "10.0"}
    credit(newcomer, days="10", on=dt.date(2026, 3, 1), centralised=True)
    assert row_for(newcomer, "induction", national).get().status == "compliant"


def test_induction_overdue_after_the_window(tree, national):
    newcomer = PersonFactory(unit=tree.a1, joined_on=dt.date(2025, 3, 1))
    row = row_for(newcomer, "induction", national).get()
    assert row.status == "overdue"


def test_new_chief_15_days_after_appointment(tree, national):
    chief = PersonFactory(
        unit=tree.a1,
        leadership_level=Person.LeadershipLevel.COUNTY,
        post_since=dt.date(2026, 2, 1),
    )
    credit(chief, days="15", on=dt.date(2026, 4, 1))
    assert row_for(chief, "new-chief", national).get().status == "compliant"
    section = PersonFactory(
        unit=tree.a1,
        leadership_level=Person.LeadershipLevel.SECTION,
        post_since=dt.date(2026, 2, 1),
    )
    assert not row_for(section, "new-chief", national).exists()


def test_senior_promotion_230_hours_or_30_days(tree, national):
    promoted = PersonFactory(
        unit=tree.a1, grade="senior4", grade_since=dt.date(2026, 1, 10)
    )
    credit(promoted, "229", on=dt.date(2026, 3, 1))
    row = row_for(promoted, "senior-promotion", national).get()
    assert row.status == "in_progress"
    assert row.missing == {"hours": "1.00", "days": "30.0"}
    credit(promoted, days="30", on=dt.date(2026, 4, 1))
    row = row_for(promoted, "senior-promotion", national).get()
    assert row.status == "compliant"
    junior = PersonFactory(unit=tree.a1, grade="p2", grade_since=dt.date(2026, 1, 10))
    assert not row_for(junior, "senior-promotion", national).exists()


def test_political_counts_only_earmarked_days_and_prosecutors(tree, national):
    prosecutor = PersonFactory(unit=tree.a1)
    credit(prosecutor, days="10", on=dt.date(2026, 3, 1))  # not earmarked
    row = row_for(prosecutor, "political-2026", national).get()
    assert row.status == "in_progress"
    assert row.due_on == dt.date(2026, 12, 15)
    credit(
        prosecutor,
        days="5",
        on=dt.date(2026, 4, 1),
        programme=national["political-2026"],
    )
    assert row_for(prosecutor, "political-2026", national).get().status == "compliant"
    clerk = PersonFactory(unit=tree.a1, category=Person.Category.CLERK, grade="")
    assert not row_for(clerk, "political-2026", national).exists()
    # The rule takes effect in 2026: nothing is measured for 2025.
    assert not row_for(
        prosecutor, "political-2026", national, today=dt.date(2025, 6, 1)
    ).filter(cycle_start__year=2025)
