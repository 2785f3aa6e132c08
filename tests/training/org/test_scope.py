"""training.org.selectors: who sees which people and units."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.factories import PersonFactory, Role, UserFactory, grant
from training.org import selectors
from training.org.services import org_unit_move


def codes(people):
    return sorted(p.unit.code for p in people)


def unit_codes(units):
    return sorted(u.code for u in units)


def test_coordinator_sees_own_subtree_only(people, coordinator):
    assert codes(selectors.people_visible_to(coordinator)) == ["A1", "A2", "CITY-A"]
    assert unit_codes(selectors.units_visible_to(coordinator)) == [
        "A1",
        "A2",
        "CITY-A",
    ]


def test_coordinator_manage_scope_matches_view_scope(people, coordinator):
    managed = selectors.people_visible_to(coordinator, manage=True)
    assert codes(managed) == ["A1", "A2", "CITY-A"]


def test_leader_sees_subtree_but_manages_nothing(people, leader):
    assert codes(selectors.people_visible_to(leader)) == ["A1", "A2", "CITY-A"]
    assert not selectors.people_visible_to(leader, manage=True).exists()
    assert not selectors.units_visible_to(leader, manage=True).exists()


def test_learner_sees_only_own_record(people, learner):
    assert list(selectors.people_visible_to(learner)) == [people["A1"]]
    assert not selectors.units_visible_to(learner).exists()
    assert not selectors.people_visible_to(learner, manage=True).exists()


def test_superuser_sees_everyone(people, superuser):
    assert selectors.people_visible_to(superuser).count() == len(people)
    assert selectors.units_visible_to(superuser).count() == 6


def test_anonymous_sees_nobody(people):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.people_visible_to(AnonymousUser()).exists()
    assert not selectors.units_visible_to(AnonymousUser()).exists()


def test_grants_on_several_units_add_up(tree, people):
    user = UserFactory()
    grant(user, Role.COORDINATOR, tree.a2)
    grant(user, Role.LEADER, tree.b1)
    assert codes(selectors.people_visible_to(user)) == ["A2", "B1"]
    assert codes(selectors.people_visible_to(user, manage=True)) == ["A2"]


def test_nested_grants_do_not_duplicate_people(tree, people):
    user = UserFactory()
    grant(user, Role.COORDINATOR, tree.city_a)
    grant(user, Role.LEADER, tree.a1)
    assert selectors.scope_paths(user) == [tree.city_a.path]
    assert codes(selectors.people_visible_to(user)) == ["A1", "A2", "CITY-A"]


def test_editor_role_gives_no_people_scope(tree, people):
    user = UserFactory()
    grant(user, Role.EDITOR, tree.prov)
    assert not selectors.people_visible_to(user).exists()


def test_grant_on_inactive_unit_gives_nothing(tree, people):
    user = UserFactory()
    grant(user, Role.COORDINATOR, tree.city_b)
    tree.city_b.is_active = False
    tree.city_b.save(update_fields=["is_active"])
    selectors.forget_grants(user)
    assert not selectors.people_visible_to(user).exists()


def test_person_get_same_answer_for_foreign_and_missing_ids(people, coordinator):
    assert selectors.person_get(user=coordinator, person_id=people["A2"].pk)
    with pytest.raises(PermissionDenied):
        selectors.person_get(user=coordinator, person_id=people["B1"].pk)
    with pytest.raises(PermissionDenied):
        selectors.person_get(user=coordinator, person_id=999_999)


def test_moved_unit_brings_its_people_into_the_new_scope(tree, people, coordinator):
    assert "B1" not in codes(selectors.people_visible_to(coordinator))
    org_unit_move(unit=tree.b1, new_parent=tree.city_a)
    # Same user object, same request: the grant paths did not change, the units did.
    assert codes(selectors.people_visible_to(coordinator)) == [
        "A1",
        "A2",
        "B1",
        "CITY-A",
    ]
    assert "B1" in unit_codes(selectors.units_visible_to(coordinator))


def test_moved_unit_leaves_the_old_scope(tree, people, coordinator_b):
    assert "B1" in codes(selectors.people_visible_to(coordinator_b))
    org_unit_move(unit=tree.b1, new_parent=tree.city_a)
    assert codes(selectors.people_visible_to(coordinator_b)) == ["CITY-B"]


def test_people_search_filters_within_scope(tree, people, coordinator):
    extra = PersonFactory(unit=tree.b1, employee_no="P-B1-2")
    found = selectors.people_search(user=coordinator, query="P-")
    assert extra not in found
    assert codes(found) == ["A1", "A2", "CITY-A"]
    # A unit filter outside the scope cannot widen it.
    assert not selectors.people_search(user=coordinator, unit=tree.city_b).exists()
    assert codes(selectors.people_search(user=coordinator, unit=tree.a2)) == ["A2"]
