"""Role grants. A grant says *where* a role holds; a Django group (kept in step here)
gives the Wagtail admin the model permissions the role needs. Scope always comes from
the grant, never from the group."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction

from cms.audit import audit_record
from cms.models import AuditEvent
from training.org.models import OrgUnit, RoleGrant
from training.org.selectors import forget_grants, unit_in_scope, user_has_role

Role = RoleGrant.Role

# role -> (group name, permission codenames "app_label.codename")
ROLE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    Role.COORDINATOR: (
        "培训管理员",
        (
            "wagtailadmin.access_admin",
            "training.view_orgunit",
            "training.view_person",
            "training.add_person",
            "training.change_person",
            "assessments.view_attempt",
            "assessments.grade_attempt",
            "assessments.view_quiz",
            "assessments.add_quizinvitation",
            "courses.add_assignment",
            "courses.view_assignment",
            "courses.view_enrollment",
        ),
    ),
    Role.LEADER: (
        "领导督查",
        (
            "wagtailadmin.access_admin",
            "training.view_orgunit",
            "training.view_person",
            "assessments.view_attempt",
        ),
    ),
    Role.EDITOR: (
        "课程编辑",
        (
            "wagtailadmin.access_admin",
            "wagtailimages.add_image",
            "wagtailimages.change_image",
            "wagtailimages.choose_image",
            "wagtaildocs.add_document",
            "wagtaildocs.change_document",
            "wagtaildocs.choose_document",
            "assessments.add_question",
            "assessments.change_question",
            "assessments.view_question",
            "assessments.add_subject",
            "assessments.change_subject",
            "assessments.view_subject",
            "assessments.add_quiz",
            "assessments.change_quiz",
            "assessments.view_quiz",
            "assessments.add_questionimport",
            "training.add_certificatetemplate",
            "training.change_certificatetemplate",
            "training.view_certificatetemplate",
        ),
    ),
    Role.ADMIN: (
        "平台管理员",
        (
            "wagtailadmin.access_admin",
            "training.view_orgunit",
            "training.add_orgunit",
            "training.change_orgunit",
            "training.view_person",
            "training.add_person",
            "training.change_person",
            "cms.view_auditevent",
            "assessments.view_attempt",
            "assessments.grade_attempt",
            "assessments.view_quiz",
            "assessments.change_quiz",
            "assessments.add_quizinvitation",
            "courses.add_assignment",
            "courses.view_assignment",
            "courses.view_enrollment",
            "training.add_certificatetemplate",
            "training.change_certificatetemplate",
            "training.view_certificatetemplate",
        ),
    ),
}

# Who may hand out which role: admins any role, coordinators only roles that do not
# exceed their own (coordinator, leader, editor) and only inside their subtree.
_GRANTABLE_BY = {
    Role.ADMIN: {Role.ADMIN},
    Role.COORDINATOR: {Role.ADMIN, Role.COORDINATOR},
    Role.LEADER: {Role.ADMIN, Role.COORDINATOR},
    Role.EDITOR: {Role.ADMIN, Role.COORDINATOR},
}


def role_groups_ensure() -> dict[str, Group]:
    """Create or refresh the role groups and their permissions (idempotent)."""
    groups = {}
    for role, (name, perms) in ROLE_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
        groups[role] = group
    return groups


def _sync_user_groups(user) -> None:
    held = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    names = {role: name for role, (name, _perms) in ROLE_GROUPS.items()}
    groups = {g.name: g for g in Group.objects.filter(name__in=names.values())}
    for role, name in names.items():
        group = groups.get(name)
        if group is None:
            continue
        if role in held:
            user.groups.add(group)
        else:
            user.groups.remove(group)


def _check_may_grant(actor, role: str, unit: OrgUnit) -> None:
    if actor is None:
        return  # management commands and data migrations act as the system
    if not user_has_role(actor, *_GRANTABLE_BY[role]):
        raise PermissionDenied
    if not unit_in_scope(actor, unit, manage=True):
        raise PermissionDenied


@transaction.atomic
def role_grant_create(*, user, role: str, unit: OrgUnit, actor=None) -> RoleGrant:
    _check_may_grant(actor, role, unit)
    grant, created = RoleGrant.objects.get_or_create(
        user=user, role=role, unit=unit, defaults={"granted_by": actor}
    )
    if created:
        grant.full_clean()
        _sync_user_groups(user)
        forget_grants(user)
        audit_record(
            action=AuditEvent.Action.ROLE_GRANTED,
            actor=actor,
            target=user,
            detail={"role": role, "unit": unit.code},
        )
    return grant


@transaction.atomic
def role_grant_revoke(*, grant: RoleGrant, actor=None, reason: str = "") -> None:
    _check_may_grant(actor, grant.role, grant.unit)
    user = grant.user
    detail = {"role": grant.role, "unit": grant.unit.code, "reason": reason}
    grant.delete()
    _sync_user_groups(user)
    forget_grants(user)
    audit_record(
        action=AuditEvent.Action.ROLE_REVOKED, actor=actor, target=user, detail=detail
    )
