"""Role grants: who may grant what, the groups kept in step, the audit trail."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from cms.models import AuditEvent
from tests.factories import Role, UserFactory, grant
from training.org import selectors
from training.org.models import RoleGrant
from training.org.services import ROLE_GROUPS, role_grant_create, role_grant_revoke


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_role_groups_exist_after_migrate(db):
    names = {name for name, _perms in ROLE_GROUPS.values()}
    assert names <= set(Group.objects.values_list("name", flat=True))


def test_post_migrate_recreates_missing_groups(db):
    from django.core.management.sql import emit_post_migrate_signal

    names = {name for name, _perms in ROLE_GROUPS.values()}
    Group.objects.filter(name__in=names).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert set(Group.objects.filter(name__in=names).values_list("name", flat=True)) == (
        names
    )


def test_role_groups_carry_their_permissions(db):
    for name, perms in ROLE_GROUPS.values():
        group = Group.objects.get(name=name)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert held == set(perms), name


def test_grant_adds_group_and_writes_audit(tree, superuser):
    user = UserFactory()
    made = role_grant_create(
        user=user, role=Role.COORDINATOR, unit=tree.city_a, actor=superuser
    )
    assert made.granted_by == superuser
    assert group_names(user) == {ROLE_GROUPS[Role.COORDINATOR][0]}
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_GRANTED)
    assert event.actor == superuser
    assert event.actor_label == superuser.username
    assert event.target_id == str(user.pk)
    assert event.detail == {"role": "coordinator", "unit": "CITY-A"}


def test_granting_twice_is_one_grant_and_one_event(tree):
    user = UserFactory()
    grant(user, Role.LEADER, tree.a1)
    grant(user, Role.LEADER, tree.a1)
    assert RoleGrant.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_GRANTED).count() == 1


def test_revoke_removes_group_and_writes_audit(tree, superuser):
    user = UserFactory()
    made = grant(user, Role.LEADER, tree.a1)
    role_grant_revoke(grant=made, actor=superuser, reason="调岗")
    assert not RoleGrant.objects.filter(user=user).exists()
    assert group_names(user) == set()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_REVOKED)
    assert event.actor == superuser
    assert event.detail == {"role": "leader", "unit": "A1", "reason": "调岗"}


def test_revoking_one_of_two_grants_keeps_the_group(tree):
    user = UserFactory()
    first = grant(user, Role.LEADER, tree.a1)
    grant(user, Role.LEADER, tree.b1)
    role_grant_revoke(grant=first)
    assert group_names(user) == {ROLE_GROUPS[Role.LEADER][0]}


def test_grant_and_revoke_take_effect_on_the_same_user_object(tree, people):
    user = UserFactory()
    assert not selectors.people_visible_to(user).exclude(user=user).exists()
    made = grant(user, Role.LEADER, tree.b1)
    assert selectors.people_visible_to(user).filter(unit=tree.b1).exists()
    role_grant_revoke(grant=made)
    assert not selectors.people_visible_to(user).filter(unit=tree.b1).exists()


def test_coordinator_grants_inside_scope(tree, coordinator):
    user = UserFactory()
    made = role_grant_create(
        user=user, role=Role.LEADER, unit=tree.a1, actor=coordinator
    )
    assert made.granted_by == coordinator
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.ROLE_GRANTED, target_id=str(user.pk)
    )
    assert event.actor == coordinator


def test_coordinator_cannot_grant_admin(tree, coordinator):
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        role_grant_create(user=user, role=Role.ADMIN, unit=tree.a1, actor=coordinator)
    assert not RoleGrant.objects.filter(user=user).exists()
    assert group_names(user) == set()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LEADER, Role.EDITOR])
def test_coordinator_cannot_grant_outside_scope(tree, coordinator, role):
    user = UserFactory()
    for unit in (tree.city_b, tree.b1, tree.prov):
        with pytest.raises(PermissionDenied):
            role_grant_create(user=user, role=role, unit=unit, actor=coordinator)
    assert not RoleGrant.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.ROLE_GRANTED, target_id=str(user.pk)
    ).exists()


def test_coordinator_cannot_revoke_outside_scope(tree, coordinator):
    made = grant(UserFactory(), Role.LEADER, tree.b1)
    with pytest.raises(PermissionDenied):
        role_grant_revoke(grant=made, actor=coordinator)
    assert RoleGrant.objects.filter(pk=made.pk).exists()


def test_leader_and_learner_cannot_grant(tree, leader, learner):
    for actor in (leader, learner):
        with pytest.raises(PermissionDenied):
            role_grant_create(
                user=UserFactory(), role=Role.LEADER, unit=tree.a1, actor=actor
            )


def test_admin_grants_admin_inside_scope_only(tree):
    admin = UserFactory()
    grant(admin, Role.ADMIN, tree.city_a)
    role_grant_create(user=UserFactory(), role=Role.ADMIN, unit=tree.a2, actor=admin)
    with pytest.raises(PermissionDenied):
        role_grant_create(
            user=UserFactory(), role=Role.ADMIN, unit=tree.city_b, actor=admin
        )
