"""Reads that need care. ``scope`` is the one answer to "whom may this user see?".

A role grant on a unit covers the unit's whole subtree. Superusers see everything.
Every list, detail, export, admin screen and API in the project goes through
``units_visible_to`` / ``people_visible_to``.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from training.org.models import OrgUnit, Person, RoleGrant

Role = RoleGrant.Role

# Which roles let a user read people and units, and which let them change them.
VIEW_ROLES = frozenset({Role.COORDINATOR, Role.LEADER, Role.ADMIN})
MANAGE_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
MFA_ROLES = frozenset({Role.COORDINATOR, Role.LEADER, Role.EDITOR, Role.ADMIN})

_CACHE_ATTR = "_training_grants"


def _grants(user) -> list[tuple[str, str]]:
    """(role, unit path) pairs of the user, memoised on the user object per request."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            RoleGrant.objects.filter(user=user, unit__is_active=True).values_list(
                "role", "unit__path"
            )
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_grants(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def user_roles(user) -> set[str]:
    return {role for role, _path in _grants(user)}


def user_has_role(user, *roles: str) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & set(roles))


def require_view_role(user) -> None:
    """Coordinator, leader or admin somewhere, else PermissionDenied."""
    if not user_has_role(user, *VIEW_ROLES):
        raise PermissionDenied


def require_manage_role(user) -> None:
    """Coordinator or admin somewhere, else PermissionDenied."""
    if not user_has_role(user, *MANAGE_ROLES):
        raise PermissionDenied


def user_requires_mfa(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or bool(user_roles(user) & MFA_ROLES)
    )


def scope_paths(user, roles=VIEW_ROLES) -> list[str] | None:
    """Root paths of the subtrees the user holds one of ``roles`` on.

    ``None`` means "no limit" (superuser); an empty list means "nothing".
    Paths covered by another path in the list are dropped.
    """
    if getattr(user, "is_superuser", False):
        return None
    paths = sorted({path for role, path in _grants(user) if role in roles})
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


def _path_q(paths: list[str], field: str) -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def units_visible_to(user, *, manage: bool = False) -> QuerySet[OrgUnit]:
    paths = scope_paths(user, MANAGE_ROLES if manage else VIEW_ROLES)
    units = OrgUnit.objects.all()
    if paths is None:
        return units
    if not paths:
        return units.none()
    return units.filter(_path_q(paths, "path"))


def people_visible_to(user, *, manage: bool = False) -> QuerySet[Person]:
    """People in the user's scope. A plain learner sees only their own record."""
    people = Person.objects.select_related("user", "unit")
    paths = scope_paths(user, MANAGE_ROLES if manage else VIEW_ROLES)
    if paths is None:
        return people
    own = Q(user_id=user.pk) if (user.is_authenticated and not manage) else Q(pk=None)
    if not paths:
        return people.filter(own)
    return people.filter(own | _path_q(paths, "unit__path"))


def user_ids_in_scope(user) -> QuerySet | None:
    """Ids of the users whose records ``user`` may see as coordinator, leader or
    admin; ``None`` for no limit. Registered with ``cms.scope`` for the lower apps."""
    paths = scope_paths(user, VIEW_ROLES)
    if paths is None:
        return None
    if not paths:
        return Person.objects.none().values("user_id")
    return Person.objects.filter(_path_q(paths, "unit__path")).values("user_id")


def unit_tree_with_headcounts(user) -> list[dict]:
    """The user's units in tree order, each with its active staff: directly in the
    unit and in its whole subtree. Two queries whatever the depth."""
    units = list(units_visible_to(user).order_by("path"))
    direct = dict(
        Person.objects.filter(unit__in=units_visible_to(user), is_active=True)
        .values("unit")
        .annotate(n=Count("id"))
        .values_list("unit", "n")
    )
    # Subtree totals from direct counts: deepest units first add into their parent.
    totals = {u.path: direct.get(u.pk, 0) for u in units}
    for unit in sorted(units, key=lambda u: -u.depth):
        parent_path = unit.path[: -OrgUnit.steplen]
        if parent_path in totals:
            totals[parent_path] += totals[unit.path]
    min_depth = min((u.depth for u in units), default=1)
    return [
        {
            "unit": u,
            "indent": u.depth - min_depth,
            "direct": direct.get(u.pk, 0),
            "total": totals[u.path],
        }
        for u in units
    ]


def unit_in_scope(user, unit: OrgUnit, *, manage: bool = False) -> bool:
    paths = scope_paths(user, MANAGE_ROLES if manage else VIEW_ROLES)
    if paths is None:
        return True
    return any(unit.path.startswith(p) for p in paths)


def require_manager_of(user, person: Person) -> None:
    """Coordinators act on people in their subtree, never on themselves."""
    if user.pk == person.user_id or not unit_in_scope(user, person.unit, manage=True):
        raise PermissionDenied


def person_get(*, user, person_id: int, manage: bool = False) -> Person:
    """One person by id, or PermissionDenied: the same answer whether the id exists
    outside the scope or not at all, so ids cannot be probed."""
    person = people_visible_to(user, manage=manage).filter(pk=person_id).first()
    if person is None:
        raise PermissionDenied
    return person


def managed_person_get(*, user, person_id: int) -> Person:
    """A person whose records ``user`` manages: PermissionDenied without a managing
    role, and (as ``person_get``) for anyone outside the managed scope."""
    require_manage_role(user)
    return person_get(user=user, person_id=person_id, manage=True)


def people_search(
    *,
    user,
    query: str = "",
    unit: OrgUnit | None = None,
    category: str = "",
    active: bool | None = True,
) -> QuerySet[Person]:
    people = people_visible_to(user)
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    if category:
        people = people.filter(category=category)
    if active is not None:
        people = people.filter(is_active=active)
    if query:
        query = query.strip()
        people = people.filter(
            Q(user__full_name__icontains=query) | Q(employee_no__icontains=query)
        )
    return people.order_by("unit__path", "employee_no")


def protected_user_ids(actor, user_ids) -> set[int]:
    """Accounts among ``user_ids`` that hold more rights than ``actor`` could grant
    (superusers; admin-role holders, unless the actor is an admin too). Changing their
    e-mail or active flag would hand the account over, so only higher hands may."""
    if actor is None or actor.is_superuser:
        return set()
    from django.contrib.auth import get_user_model

    user_ids = list(user_ids)
    protected = set(
        get_user_model()
        .objects.filter(pk__in=user_ids, is_superuser=True)
        .values_list("pk", flat=True)
    )
    if not user_has_role(actor, Role.ADMIN):
        protected |= set(
            RoleGrant.objects.filter(user_id__in=user_ids, role=Role.ADMIN).values_list(
                "user_id", flat=True
            )
        )
    return protected


def role_grants_of(user) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(user=user).select_related("unit").order_by("role")


def person_of_user(user) -> Person | None:
    """The signed-in user's own staff record (with unit and user), or ``None`` for
    an account that is not a person (an editor, a superuser)."""
    return Person.objects.select_related("unit", "user").filter(user=user).first()
