"""The demo classes: seeded through the services, idempotent."""

from __future__ import annotations

import pytest

from tests.factories import OrgUnitFactory, PersonFactory, Role, UserFactory, grant
from training.classes.models import AttendanceRecord, TrainingClass
from training.demo.classes import COMPLETED_NAME, UPCOMING_NAME, seed_classes
from training.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(db):
    zj = OrgUnitFactory(code="ZJ", name="浙江省人民检察院", level="provincial")
    hz = OrgUnitFactory(code="ZJ-HZ", name="杭州市人民检察院", parent=zj)
    nb = OrgUnitFactory(code="ZJ-NB", name="宁波市人民检察院", parent=zj)
    for index in range(20):
        PersonFactory(unit=hz if index % 2 else nb, employee_no=f"D{index:03d}")
    learner = PersonFactory(unit=hz, user=UserFactory(username="learner"))
    coordinator = UserFactory(username="coordinator")
    grant(coordinator, Role.COORDINATOR, hz)
    return learner


def test_seed_classes_is_idempotent(demo_world):
    seed_classes()
    seed_classes()
    done = TrainingClass.objects.get(name=COMPLETED_NAME)
    assert done.status == TrainingClass.Status.COMPLETED
    assert done.sessions.count() == 5
    assert done.members.count() == 10
    assert done.members.filter(person=demo_world).exists()
    assert AttendanceRecord.objects.filter(member__training_class=done).count() == 50
    assert AttendanceRecord.objects.filter(status="leave").count() == 2
    assert done.members.filter(result="failed").count() == 1
    assert LedgerEntry.objects.filter(source="class").count() == 9
    upcoming = TrainingClass.objects.get(name=UPCOMING_NAME)
    assert upcoming.quotas.count() == 2
    assert upcoming.members.count() == 4
    assert TrainingClass.objects.count() == 2
