"""Reads of classes (培训班) that need care: which classes a user may see or
manage, the class list with its counts, rosters scoped to the reader, a learner's
own classes, and the quotas of a class with the one that covers a unit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet

from training.classes.models import (
    AttendanceRecord,
    ClassMember,
    ClassQuota,
    TrainingClass,
)
from training.org.models import OrgUnit
from training.org.selectors import (
    MANAGE_ROLES,
    VIEW_ROLES,
    people_visible_to,
    scope_paths,
    unit_in_scope,
)

MemberStatus = ClassMember.Status

# Members who hold a seat.
SEATED = (MemberStatus.NOMINATED, MemberStatus.CONFIRMED)


def _path_q(paths: list[str], field_name: str) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q


def _ancestor_paths(paths: list[str]) -> list[str]:
    """Every path above (and including) the given ones: a quota on an ancestor of a
    coordinator's unit covers that coordinator's people too."""
    step = OrgUnit.steplen
    found = set()
    for path in paths:
        for end in range(step, len(path) + 1, step):
            found.add(path[:end])
    return sorted(found)


def classes_visible_to(user) -> QuerySet[TrainingClass]:
    """Classes organised within the user's scope, classes with a quota for a unit in
    (or above) the user's scope, classes with members from the user's scope (their
    rosters show only those members), and the classes the user is a member of."""
    classes = TrainingClass.objects.all()
    paths = scope_paths(user, VIEW_ROLES)
    if paths is None:
        return classes
    q = Q(members__person__user_id=user.pk)
    if paths:
        q |= _path_q(paths, "organiser_unit__path")
        q |= _path_q(paths, "quotas__unit__path")
        q |= Q(quotas__unit__path__in=_ancestor_paths(paths))
        q |= _path_q(paths, "members__person__unit__path")
    # The joins may repeat a class; filtering by id keeps the outer query plain.
    return classes.filter(pk__in=TrainingClass.objects.filter(q).values("pk"))


def class_list_for(user) -> QuerySet[TrainingClass]:
    """The class list page: one query, counts annotated."""
    return (
        classes_visible_to(user)
        .select_related("organiser_unit", "programme")
        .annotate(
            seated=Count(
                "members", filter=Q(members__status__in=SEATED), distinct=True
            ),
            session_count=Count("sessions", distinct=True),
        )
        .order_by("-starts_on", "name")
    )


def class_get(*, user, pk: int) -> TrainingClass:
    """A class the user may read, or PermissionDenied (also for unknown ids)."""
    training_class = (
        classes_visible_to(user)
        .select_related("organiser_unit", "programme", "final_quiz")
        .filter(pk=pk)
        .first()
    )
    if training_class is None:
        raise PermissionDenied
    return training_class


def class_may_manage(user, training_class: TrainingClass) -> bool:
    return user is not None and unit_in_scope(
        user, training_class.organiser_unit, manage=True
    )


def class_get_managed(*, user, pk: int) -> TrainingClass:
    """A class whose organiser unit the user manages, or PermissionDenied."""
    training_class = class_get(user=user, pk=pk)
    if not class_may_manage(user, training_class):
        raise PermissionDenied
    return training_class


def class_may_nominate(user, training_class: TrainingClass) -> bool:
    """Organiser managers, and coordinators whose scope a quota reaches."""
    if class_may_manage(user, training_class):
        return True
    paths = scope_paths(user, MANAGE_ROLES)
    if not paths:
        return False
    quota_paths = [q.unit.path for q in _quotas(training_class)]
    return any(
        qp.startswith(p) or p.startswith(qp) for qp in quota_paths for p in paths
    )


def class_roster(*, user, training_class: TrainingClass) -> list[ClassMember]:
    """Members the user may see (people in their scope, or themselves), each with
    ``attended`` / ``recorded`` counts. Three queries whatever the size."""
    visible = people_visible_to(user).values("pk")
    members = list(
        training_class.members.filter(person__in=visible)
        .select_related("person__user", "person__unit", "nominating_unit")
        .annotate(
            attended=Count(
                "attendance", filter=Q(attendance__status__in=AttendanceRecord.ATTENDED)
            ),
            recorded=Count("attendance"),
        )
        .order_by("person__unit__path", "person__employee_no")
    )
    return members


def classes_of_learner(user) -> list[ClassMember]:
    """The user's own memberships, with the class, its sessions and their own
    attendance. Three queries."""
    return list(
        ClassMember.objects.filter(person__user_id=user.pk)
        .select_related("training_class__organiser_unit", "training_class__programme")
        .prefetch_related(
            "training_class__sessions",
            Prefetch(
                "attendance",
                queryset=AttendanceRecord.objects.only(
                    "id", "member_id", "session_id", "status", "leave_reason"
                ),
            ),
        )
        .order_by("-training_class__starts_on")
    )


def quota_usage(training_class: TrainingClass) -> list[dict[str, Any]]:
    """Each quota with the seats its unit has filled."""
    used = dict(
        training_class.members.filter(status__in=SEATED, nominating_unit__isnull=False)
        .values("nominating_unit")
        .annotate(n=Count("id"))
        .values_list("nominating_unit", "n")
    )
    return [
        {
            "quota": q,
            "used": used.get(q.unit_id, 0),
            "free": q.seats - used.get(q.unit_id, 0),
        }
        for q in training_class.quotas.select_related("unit").order_by("unit__path")
    ]


def _quotas(training_class: TrainingClass) -> list[ClassQuota]:
    cached = getattr(training_class, "_quota_cache", None)
    if cached is None:
        cached = list(training_class.quotas.select_related("unit"))
        training_class._quota_cache = cached
    return cached


def quota_for(training_class: TrainingClass, unit: OrgUnit) -> ClassQuota | None:
    """The quota whose unit's subtree contains ``unit``: the deepest one."""
    matches = [q for q in _quotas(training_class) if unit.path.startswith(q.unit.path)]
    return max(matches, key=lambda q: len(q.unit.path), default=None)
