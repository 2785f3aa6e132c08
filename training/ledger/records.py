"""External records (外出培训学时申报) around the core ledger services: withdrawal,
decisions that notify the person, bulk approval, approval delegation, and the
scoped reads the record pages need.

The decision itself lives in ``training.ledger.services.external_record_decide``;
this module wraps it so the page, a bulk action and the demo notify the same way.
"""

from __future__ import annotations

from decimal import Decimal
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from training.ledger.models import ApprovalDelegation, ExternalRecord, LedgerEntry
from training.ledger.services import external_record_decide
from training.ledger.signals import credits_changed
from training.notifications.models import Notification
from training.org.models import OrgUnit, Person
from training.org.selectors import (
    MANAGE_ROLES,
    people_visible_to,
    scope_paths,
    unit_in_scope,
)

Status = ExternalRecord.Status


# --- reads ------------------------------------------------------------------------


def _records() -> QuerySet[ExternalRecord]:
    return ExternalRecord.objects.select_related(
        "person__user", "person__unit", "programme", "decided_by", "submitted_by"
    )


def records_of_person(*, person: Person) -> QuerySet[ExternalRecord]:
    return _records().filter(person=person)


def record_get(*, user, record_id: int) -> ExternalRecord | None:
    """One record the user may read: their own, or one of a person in their view
    scope (coordinators and leaders). ``None`` whether it is outside the scope or
    missing, so ids cannot be probed."""
    visible = people_visible_to(user).values("pk")
    return _records().filter(pk=record_id, person__in=visible).first()


def _under(paths, field: str = "person__unit__path") -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths), Q(pk=None))


