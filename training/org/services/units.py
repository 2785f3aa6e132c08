from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from training.org.models import OrgUnit
from training.org.selectors import unit_in_scope, user_has_role
from training.org.signals import people_changed


@transaction.atomic
def org_unit_create(
    *,
    code: str,
    name: str,
    level: str,
    kind: str = OrgUnit.Kind.PROCURATORATE,
    short_name: str = "",
    parent: OrgUnit | None = None,
    sort_order: int = 0,
) -> OrgUnit:
    unit = OrgUnit(
        code=code,
        name=name,
        short_name=short_name,
        level=level,
        kind=kind,
        sort_order=sort_order,
    )
    unit.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        return OrgUnit.add_root(instance=unit)
    return parent.add_child(instance=unit)


@transaction.atomic
def org_unit_move(*, unit: OrgUnit, new_parent: OrgUnit, actor=None) -> OrgUnit:
    """Move a unit with its whole subtree under ``new_parent``.

    People, grants and everything else point at units by id, and subtree queries
    use the path that treebeard rewrites for the whole subtree here, so nothing else
    needs touching: scopes follow the move at once.
    """
    if actor is not None and not (
        user_has_role(actor, "admin")
        and unit_in_scope(actor, unit, manage=True)
        and unit_in_scope(actor, new_parent, manage=True)
    ):
        raise PermissionDenied
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    new_parent = OrgUnit.objects.get(pk=new_parent.pk)
    if new_parent.path.startswith(unit.path):
        raise ValidationError(_("A unit cannot be moved under itself."))
    old_parent = unit.get_parent()
    unit.move(new_parent, pos="sorted-child")
    unit.refresh_from_db()
    # Audiences are unit subtrees: who a programme covers may have changed.
    people_changed.send(sender=OrgUnit, person_ids=None)
    audit_record(
        action=AuditEvent.Action.UNIT_MOVED,
        actor=actor,
        target=unit,
        detail={
            "from": old_parent.code if old_parent else None,
            "to": new_parent.code,
        },
    )
    return unit
