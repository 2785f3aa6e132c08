"""The compliance service end to end on small data: credit, reversal, transfer."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories.training import credit, make_programme
from training.compliance.models import ComplianceStatus
from training.compliance.recompute import compliance_recompute
from training.compliance.services import compliance_refresh_person
from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_entry_reverse
from training.org.models import Person

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def annual(tree):
    return make_programme(
        tree.prov, hours_required=Decimal("90"), days_required=Decimal("12")
    )


def status_of(person, version, today=TODAY):
    compliance_refresh_person(person_id=person.pk, today=today)
    return ComplianceStatus.objects.get(
        person=person,
        programme=version.programme,
        cycle_start=dt.date(today.year, 1, 1),
    )


def test_hours_or_days(people, annual):
    person = people["A1"]
    row = status_of(person, annual)
    assert row.status == "in_progress"
    assert row.missing == {"hours": "90.00", "days": "12.0"}
    credit(person, "80")
    credit(person, days="12", on=dt.date(2026, 4, 1))
    assert status_of(person, annual).status == "compliant"


def test_reversal_changes_status_and_keeps_both_entries(people, annual, coordinator):
    person = people["A1"]
    entry = credit(person, "95")
    assert status_of(person, annual).status == "compliant"
    ledger_entry_reverse(entry=entry, actor=coordinator, reason="重复登记")
    row = status_of(person, annual)
    assert row.status == "in_progress"
    assert row.hours == 0
    assert LedgerEntry.objects.filter(person=person).count() == 2


def test_overdue_after_cycle(people, annual):
    person = people["A1"]
    credit(person, "10", on=dt.date(2025, 5, 1))
    compliance_refresh_person(
        person_id=person.pk, today=dt.date(2026, 1, 5), days=[dt.date(2025, 5, 1)]
    )
    row = ComplianceStatus.objects.get(person=person, cycle_start=dt.date(2025, 1, 1))
    assert row.status == "overdue"
    assert row.missing["hours"] == "80.00"


def test_transfer_keeps_credit(people, annual, tree):
    person = people["A1"]
    credit(person, "50")
    Person.objects.filter(pk=person.pk).update(unit=tree.b1)
    row = status_of(person, annual)
    assert row.hours == Decimal("50")
    assert row.unit_id == tree.b1.pk


def test_bulk_equals_incremental(people, annual):
    credit(people["A1"], "95")
    credit(people["B1"], "5")
    compliance_recompute(today=TODAY)
    rows = dict(
        ComplianceStatus.objects.filter(programme=annual.programme).values_list(
            "person_id", "status"
        )
    )
    assert rows[people["A1"].pk] == "compliant"
    assert rows[people["B1"].pk] == "in_progress"
    assert len(rows) == len(people)


def test_roster_transfer_refreshes_after_commit(
    people, annual, tree, superuser, django_capture_on_commit_callbacks
):
    from tests.factories import roster_upload
    from training.org.services import roster_import_create

    person = people["A1"]
    credit(person, "30")
    row = ComplianceStatus.objects.get(person=person, programme=annual.programme)
    assert row.unit_id == tree.a1.pk
    upload = roster_upload(
        [
            {
                "工号": person.employee_no,
                "姓名": person.full_name,
                "单位代码": "B1",
                "人员类别": "检察官",
            }
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = roster_import_create(actor=superuser, uploaded_file=upload)
    assert record.status == "succeeded", record.errors
    row.refresh_from_db()
    assert row.unit_id == tree.b1.pk  # moved with the person, credit kept
    assert row.hours == Decimal("30")


def test_category_change_leaves_a_running_cycle(people, tree):
    prosecutors = make_programme(
        tree.prov,
        name="检察官轮训",
        days_required=Decimal("5"),
        categories=["prosecutor"],
    )
    person = people["A1"]
    Person.objects.filter(pk=person.pk).update(category="prosecutor")
    status_of(person, prosecutors, today=timezone.localdate())
    Person.objects.filter(pk=person.pk).update(category="clerk")
    compliance_refresh_person(person_id=person.pk)
    assert not ComplianceStatus.objects.filter(person=person).exists()


def test_one_credit_refreshes_in_few_queries(
    people, annual, django_assert_max_num_queries
):
    """The incremental path: the rules come from the cache, nothing is deleted that
    was never there; insert, read back the person's ledger and upsert; then recount
    the unit's roll-ups (one grouped read, two deletes, one insert)."""
    person = people["A1"]
    course = LedgerEntry.Source.COURSE  # the common case: no audit event
    credit(person, "1", source=course)  # warms the rules cache
    with django_assert_max_num_queries(13):
        credit(person, "2", on=dt.date(2026, 3, 2), source=course)


def test_publishing_a_rule_reaches_cached_rules(people, annual, tree):
    person = people["A1"]
    credit(person, "1")
    online = make_programme(
        tree.prov, name="年度网络学习", online_hours_required=Decimal("50")
    )
    credit(person, "1", on=dt.date(2026, 3, 2))
    assert ComplianceStatus.objects.filter(
        person=person, programme=online.programme
    ).exists()


def test_first_evaluation_dates_met_on_by_the_credit_that_sufficed(people, tree):
    """A programme published after people had already learnt enough: they met it with
    their last credit in the cycle, not on the day of the recompute (the monthly
    trend on the dashboard reads met_on)."""
    person = people["A1"]
    credit(person, "50", on=dt.date(2026, 2, 10))
    credit(person, "50", on=dt.date(2026, 4, 20))
    version = make_programme(tree.prov, name="新发布项目", hours_required=Decimal("90"))
    compliance_recompute(programme_ids=[version.programme_id], today=TODAY)
    row = ComplianceStatus.objects.get(person=person, programme=version.programme)
    # The second credit made the 90 学时: met then, not on the recompute's day.
    assert (row.status, row.met_on) == ("compliant", dt.date(2026, 4, 20))
    # Evaluated again later: the day stays.
    compliance_recompute(
        programme_ids=[version.programme_id], today=TODAY + dt.timedelta(days=30)
    )
    row.refresh_from_db()
    assert row.met_on == dt.date(2026, 4, 20)


def test_met_on_is_the_day_of_meeting_when_already_tracked(people, annual):
    person = people["A1"]
    assert status_of(person, annual).status == "in_progress"
    credit(person, "95", on=dt.date(2026, 3, 1))
    row = ComplianceStatus.objects.get(person=person, programme=annual.programme)
    assert row.status == "compliant"
    assert row.met_on == timezone.localdate()


def test_first_evaluation_in_person_refresh_dates_met_on_too(people, tree):
    person = people["A1"]
    credit(person, "95", on=dt.date(2026, 2, 10))
    credit(person, "5", on=dt.date(2026, 5, 1))
    version = make_programme(tree.prov, name="新发布项目", hours_required=Decimal("90"))
    compliance_refresh_person(person_id=person.pk, today=TODAY)
    row = ComplianceStatus.objects.get(person=person, programme=version.programme)
    assert row.met_on == dt.date(2026, 2, 10)
