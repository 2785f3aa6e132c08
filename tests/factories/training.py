"""Factories for programmes, ledger entries and classes, built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from training.ledger.models import LedgerEntry
from training.ledger.services import ledger_entry_create
from training.org.models import Person
from training.programmes.models import Programme, ProgrammeVersion
from training.programmes.services import (
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


def make_class(
    organiser_unit,
    *,
    actor=None,
    name: str = "政治轮训班",
    kind: str = "centralised",
    starts_on: dt.date = dt.date(2026, 5, 11),
    ends_on: dt.date = dt.date(2026, 5, 15),
    capacity: int = 30,
    hours: str = "40",
    days: str = "5",
    sessions: int = 0,
    **fields: Any,
):
    """A class built through ``class_create``, with ``sessions`` daily sessions."""
    from training.classes.services import class_create, class_session_add

    training_class = class_create(
        actor=actor,
        organiser_unit=organiser_unit,
        name=name,
        kind=kind,
        place="省检察官学院",
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        credited_hours=Decimal(hours),
        credited_days=Decimal(days),
        **fields,
    )
    for index in range(sessions):
        class_session_add(
            training_class=training_class,
            actor=actor,
            date=starts_on + dt.timedelta(days=index),
            starts_at=dt.time(9),
            ends_at=dt.time(12),
            title=f"第{index + 1}讲",
        )
    return training_class


def complete_class(training_class, *, actor, passed=(), failed=()):
    """Nominate, record attendance (``passed`` present at every session, ``failed``
    absent) and complete ``training_class`` through the services."""
    from training.classes.attendance import attendance_record
    from training.classes.services import class_complete, class_nominate

    for people, status in ((passed, "present"), (failed, "absent")):
        for person in people:
            member = class_nominate(
                training_class=training_class, person=person, actor=actor
            )
            for session in training_class.sessions.all():
                attendance_record(
                    session=session,
                    member=member,
                    status=status,
                    leave_reason="",
                    actor=actor,
                )
    class_complete(training_class=training_class, actor=actor)
    training_class.refresh_from_db()
    return training_class


def make_completed_class(
    organiser_unit, *, actor, passed=(), failed=(), sessions: int = 2, **fields: Any
):
    """A class completed through the services: ``passed`` attended every session,
    ``failed`` none. Certificates are not issued here (on-commit hooks do not run
    in a plain test transaction); call the certificate services for that."""
    training_class = make_class(
        organiser_unit, actor=actor, sessions=sessions, **fields
    )
    return complete_class(training_class, actor=actor, passed=passed, failed=failed)


def default_certificate_template_ensure() -> None:
    """Migration 0004's default certificate template, back after an earlier
    transactional test flushed the table (flushes drop migration data)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("training.migrations.0004_certificates")
    migration.default_template(apps, None)
