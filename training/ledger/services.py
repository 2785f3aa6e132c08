"""Writes to the 学时 ledger. Entries are never edited: a correction is a reversal.

Every write refreshes the person's compliance in the same transaction, so the status
a page shows right after never lags the ledger.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cms.audit import audit_record
from cms.models import AuditEvent
from training.ledger.models import (
    ApprovalDelegation,
    ExternalEvidence,
    ExternalRecord,
    LedgerEntry,
)
from training.ledger.signals import credits_changed, entry_reversed
from training.org.models import OrgUnit, Person
from training.org.selectors import require_manager_of, unit_in_scope
from training.programmes.models import Programme

Source = LedgerEntry.Source

# The national rule for online credit: a passed test earns 0.5 学时.
QUIZ_PASS_HOURS = Decimal("0.5")


@transaction.atomic
def ledger_entry_create(
    *,
    person: Person,
    source: str,
    title: str,
    occurred_on: dt.date,
    hours: Decimal = Decimal(0),
    days: Decimal = Decimal(0),
    is_centralised: bool = False,
    programme: Programme | None = None,
    source_key: str | None = None,
    reason: str = "",
    evidence: str = "",
    actor=None,
) -> LedgerEntry:
    """Credit ``person``. With ``source_key`` the call is idempotent: the same event
    (a course completion, a class result) returns the entry it already made."""
    if source_key:
        existing = LedgerEntry.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    if source == Source.REVERSAL:
        raise ValidationError(_("Use a reversal to correct an entry."))
    if source == Source.ADJUSTMENT and not reason.strip():
        raise ValidationError({"reason": _("Say why the adjustment is made.")})
    entry = LedgerEntry(
        person=person,
        source=source,
        title=title[:300],
        hours=hours,
        days=days,
        is_online=source in LedgerEntry.ONLINE_SOURCES,
        is_centralised=is_centralised,
        occurred_on=occurred_on,
        programme=programme,
        source_key=source_key,
        reason=reason,
        evidence=evidence,
        created_by=actor,
    )
    # The related rows were passed in as objects and the key was checked above:
    # validate the values without a query per foreign key and unique field.
    entry.full_clean(
        exclude=["person", "programme", "created_by", "reverses"],
        validate_unique=False,
        validate_constraints=False,
    )
    entry.save()
    if source == Source.ADJUSTMENT:
        audit_record(
            action=AuditEvent.Action.CORRECTION,
            actor=actor,
            target=entry,
            detail={"person": person.pk, "hours": str(hours), "days": str(days)},
        )
    credits_changed.send(sender=LedgerEntry, person_id=person.pk, days=[occurred_on])
    return entry


def _require_manager_of(actor, person: Person) -> None:
    """Coordinators change the records of people in their subtree, never their own;
    ``actor=None`` is the system (signals, the demo)."""
    if actor is not None:
        require_manager_of(actor, person)


@transaction.atomic
def ledger_entry_reverse(*, entry: LedgerEntry, actor, reason: str) -> LedgerEntry:
    """Cancel ``entry`` with a second entry of the negated amounts, dated like the
    original so it cancels in the same cycle. Both stay in the ledger."""
    entry = (
        LedgerEntry.objects.select_for_update(of=("self",))
        .select_related("person__unit")
        .get(pk=entry.pk)
    )
    _require_manager_of(actor, entry.person)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is reversed.")})
    if entry.source == Source.REVERSAL:
        raise ValidationError(_("A reversal cannot itself be reversed."))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This entry has already been reversed."))
    reversal = LedgerEntry(
        person=entry.person,
        source=Source.REVERSAL,
        title=entry.title,
        hours=-entry.hours,
        days=-entry.days,
        is_online=entry.is_online,
        is_centralised=entry.is_centralised,
        occurred_on=entry.occurred_on,
        programme=entry.programme,
        reverses=entry,
        reason=reason.strip()[:500],
        created_by=actor,
    )
    reversal.full_clean()
    reversal.save()
    audit_record(
        action=AuditEvent.Action.CORRECTION,
        actor=actor,
        target=entry,
        detail={"reversal": reversal.pk, "reason": reversal.reason},
    )
    credits_changed.send(
        sender=LedgerEntry, person_id=entry.person_id, days=[entry.occurred_on]
    )
    entry_reversed.send(sender=LedgerEntry, reversal=reversal)
    return reversal


# --- Online credit (from the courses and assessments signals) -------------------


def _title(template: str, name: str) -> str:
    """Ledger titles are stored once, in the site's language, whatever language
    the learner who triggered the credit happened to be browsing in."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(template) % {"title": name}


