"""The demo records seed: believable, idempotent, written through the services."""

from decimal import Decimal

import pytest

from tests.factories import OrgUnitFactory, PersonFactory, Role, UserFactory, grant
from tests.factories.training import make_programme
from training.compliance.models import ComplianceStatus, Exemption
from training.demo.records import seed_records
from training.ledger.models import ExternalRecord, LedgerEntry
from training.notifications.models import Notification
from training.programmes.models import Programme


@pytest.fixture
def demo_world(tree):
    unit = OrgUnitFactory(code="ZJ-HZ", name="杭州市人民检察院", parent=tree.prov)
    coordinator = UserFactory(username="coordinator")
    grant(coordinator, Role.COORDINATOR, unit)
    learner = PersonFactory(unit=unit, employee_no="learner")
    others = [PersonFactory(unit=unit, employee_no=f"HZ{i:03d}") for i in range(9)]
    version = make_programme(
        tree.prov, name="年度网络学习", hours_required=Decimal("50")
    )
    Programme.objects.filter(pk=version.programme_id).update(key="annual-online")
    return learner, others


def test_seed_records_is_idempotent(demo_world):
    learner, others = demo_world
    seed_records()
    seed_records()
    assert ExternalRecord.objects.count() == 7
    mine = ExternalRecord.objects.get(person=learner)
    assert mine.status == "pending"
    assert mine.title == "国家检察官学院 专题研修班"
    evidence = mine.evidence.get()
    assert evidence.file.read(5) == b"%PDF-"
    approved = ExternalRecord.objects.filter(status="approved")
    assert approved.count() == 2
    assert all(r.ledger_entry_id for r in approved)
    rejected = ExternalRecord.objects.get(status="rejected")
    assert rejected.decision_reason
    assert Notification.objects.count() == 3
    assert ExternalRecord.objects.filter(status="pending").count() == 4
    exemption = Exemption.objects.get()
    assert exemption.person == others[6]
    assert (
        ComplianceStatus.objects.get(
            person=others[6], programme__key="annual-online"
        ).status
        == "exempt"
    )
    reversal = LedgerEntry.objects.get(source="reversal")
    assert reversal.reverses.person == others[7]
    assert reversal.hours == -reversal.reverses.hours
