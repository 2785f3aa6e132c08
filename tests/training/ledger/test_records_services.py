"""External records around the core: the approval queue and delegation, withdrawal,
decisions that notify, exemptions (免修)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cms.models import AuditEvent
from tests.factories import Role, UserFactory, grant
from tests.factories.training import make_programme
from training.compliance.exemptions import exemption_grant, exemption_revoke
from training.compliance.models import ComplianceStatus
from training.compliance.services import compliance_refresh_person
from training.ledger.models import ApprovalDelegation, ExternalRecord
from training.ledger.records import (
    approval_delegation_clear,
    approval_delegation_set,
    external_record_decide_and_notify,
    external_record_withdraw,
    external_records_approve_many,
    records_awaiting_decision,
)
from training.ledger.services import external_record_can_decide, external_record_submit
from training.notifications.models import Notification

YEAR = timezone.localdate().year
DAY = dt.date(YEAR, 1, 1)


def pdf(name="证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def submit(person, *, hours="8", actor=None, title="专题研修班"):
    return external_record_submit(
        person=person,
        actor=actor or person.user,
        title=title,
        provider="国家检察官学院",
        started_on=DAY,
        ended_on=DAY,
        hours=Decimal(hours),
        days=Decimal("1"),
        is_centralised=True,
        files=[pdf()],
    )


def queue_ids(user, **kwargs):
    return sorted(
        records_awaiting_decision(user=user, **kwargs).values_list("pk", flat=True)
    )


@pytest.fixture
def prov_coordinator(tree):
    user = UserFactory(username="coord-prov")
    grant(user, Role.COORDINATOR, tree.prov)
    return user


@pytest.fixture
def records(people):
    return {code: submit(person) for code, person in people.items()}


def test_queue_is_the_manage_scope_without_delegations(
    records, coordinator, coordinator_b, prov_coordinator
):
    a_side = sorted(records[c].pk for c in ("CITY-A", "A1", "A2"))
    assert queue_ids(coordinator) == a_side
    assert queue_ids(coordinator_b) == sorted(records[c].pk for c in ("CITY-B", "B1"))
    assert len(queue_ids(prov_coordinator)) == 6


def test_delegation_moves_the_approval_right_up(
    tree, records, coordinator, prov_coordinator
):
    record = records["A1"]
    assert external_record_can_decide(coordinator, record)
    approval_delegation_set(unit=tree.a1, approver_unit=tree.prov, actor=coordinator)

    assert not external_record_can_decide(coordinator, record)
    assert external_record_can_decide(prov_coordinator, record)
    assert record.pk not in queue_ids(coordinator)
    assert record.pk in queue_ids(prov_coordinator)
    with pytest.raises(PermissionDenied):
        external_record_decide_and_notify(
            record=record, actor=coordinator, approve=True
        )
    external_record_decide_and_notify(
        record=record, actor=prov_coordinator, approve=True
    )
    record.refresh_from_db()
    assert record.status == ExternalRecord.Status.APPROVED
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.APPROVAL,
        target_id=str(ApprovalDelegation.objects.get().pk),
    ).exists()


def test_queue_matches_can_decide_with_nested_delegations(
    tree, records, coordinator, coordinator_b, prov_coordinator
):
    a2_coordinator = UserFactory(username="coord-a2")
    grant(a2_coordinator, Role.COORDINATOR, tree.a2)
    # CITY-A hands up to PROV, but A2 (below it) hands only to CITY-A: the nearest wins.
    approval_delegation_set(
        unit=tree.city_a, approver_unit=tree.prov, actor=prov_coordinator
    )
    approval_delegation_set(
        unit=tree.a2, approver_unit=tree.city_a, actor=prov_coordinator
    )
    for user in (coordinator, coordinator_b, prov_coordinator, a2_coordinator):
        expected = sorted(
            r.pk
            for r in ExternalRecord.objects.select_related("person__unit")
            if external_record_can_decide(user, r) and r.person.user_id != user.pk
        )
        assert queue_ids(user) == expected, user.username
    assert queue_ids(coordinator) == [records["A2"].pk]
    assert queue_ids(a2_coordinator) == []


def test_delegation_must_point_up_and_stay_in_scope(tree, coordinator):
    with pytest.raises(ValidationError):
        approval_delegation_set(
            unit=tree.city_a, approver_unit=tree.a1, actor=coordinator
        )
    with pytest.raises(PermissionDenied):
        approval_delegation_set(
            unit=tree.b1, approver_unit=tree.prov, actor=coordinator
        )
    assert not ApprovalDelegation.objects.exists()


def test_lower_coordinator_cannot_take_back_what_was_handed_over_their_head(
    tree, prov_coordinator
):
    a1_coordinator = UserFactory(username="coord-a1")
    grant(a1_coordinator, Role.COORDINATOR, tree.a1)
    approval_delegation_set(
        unit=tree.a1, approver_unit=tree.prov, actor=prov_coordinator
    )
    with pytest.raises(PermissionDenied):
        approval_delegation_clear(unit=tree.a1, actor=a1_coordinator)
    approval_delegation_clear(unit=tree.a1, actor=prov_coordinator)
    assert not ApprovalDelegation.objects.exists()


def test_decision_notifies_once(records, coordinator, learner):
    record = records["A1"]
    external_record_decide_and_notify(
        record=record, actor=coordinator, approve=False, reason="证明材料不清晰"
    )
    note = Notification.objects.get()
    assert note.user == learner
    assert note.kind == Notification.Kind.RECORD_DECIDED
    assert note.dedupe_key == f"record:{record.pk}:rejected"
    assert note.url == "/records/"
    with pytest.raises(ValidationError):
        external_record_decide_and_notify(
            record=record, actor=coordinator, approve=True
        )
    assert Notification.objects.count() == 1


def test_learner_cannot_approve_own_record(records, learner):
    with pytest.raises(PermissionDenied):
        external_record_decide_and_notify(
            record=records["A1"], actor=learner, approve=True
        )


def test_bulk_approve_is_all_or_nothing(records, coordinator):
    ids = [records["A1"].pk, records["B1"].pk]
    with pytest.raises(PermissionDenied):
        external_records_approve_many(record_ids=ids, actor=coordinator)
    assert not ExternalRecord.objects.filter(status="approved").exists()
    n = external_records_approve_many(
        record_ids=[records["A1"].pk, records["A2"].pk], actor=coordinator
    )
    assert n == 2
    assert ExternalRecord.objects.filter(status="approved").count() == 2
    assert Notification.objects.count() == 2


def test_withdraw_by_the_person_only_while_pending(records, learner, people):
    record = records["A1"]
    with pytest.raises(PermissionDenied):
        external_record_withdraw(record=record, actor=people["A2"].user)
    external_record_withdraw(record=record, actor=learner)
    record.refresh_from_db()
    assert record.status == ExternalRecord.Status.WITHDRAWN
    with pytest.raises(ValidationError):
        external_record_withdraw(record=record, actor=learner)


def test_withdrawn_hours_no_longer_pending(tree, people, learner):
    make_programme(tree.prov, hours_required=Decimal("90"))
    record = submit(people["A1"], hours="20")
    row = ComplianceStatus.objects.get(person=people["A1"], cycle_start=DAY)
    assert row.pending_hours == Decimal("20")
    external_record_withdraw(record=record, actor=learner)
    row.refresh_from_db()
    assert row.pending_hours == 0


# --- exemptions -------------------------------------------------------------------


@pytest.fixture
def annual(tree):
    return make_programme(tree.prov, hours_required=Decimal("90"))


def status(person, version):
    compliance_refresh_person(person_id=person.pk)
    return ComplianceStatus.objects.get(
        person=person, programme=version.programme, cycle_start=DAY
    ).status


def test_exemption_makes_exempt_and_revocation_undoes_it(people, annual, coordinator):
    person = people["A1"]
    assert status(person, annual) == "in_progress"
    exemption = exemption_grant(
        person=person,
        programme=annual.programme,
        reason="病假",
        valid_from=DAY,
        valid_until=dt.date(YEAR, 12, 31),
        actor=coordinator,
    )
    assert status(person, annual) == "exempt"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.APPROVAL, target_id=str(exemption.pk)
    ).exists()
    exemption_revoke(exemption=exemption, actor=coordinator, reason="已返岗")
    assert status(person, annual) == "in_progress"
    exemption.refresh_from_db()
    assert exemption.revoked_by == coordinator
    with pytest.raises(ValidationError):
        exemption_revoke(exemption=exemption, actor=coordinator, reason="再次")


def test_exemption_checks(people, annual, coordinator, coordinator_b, tree):
    kwargs = {
        "programme": annual.programme,
        "reason": "病假",
        "valid_from": DAY,
        "valid_until": dt.date(YEAR, 12, 31),
    }
    with pytest.raises(PermissionDenied):
        exemption_grant(person=people["A1"], actor=coordinator_b, **kwargs)
    with pytest.raises(ValidationError):
        exemption_grant(
            person=people["A1"],
            actor=coordinator,
            **{**kwargs, "valid_until": DAY - dt.timedelta(days=1)},
        )
    with pytest.raises(ValidationError):
        exemption_grant(
            person=people["A1"], actor=coordinator, **{**kwargs, "reason": " "}
        )
    # Nobody exempts themselves.
    grant(people["A2"].user, Role.COORDINATOR, tree.city_a)
    with pytest.raises(PermissionDenied):
        exemption_grant(person=people["A2"], actor=people["A2"].user, **kwargs)
    assert status(people["A1"], annual) == "in_progress"


def test_four_eyes_declarer_does_not_approve(people, coordinator, prov_coordinator):
    """A coordinator who declares training for someone cannot also approve it."""
    record = submit(people["A1"], actor=coordinator)
    assert not external_record_can_decide(coordinator, record)
    assert record.pk not in queue_ids(coordinator)
    with pytest.raises(PermissionDenied):
        external_record_decide_and_notify(
            record=record, actor=coordinator, approve=True
        )
    assert record.pk in queue_ids(prov_coordinator)
    external_record_decide_and_notify(
        record=record, actor=prov_coordinator, approve=True
    )
    record.refresh_from_db()
    assert record.status == ExternalRecord.Status.APPROVED


def test_approval_moves_hours_from_pending_to_counted(people, coordinator, tree):
    make_programme(tree.prov, hours_required=Decimal("90"))
    record = submit(people["A1"], hours="8")
    row = ComplianceStatus.objects.get(person=people["A1"], cycle_start=DAY)
    assert (row.hours, row.pending_hours) == (0, Decimal("8"))
    external_record_decide_and_notify(record=record, actor=coordinator, approve=True)
    row.refresh_from_db()
    assert (row.hours, row.pending_hours) == (Decimal("8"), 0)