def _person_of(user_id: int) -> Person | None:
    return Person.objects.filter(user_id=user_id).select_related("unit").first()


def ledger_credit_course(
    *, enrollment_id: int, user_id: int, course, completed_at, credit_hours: Decimal
) -> LedgerEntry | None:
    person = _person_of(user_id)
    if person is None or not credit_hours:
        return None  # accounts without a staff record (editors, admins) earn nothing
    return ledger_entry_create(
        person=person,
        source=Source.COURSE,
        title=_title(gettext_noop("Course: %(title)s"), course.title),
        hours=credit_hours,
        occurred_on=timezone.localdate(completed_at),
        source_key=f"enrollment:{enrollment_id}",
    )


def _quiz_key_prefix(quiz_id: int, user_id: int) -> str:
    return f"quiz:{quiz_id}:{user_id}:"


def _attempt_key(quiz_id: int, user_id: int, attempt_id: int) -> str:
    return f"{_quiz_key_prefix(quiz_id, user_id)}{attempt_id}"


def _attempt_entries(key: str):
    return LedgerEntry.objects.filter(
        Q(source_key=key) | Q(source_key__startswith=f"{key}:"), source=Source.QUIZ
    )


def _open_quiz_credit(quiz_id: int, user_id: int) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.filter(
            source=Source.QUIZ,
            source_key__startswith=_quiz_key_prefix(quiz_id, user_id),
            reversed_by__isnull=True,
        )
        .order_by("pk")
        .first()
    )


def ledger_credit_quiz(*, attempt, user_id: int, quiz) -> LedgerEntry | None:
    """0.5 学时 for passing an exam, once per person and exam. Lesson quizzes are part
    of their course and earn through it."""
    if quiz.kind != quiz.Kind.EXAM:
        return None
    person = _person_of(user_id)
    if person is None or _open_quiz_credit(quiz.pk, user_id) is not None:
        return None
    finished = attempt.graded_at or attempt.submitted_at or timezone.now()
    key = _attempt_key(quiz.pk, user_id, attempt.pk)
    # Credited before and reversed by a regrade: a new key for the new credit.
    earlier = _attempt_entries(key).count()
    return ledger_entry_create(
        person=person,
        source=Source.QUIZ,
        title=_title(gettext_noop("Exam passed: %(title)s"), quiz.title),
        hours=QUIZ_PASS_HOURS,
        occurred_on=timezone.localdate(finished),
        source_key=f"{key}:{earlier}" if earlier else key,
    )


def ledger_quiz_result_changed(*, attempt, was_passed: bool) -> None:
    """A regrade flipped a result: take the credit back (another passed attempt of the
    same exam earns it again) or give it."""
    quiz = attempt.quiz
    if quiz.kind != quiz.Kind.EXAM:
        return
    if was_passed and not attempt.passed:
        key = _attempt_key(quiz.pk, attempt.user_id, attempt.pk)
        entry = _attempt_entries(key).filter(reversed_by__isnull=True).first()
        if entry is None:
            return
        ledger_entry_reverse(
            entry=entry,
            actor=None,
            reason=_("The exam was regraded and is no longer passed."),
        )
        other = (
            type(attempt)
            .objects.filter(quiz=quiz, user_id=attempt.user_id, passed=True)
            .exclude(pk=attempt.pk)
            .order_by("graded_at", "pk")
            .first()
        )
        if other is not None:
            ledger_credit_quiz(attempt=other, user_id=attempt.user_id, quiz=quiz)
    elif attempt.passed and not was_passed:
        ledger_credit_quiz(attempt=attempt, user_id=attempt.user_id, quiz=quiz)


# --- External records -------------------------------------------------------------


