"""Programmes and their rule versions.

A draft version may be edited; publishing freezes it. Changing a published rule means
a new version with an effective date (``programme_version_create`` copies the current
one to start from), so past cycles keep the rule they were measured by.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.audit import audit_record
from cms.models import AuditEvent
from training.org.models import OrgUnit
from training.org.selectors import unit_in_scope
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.rulebook import audience_queryset, programme_rules_changed
from training.programmes.signals import programme_requirements_changed

M2M_FIELDS = (
    "audience_units",
    "required_courses",
    "required_quizzes",
    "required_classes",
)
RULE_FIELDS = (
    "categories",
    "grades",
    "leadership_levels",
    "quota",
    "hours_required",
    "days_required",
    "online_hours_required",
    "centralised_days_required",
    "credit_scope",
    "cycle_kind",
    "cycle_years",
    "cycle_anchor_year",
    "trigger_event",
    "window_months",
)


def _require_owner_scope(actor, unit: OrgUnit) -> None:
    """A programme's owner unit's coordinators (and those above) manage it."""
    if actor is not None and not unit_in_scope(actor, unit, manage=True):
        raise PermissionDenied


@transaction.atomic
def programme_create(*, actor, owner_unit: OrgUnit, **fields: Any) -> Programme:
    _require_owner_scope(actor, owner_unit)
    programme = Programme(owner_unit=owner_unit, created_by=actor, **fields)
    programme.full_clean()
    programme.save()
    return programme


def _set_m2m(version: ProgrammeVersion, m2m: dict[str, Any]) -> None:
    for name in M2M_FIELDS:
        if name in m2m:
            getattr(version, name).set(m2m[name])


@transaction.atomic
def programme_version_create(
    *,
    programme: Programme,
    actor,
    effective_from: dt.date,
    change_note: str = "",
    **rule: Any,
) -> ProgrammeVersion:
    """A new draft version. Fields not given are copied from the latest version."""
    _require_owner_scope(actor, programme.owner_unit)
    latest = programme.versions.order_by("-number").first()
    values: dict[str, Any] = {}
    m2m: dict[str, Any] = {}
    if latest is not None:
        values = {name: getattr(latest, name) for name in RULE_FIELDS}
        m2m = {name: list(getattr(latest, name).all()) for name in M2M_FIELDS}
    for name, value in rule.items():
        if name in M2M_FIELDS:
            m2m[name] = value
        elif name in RULE_FIELDS:
            values[name] = value
        else:
            raise TypeError(name)
    number = (programme.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ProgrammeVersion(
        programme=programme,
        number=number,
        effective_from=effective_from,
        change_note=change_note,
        created_by=actor,
        **values,
    )
    _validate_version(version)
    version.save()
    _set_m2m(version, m2m)
    return version


def _validate_version(version: ProgrammeVersion) -> None:
    version.full_clean()
    has_requirement = any(
        getattr(version, f) is not None
        for f in (
            "hours_required",
            "days_required",
            "online_hours_required",
            "centralised_days_required",
        )
    )
    if not has_requirement and version.pk is None:
        # Required courses/exams/classes are set after the row exists; a version
        # with none of anything is caught again at publish time.
        return
    if version.cycle_kind == ProgrammeVersion.CycleKind.ONCE and not (
        version.programme.deadline
    ):
        raise ValidationError(
            {"cycle_kind": _("A one-off programme needs a deadline.")}
        )


@transaction.atomic
def programme_version_update(
    *, version: ProgrammeVersion, actor, **rule: Any
) -> ProgrammeVersion:
    """Edit a draft version. Published versions are frozen."""
    _require_owner_scope(actor, version.programme.owner_unit)
    if version.is_published:
        raise ValidationError(
            _("A published rule cannot be changed; make a new version.")
        )
    m2m = {k: v for k, v in rule.items() if k in M2M_FIELDS}
    for name, value in rule.items():
        if name in M2M_FIELDS:
            continue
        if name not in (*RULE_FIELDS, "effective_from", "change_note"):
            raise TypeError(name)
        setattr(version, name, value)
    _validate_version(version)
    version.save()
    _set_m2m(version, m2m)
    return version


def audience_count(version: ProgrammeVersion) -> int:
    """How many people a (draft or published) version covers today: the dry run a
    coordinator sees before publishing."""
    return audience_queryset(version).count()


@transaction.atomic
def programme_publish(*, version: ProgrammeVersion, actor) -> ProgrammeVersion:
    """Freeze ``version``, publish the programme, and recompute its compliance in the
    background once this commits."""
    programme = Programme.objects.select_for_update().get(pk=version.programme_id)
    _require_owner_scope(actor, programme.owner_unit)
    version = ProgrammeVersion.objects.get(pk=version.pk)
    requirement = version.hours_required, version.days_required
    has_any = (
        any(v is not None for v in requirement)
        or version.online_hours_required is not None
        or version.centralised_days_required is not None
        or version.required_courses.exists()
        or version.required_quizzes.exists()
        or version.required_classes.exists()
    )
    if not has_any:
        raise ValidationError(_("The rule asks for nothing yet: add a requirement."))
    if version.cycle_kind == ProgrammeVersion.CycleKind.ONCE and not programme.deadline:
        raise ValidationError(_("A one-off programme needs a deadline."))
    version.is_published = True
    version.save(update_fields=["is_published"])
    if programme.status != Programme.Status.PUBLISHED:
        programme.status = Programme.Status.PUBLISHED
        programme.published_at = timezone.now()
        programme.save(update_fields=["status", "published_at"])
    audit_record(
        action=AuditEvent.Action.PROGRAMME_PUBLISHED,
        actor=actor,
        target=version,
        detail={
            "programme": programme.pk,
            "version": version.number,
            "effective_from": version.effective_from.isoformat(),
        },
    )
    programme_rules_changed()
    _requirements_changed(programme)
    return version


# What may change after creation. The owner unit (who manages it, whose subtree it
# covers by default) and the kind stay: a different owner is a different programme.
EDITABLE_FIELDS = (
    "name",
    "responsible_department",
    "responsible_person",
    "deadline",
    "description",
    "issues_certificate",
    "certificate_template",
)


@transaction.atomic
def programme_update(*, programme: Programme, actor, **fields: Any) -> Programme:
    """Change a programme's particulars. A new deadline changes due dates, so a
    published programme is re-evaluated once this commits."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    _require_owner_scope(actor, programme.owner_unit)
    changed = []
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise TypeError(name)
        if getattr(programme, name) != value:
            setattr(programme, name, value)
            changed.append(name)
    if not changed:
        return programme
    programme.full_clean()
    if (
        "deadline" in changed
        and programme.versions.filter(
            cycle_kind=ProgrammeVersion.CycleKind.ONCE
        ).exists()
        and programme.deadline is None
    ):
        raise ValidationError({"deadline": _("A one-off programme needs a deadline.")})
    programme.save(update_fields=changed)
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=programme,
        detail={"programme": programme.pk, "changed": changed},
    )
    if "deadline" in changed and programme.status == Programme.Status.PUBLISHED:
        programme_rules_changed()
        _requirements_changed(programme)
    return programme


@transaction.atomic
def programme_archive(*, programme: Programme, actor) -> Programme:
    """Stop measuring a programme. Its compliance rows stay as history."""
    _require_owner_scope(actor, programme.owner_unit)
    programme.status = Programme.Status.ARCHIVED
    programme.save(update_fields=["status"])
    programme_rules_changed()
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=programme,
        detail={"programme": programme.pk, "archived": True},
    )
    return programme


def _requirements_changed(programme: Programme) -> None:
    """Once this commits, tell compliance to recompute the programme."""
    transaction.on_commit(
        lambda: programme_requirements_changed.send(
            sender=Programme, programme_ids=[programme.pk]
        )
    )
