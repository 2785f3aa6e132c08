"""Factories for programmes, ledger entries and classes, built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from training.models import LedgerEntry, Person, Programme, ProgrammeVersion
from training.services.ledger import ledger_entry_create
from training.services.programmes import (
    programme_create,
    programme_publish,
    programme_version_create,
)


def make_programme(
    owner_unit,
    *,
    name: str = "年度岗位培训",
    kind: str = Programme.Kind.ON_THE_JOB,
    deadline: dt.date | None = None,
    effective_from: dt.date = dt.date(2020, 1, 1),
    publish: bool = True,
    **rule: Any,
) -> ProgrammeVersion:
    """A programme with one version (published unless ``publish=False``).

    ``rule`` takes ProgrammeVersion fields: hours_required=Decimal("90"), …"""
    programme = programme_create(
        actor=None,
        owner_unit=owner_unit,
        name=name,
        kind=kind,
        responsible_department="政治部",
        responsible_person="王主任",
        deadline=deadline,
    )
    version = programme_version_create(
        programme=programme, actor=None, effective_from=effective_from, **rule
    )
    if publish:
        version = programme_publish(version=version, actor=None)
    return version


def credit(
    person: Person,
    hours: str | Decimal = "0",
    *,
    days: str | Decimal = "0",
    on: dt.date = dt.date(2026, 3, 1),
    source: str = LedgerEntry.Source.ADJUSTMENT,
    centralised: bool = False,
    programme: Programme | None = None,
    title: str = "测试学时",
) -> LedgerEntry:
    return ledger_entry_create(
        person=person,
        source=source,
        title=title,
        hours=Decimal(hours),
        days=Decimal(days),
        occurred_on=on,
        is_centralised=centralised,
        programme=programme,
        reason="测试" if source == LedgerEntry.Source.ADJUSTMENT else "",
    )