def approver_unit_for(unit: OrgUnit) -> OrgUnit:
    """Where a record of someone in ``unit`` is approved: the unit itself, unless it or
    an ancestor has handed approvals up the tree (the nearest delegation wins)."""
    paths = [unit.path[:i] for i in range(len(unit.path), 0, -OrgUnit.steplen)]
    delegations = {
        d.unit.path: d.approver_unit
        for d in ApprovalDelegation.objects.filter(unit__path__in=paths).select_related(
            "unit", "approver_unit"
        )
    }
    for path in paths:  # nearest first
        if path in delegations:
            return delegations[path]
    return unit


def external_record_can_decide(actor, record: ExternalRecord) -> bool:
    # Four eyes: neither the person nor whoever declared it for them approves it.
    if actor.pk in (record.person.user_id, record.submitted_by_id):
        return False
    approver = approver_unit_for(record.person.unit)
    return unit_in_scope(actor, approver, manage=True)


@transaction.atomic
def external_record_submit(
    *,
    person: Person,
    actor,
    title: str,
    provider: str,
    started_on: dt.date,
    ended_on: dt.date,
    hours: Decimal,
    days: Decimal,
    is_centralised: bool,
    programme: Programme | None = None,
    note: str = "",
    files=(),
) -> ExternalRecord:
    """The person (or a coordinator for them) claims credit for training elsewhere."""
    if actor.pk != person.user_id:
        _require_manager_of(actor, person)
    errors = {}
    if ended_on < started_on:
        errors["ended_on"] = _("The training cannot end before it starts.")
    if ended_on > timezone.localdate():
        errors["ended_on"] = _("Only training that has ended can be recorded.")
    if not hours and not days:
        errors["hours"] = _("Enter the 学时, the days or both.")
    if not files:
        errors["files"] = _("Attach a certificate or another proof of attendance.")
    if errors:
        raise ValidationError(errors)
    record = ExternalRecord(
        person=person,
        title=title,
        provider=provider,
        started_on=started_on,
        ended_on=ended_on,
        hours=hours,
        days=days,
        is_centralised=is_centralised,
        programme=programme,
        note=note,
        submitted_by=actor,
    )
    record.full_clean()
    record.save()
    for upload in files:
        ExternalEvidence.objects.create(
            record=record, file=upload, original_name=upload.name[:255]
        )
    credits_changed.send(sender=ExternalRecord, person_id=person.pk, days=[ended_on])
    return record


@transaction.atomic
def external_record_decide(
    *, record: ExternalRecord, actor, approve: bool, reason: str = ""
) -> ExternalRecord:
    record = (
        ExternalRecord.objects.select_for_update(of=("self",))
        .select_related("person__unit", "programme")
        .get(pk=record.pk)
    )
    if not external_record_can_decide(actor, record):
        raise PermissionDenied
    if record.status != ExternalRecord.Status.PENDING:
        raise ValidationError(_("This record has already been decided."))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why the record is rejected.")})
    record.decided_by = actor
    record.decided_at = timezone.now()
    record.decision_reason = reason.strip()[:500]
    record.status = (
        ExternalRecord.Status.APPROVED if approve else ExternalRecord.Status.REJECTED
    )
    record.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        action=AuditEvent.Action.APPROVAL,
        actor=actor,
        target=record,
        detail={"approved": approve, "reason": record.decision_reason},
    )
    if approve:
        # Decided first: the refresh inside ledger_entry_create then no longer
        # counts the record as pending, and one refresh is enough.
        record.ledger_entry = ledger_entry_create(
            person=record.person,
            source=Source.EXTERNAL,
            title=f"{record.title}（{record.provider}）",
            hours=record.hours,
            days=record.days,
            is_centralised=record.is_centralised,
            programme=record.programme,
            occurred_on=record.ended_on,
            source_key=f"external:{record.pk}",
            evidence=_("External record #%(id)s") % {"id": record.pk},
            actor=actor,
        )
        record.save(update_fields=["ledger_entry"])
    else:
        credits_changed.send(
            sender=ExternalRecord, person_id=record.person_id, days=[record.ended_on]
        )
    return record
