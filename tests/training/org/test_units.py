"""The organisation tree: creating and moving units keeps paths consistent."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cms.models import AuditEvent
from tests.factories import OrgUnitFactory, Role, UserFactory, grant
from training.org.models import OrgUnit
from training.org.services import org_unit_create, org_unit_move


def fresh(unit):
    return OrgUnit.objects.get(pk=unit.pk)


def test_created_units_form_the_tree(tree):
    assert fresh(tree.a1).get_parent() == tree.city_a
    assert {u.code for u in fresh(tree.prov).get_descendants()} == {
        "CITY-A",
        "CITY-B",
        "A1",
        "A2",
        "B1",
    }
    assert OrgUnit.find_problems() == ([], [], [], [], [])


def test_duplicate_code_is_refused(tree):
    with pytest.raises(ValidationError):
        org_unit_create(code="A1", name="重复", level="basic", parent=tree.city_a)


def test_move_carries_the_subtree(tree):
    office = OrgUnitFactory(code="B1-OFF", kind="office", parent=tree.b1)
    moved = org_unit_move(unit=tree.b1, new_parent=tree.city_a)
    assert moved.get_parent() == tree.city_a
    assert moved.path.startswith(fresh(tree.city_a).path)
    office = fresh(office)
    assert office.get_parent() == moved
    assert office.path.startswith(moved.path)
    assert office.depth == moved.depth + 1
    below_a = {u.code for u in fresh(tree.city_a).get_descendants()}
    assert {"B1", "B1-OFF", "A1", "A2"} == below_a
    assert {u.code for u in fresh(tree.city_b).get_descendants()} == set()
    assert fresh(tree.city_b).numchild == 0
    assert fresh(tree.city_a).numchild == 3
    assert OrgUnit.find_problems() == ([], [], [], [], [])


def test_move_one_level_up(tree):
    moved = org_unit_move(unit=tree.a1, new_parent=tree.prov)
    assert moved.depth == 2
    assert moved.get_parent() == tree.prov
    assert OrgUnit.find_problems() == ([], [], [], [], [])


def test_move_writes_audit_event(tree, superuser):
    org_unit_move(unit=tree.b1, new_parent=tree.city_a, actor=superuser)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UNIT_MOVED)
    assert event.actor == superuser
    assert event.target_id == str(tree.b1.pk)
    assert event.detail == {"from": "CITY-B", "to": "CITY-A"}


@pytest.mark.parametrize("target", ["a1", "city_a"])
def test_move_under_itself_or_descendant_is_refused(tree, target):
    new_parent = tree.city_a if target == "city_a" else tree.a1
    before = {u.code: u.path for u in OrgUnit.objects.all()}
    with pytest.raises(ValidationError):
        org_unit_move(unit=tree.city_a, new_parent=new_parent)
    assert {u.code: u.path for u in OrgUnit.objects.all()} == before
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UNIT_MOVED).exists()


def test_move_with_stale_instances(tree):
    """Callers often hold instances loaded before another move changed the paths."""
    stale_a1, stale_city_b = tree.a1, tree.city_b
    org_unit_move(unit=tree.city_a, new_parent=tree.city_b)
    moved = org_unit_move(unit=stale_a1, new_parent=stale_city_b)
    assert moved.get_parent() == tree.city_b
    assert OrgUnit.find_problems() == ([], [], [], [], [])


def test_coordinator_may_not_move_units(tree, coordinator):
    with pytest.raises(PermissionDenied):
        org_unit_move(unit=tree.a1, new_parent=tree.a2, actor=coordinator)


def test_admin_moves_only_inside_scope(tree):
    admin = UserFactory()
    grant(admin, Role.ADMIN, tree.city_a)
    org_unit_move(unit=tree.a2, new_parent=tree.a1, actor=admin)
    with pytest.raises(PermissionDenied):
        org_unit_move(unit=tree.a1, new_parent=tree.city_b, actor=admin)
    with pytest.raises(PermissionDenied):
        org_unit_move(unit=tree.b1, new_parent=tree.a1, actor=admin)