def _covered(path: str, roots: list[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def records_awaiting_decision(
    *, user, unit: OrgUnit | None = None
) -> QuerySet[ExternalRecord]:
    """Pending records ``user`` may decide, by the same rule as
    ``external_record_can_decide`` but as one query: the delegations are read once
    and turned into path conditions, instead of asking ``approver_unit_for`` per row.

    A record is decided where the nearest delegation on its unit's ancestor chain
    (the unit itself included) points, else at its own unit. So the tree falls into
    regions: each delegated unit's subtree minus the delegated subtrees below it,
    and the rest, approved where it sits.
    """
    pending = (
        _records()
        .filter(status=Status.PENDING)
        .exclude(person__user_id=user.pk)
        .exclude(submitted_by_id=user.pk)
    )
    if unit is not None:
        pending = pending.filter(person__unit__path__startswith=unit.path)
    roots = scope_paths(user, MANAGE_ROLES)
    if roots is None:
        return pending.order_by("submitted_at", "pk")
    if not roots:
        return pending.none()
    delegated = list(
        ApprovalDelegation.objects.values_list("unit__path", "approver_unit__path")
    )
    delegated_paths = [d for d, _a in delegated]

    def below(path: str) -> list[str]:
        return [d for d in delegated_paths if d != path and d.startswith(path)]

    # Undelegated region: in scope, outside every delegated subtree that touches it.
    touching = [
        d
        for d in delegated_paths
        if _covered(d, roots) or any(r.startswith(d) for r in roots)
    ]
    condition = _under(roots) & ~_under(touching)
    # Delegated regions whose approver is in scope.
    for path, approver_path in delegated:
        if _covered(approver_path, roots):
            condition |= _under([path]) & ~_under(below(path))
    return pending.filter(condition).order_by("submitted_at", "pk")


def delegations_visible_to(user) -> QuerySet[ApprovalDelegation]:
    delegations = ApprovalDelegation.objects.select_related(
        "unit", "approver_unit", "created_by"
    ).order_by("unit__path")
    roots = scope_paths(user, MANAGE_ROLES)
    if roots is None:
        return delegations
    return delegations.filter(_under(roots, "unit__path"))


def ledger_rows(*, person: Person) -> list[dict]:
    """The person's ledger, oldest first, with running 学时 and day totals that
    restart every calendar year. Reversals point at what they reverse."""
    entries = list(
        LedgerEntry.objects.filter(person=person)
        .select_related("programme", "created_by", "reverses")
        .order_by("occurred_on", "pk")
    )
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    rows = []
    year = None
    hours = days = Decimal(0)
    for entry in entries:
        if entry.occurred_on.year != year:
            year = entry.occurred_on.year
            hours = days = Decimal(0)
        hours += entry.hours
        days += entry.days
        rows.append(
            {
                "entry": entry,
                "year": year,
                "total_hours": hours,
                "total_days": days,
                "is_reversed": entry.pk in reversed_ids,
                "can_reverse": entry.source != LedgerEntry.Source.REVERSAL
                and entry.pk not in reversed_ids,
            }
        )
    return rows


# --- writes -----------------------------------------------------------------------


@transaction.atomic
def external_record_withdraw(*, record: ExternalRecord, actor) -> ExternalRecord:
    """The person (or whoever submitted it for them) takes back a pending record."""
    record = (
        ExternalRecord.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=record.pk)
    )
    if actor.pk not in {record.person.user_id, record.submitted_by_id}:
        raise PermissionDenied
    if record.status != Status.PENDING:
        raise ValidationError(_("Only a record waiting for approval can be withdrawn."))
    record.status = Status.WITHDRAWN
    record.save(update_fields=["status"])
    # Its 学时 no longer count as waiting for approval.
    credits_changed.send(
        sender=ExternalRecord, person_id=record.person_id, days=[record.ended_on]
    )
    return record


def _notify_decision(record: ExternalRecord) -> Notification:
    # Stored text is read later by someone else: write it in the site language.
    with translation.override(settings.LANGUAGE_CODE):
        if record.status == Status.APPROVED:
            title = _("Your external training record was approved")
            body = _("“%(title)s” now counts: %(hours)s 学时, %(days)s days.") % {
                "title": record.title,
                "hours": record.hours,
                "days": record.days,
            }
        else:
            title = _("Your external training record was rejected")
            body = _("“%(title)s”: %(reason)s") % {
                "title": record.title,
                "reason": record.decision_reason,
            }
    notification, _created = Notification.objects.get_or_create(
        dedupe_key=f"record:{record.pk}:{record.status}",
        defaults={
            "user_id": record.person.user_id,
            "kind": Notification.Kind.RECORD_DECIDED,
            "title": title[:200],
            "body": body,
            "url": reverse("training:records_mine"),
        },
    )
    return notification


@transaction.atomic
def external_record_decide_and_notify(
    *, record: ExternalRecord, actor, approve: bool, reason: str = ""
) -> ExternalRecord:
    record = external_record_decide(
        record=record, actor=actor, approve=approve, reason=reason
    )
    _notify_decision(record)
    return record


@transaction.atomic
def external_records_approve_many(*, record_ids: list[int], actor) -> int:
    """Approve the selected records the actor may decide; all or none. Ids outside
    the actor's queue are refused rather than skipped, so a tampered form fails."""
    wanted = set(record_ids)
    allowed = list(records_awaiting_decision(user=actor).filter(pk__in=wanted))
    if len(allowed) != len(wanted):
        raise PermissionDenied
    for record in allowed:
        external_record_decide_and_notify(record=record, actor=actor, approve=True)
    return len(allowed)


def _may_change_delegation(actor, delegation: ApprovalDelegation) -> bool:
    """Whoever now holds the approvals may hand them back; so may whoever set it
    (while they still manage the unit). A coordinator below cannot take back what
    was handed up over their head."""
    if unit_in_scope(actor, delegation.approver_unit, manage=True):
        return True
    return delegation.created_by_id == actor.pk and unit_in_scope(
        actor, delegation.unit, manage=True
    )


@transaction.atomic
def approval_delegation_set(
    *, unit: OrgUnit, approver_unit: OrgUnit, actor
) -> ApprovalDelegation:
    """Records of people in ``unit``'s subtree are approved by coordinators of
    ``approver_unit`` (an ancestor) from now on."""
    if not unit_in_scope(actor, unit, manage=True):
        raise PermissionDenied
    if not (
        approver_unit.path != unit.path and unit.path.startswith(approver_unit.path)
    ):
        raise ValidationError(
            {"approver_unit": _("Choose a unit above this one in the tree.")}
        )
    delegation = (
        ApprovalDelegation.objects.select_for_update().filter(unit=unit).first()
    )
    if delegation is not None:
        if not _may_change_delegation(actor, delegation):
            raise PermissionDenied
        previous = delegation.approver_unit_id
        delegation.approver_unit = approver_unit
        delegation.created_by = actor
    else:
        previous = None
        delegation = ApprovalDelegation(
            unit=unit, approver_unit=approver_unit, created_by=actor
        )
    delegation.full_clean()
    delegation.save()
    audit_record(
        action=AuditEvent.Action.APPROVAL,
        actor=actor,
        target=delegation,
        detail={
            "delegation": "set",
            "unit": unit.pk,
            "approver_unit": approver_unit.pk,
            "previous": previous,
        },
    )
    return delegation


@transaction.atomic
def approval_delegation_clear(*, unit: OrgUnit, actor) -> None:
    """Approvals of ``unit`` go back to its own coordinators."""
    delegation = (
        ApprovalDelegation.objects.select_for_update(of=("self",))
        .select_related("unit", "approver_unit")
        .filter(unit=unit)
        .first()
    )
    if delegation is None:
        return
    if not unit_in_scope(actor, unit, manage=True) and not unit_in_scope(
        actor, delegation.approver_unit, manage=True
    ):
        raise PermissionDenied
    if not _may_change_delegation(actor, delegation):
        raise PermissionDenied
    audit_record(
        action=AuditEvent.Action.APPROVAL,
        actor=actor,
        target=delegation,
        detail={
            "delegation": "cleared",
            "unit": unit.pk,
            "approver_unit": delegation.approver_unit_id,
        },
    )
    delegation.delete()
