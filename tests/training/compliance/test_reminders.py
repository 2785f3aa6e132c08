"""Daily reminders: 30/7/1-day notices, overdue notices, the Monday digest for
coordinators, e-mail sent once, and a second run that adds nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from tests.factories import Role, UserFactory, grant
from tests.factories.training import make_programme
from training.compliance.models import ComplianceStatus
from training.compliance.recompute import compliance_recompute
from training.compliance.reminders import overdue_counts_by_unit, reminders_send
from training.compliance.services import compliance_refresh_person
from training.notifications.models import Notification

DUE = dt.date(2026, 12, 31)
MONDAY = dt.date(2027, 1, 4)
TUESDAY = dt.date(2027, 1, 5)


@pytest.fixture
def annual(tree):
    return make_programme(tree.prov, hours_required=Decimal("90"))


@pytest.fixture
def statuses(people, annual):
    compliance_recompute(today=dt.date(2026, 6, 1))
    return ComplianceStatus.objects.filter(programme=annual.programme)


def _make_overdue(people):
    for person in people.values():
        compliance_refresh_person(
            person_id=person.pk, today=TUESDAY, days=[dt.date(2026, 6, 1)]
        )


@pytest.mark.parametrize("days", [30, 7, 1])
def test_due_soon_on_each_offset(statuses, people, days):
    counts = reminders_send(today=DUE - dt.timedelta(days=days))
    assert counts["due_soon"] == len(people)
    notes = Notification.objects.filter(kind=Notification.Kind.DUE_SOON)
    assert notes.count() == len(people)
    status = statuses.get(person=people["A1"])
    note = notes.get(user=people["A1"].user)
    assert note.dedupe_key == f"due:{days}:{status.pk}:{DUE}"
    assert note.body  # what is still missing


def test_nothing_on_other_days(statuses):
    assert reminders_send(today=DUE - dt.timedelta(days=8))["due_soon"] == 0
    assert not Notification.objects.exists()


def test_offsets_come_from_the_setting(statuses, settings, people):
    settings.TRAINING_REMINDER_DAYS = (8,)
    assert reminders_send(today=DUE - dt.timedelta(days=8))["due_soon"] == len(people)
    assert reminders_send(today=DUE - dt.timedelta(days=7))["due_soon"] == 0


def test_compliant_people_get_no_reminder(statuses, people):
    statuses.filter(person=people["A1"]).update(status="compliant")
    reminders_send(today=DUE - dt.timedelta(days=7))
    assert not Notification.objects.filter(user=people["A1"].user).exists()


def test_running_twice_adds_nothing_and_mails_once(statuses, people):
    day = DUE - dt.timedelta(days=7)
    first = reminders_send(today=day)
    assert first["emailed"] == len(people)
    assert len(mail.outbox) == len(people)
    second = reminders_send(today=day)
    assert second == {
        "due_soon": 0,
        "overdue": 0,
        "digest": 0,
        "emailed": 0,
        "no_email": 0,
    }
    assert Notification.objects.count() == len(people)
    assert len(mail.outbox) == len(people)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_users_without_email_are_skipped(statuses, people):
    user = people["A1"].user
    user.email = ""
    user.save(update_fields=["email"])
    counts = reminders_send(today=DUE - dt.timedelta(days=1))
    assert counts["no_email"] == 1
    assert len(mail.outbox) == len(people) - 1
    assert Notification.objects.get(user=user).emailed_at is None
    assert all(user.email not in m.to for m in mail.outbox)


def test_overdue_one_per_status_row(statuses, people):
    _make_overdue(people)
    rows = ComplianceStatus.objects.filter(status="overdue")
    assert rows.count() == len(people)
    counts = reminders_send(today=TUESDAY)
    assert counts["overdue"] == len(people)
    row = rows.get(person=people["B1"])
    assert Notification.objects.filter(
        kind="overdue", dedupe_key=f"overdue:{row.pk}:{DUE}"
    ).exists()
    assert reminders_send(today=TUESDAY + dt.timedelta(days=1))["overdue"] == 0


def test_digest_only_on_monday_unless_forced(statuses, people, coordinator):
    _make_overdue(people)
    assert reminders_send(today=TUESDAY)["digest"] == 0
    assert reminders_send(today=TUESDAY, force_digest=True)["digest"] == 1
    assert Notification.objects.filter(kind="digest", user=coordinator).exists()


def test_digest_scoped_to_the_coordinators_units(
    statuses, people, coordinator, coordinator_b, tree, settings
):
    settings.LANGUAGE_CODE = "en"
    _make_overdue(people)
    prov = UserFactory(username="coord-prov")
    grant(prov, Role.COORDINATOR, tree.prov)
    counts = reminders_send(today=MONDAY)
    assert counts["digest"] == 3
    iso = MONDAY.isocalendar()
    digest_a = Notification.objects.get(kind="digest", user=coordinator)
    assert digest_a.dedupe_key == f"digest:{coordinator.pk}:{iso[0]}-W{iso[1]}"
    # CITY-A, A1, A2 are overdue under CITY-A; CITY-B and B1 under CITY-B.
    assert digest_a.body == "年度岗位培训: 3 people overdue"
    digest_b = Notification.objects.get(kind="digest", user=coordinator_b)
    assert digest_b.body == "年度岗位培训: 2 people overdue"
    digest_prov = Notification.objects.get(kind="digest", user=prov)
    assert digest_prov.body == "年度岗位培训: 6 people overdue"
    # learners never get a digest
    assert not Notification.objects.filter(
        kind="digest", user=people["A1"].user
    ).exists()
    assert reminders_send(today=MONDAY)["digest"] == 0


def test_overdue_counts_group_by_unit(statuses, people, annual, tree):
    _make_overdue(people)
    counts = overdue_counts_by_unit(TUESDAY)[annual.programme.pk]
    assert sum(n for _path, n in counts) == len(people)
    assert dict(counts)[tree.a1.path] == 1


def test_query_count_does_not_grow_with_rows(
    statuses, people, django_assert_max_num_queries
):
    # A fixed handful per chunk (read, existing keys, insert, claim, read back), and
    # the overdue sweep's roll-up recount of the current cycle (seven, whatever the
    # number of rows).
    with django_assert_max_num_queries(19):
        reminders_send(today=DUE - dt.timedelta(days=30))


def test_command(statuses, people):
    call_command("send_reminders", "--date", str(DUE - dt.timedelta(days=30)))
    assert Notification.objects.filter(kind="due_soon").count() == len(people)
    call_command("send_reminders", "--date", str(DUE - dt.timedelta(days=30)))
    assert Notification.objects.filter(kind="due_soon").count() == len(people)


def test_task(statuses, people):
    from training.compliance.reminders import reminders_send_task

    result = reminders_send_task.enqueue(str(DUE - dt.timedelta(days=1)))
    assert result.return_value["due_soon"] == len(people)


def test_cycles_past_due_turn_overdue_before_reminding(people, tree):
    """A cycle that ended while in progress is settled as 未达标 by the daily run."""
    import datetime as dt
    from decimal import Decimal

    from tests.factories.training import make_programme
    from training.compliance.models import ComplianceStatus
    from training.compliance.reminders import reminders_send
    from training.compliance.services import compliance_refresh_person

    version = make_programme(tree.prov, hours_required=Decimal("10"))
    person = people["A1"]
    compliance_refresh_person(person_id=person.pk, today=dt.date(2026, 12, 30))
    row = ComplianceStatus.objects.get(person=person, programme=version.programme)
    assert row.status == "in_progress"
    counts = reminders_send(today=dt.date(2027, 1, 2))
    row.refresh_from_db()
    assert row.status == "overdue"
    assert counts["overdue"] >= 1
