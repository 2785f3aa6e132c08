"""Keeping ``ComplianceStatus`` current.

Two paths, one rule engine (``training.programmes.rules``):

* ``compliance_refresh_person`` — after one person's ledger, records, exemptions or
  attributes change: a handful of queries, in the caller's transaction.
* ``compliance_recompute`` (``training.compliance.recompute``) — every person of
  every published programme, in bulk, with the status rows and upserts defined here.

Which cycles are evaluated: the cycle containing today, plus for a person refresh the
cycles containing the dates that changed (an external record approved late for last
year updates last year). Event-triggered programmes have one cycle per person: the
window after the event.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from training.classes.models import ClassMember
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.rollups import (
    rollups_refresh,
)
from training.compliance.signals import programmes_met
from training.ledger.models import ExternalRecord, LedgerEntry
from training.org.models import Person
from training.programmes import rules
from training.programmes.models import ProgrammeVersion
from training.programmes.rulebook import (
    Rule,
    cycle_and_rule,
    programme_rules,
)

Version = ProgrammeVersion

UPSERT_FIELDS = [
    "version",
    "unit",
    "cycle_end",
    "due_on",
    "status",
    "hours",
    "days",
    "online_hours",
    "centralised_days",
    "pending_hours",
    "missing",
    "met_on",
    "evaluated_at",
]
BATCH = 2000


# --- one person -----------------------------------------------------------------


# A ledger row as the rule engine reads it; _counted unpacks them in this order.
ENTRY_FIELDS = (
    "occurred_on",
    "hours",
    "days",
    "is_online",
    "is_centralised",
    "programme_id",
)


def _entries(person_id: int, start: dt.date, end: dt.date):
    return list(
        LedgerEntry.objects.filter(
            person_id=person_id, occurred_on__range=(start, end)
        ).values_list(*ENTRY_FIELDS)
    )


def _dated_ids(values) -> list[tuple[int, dt.date]]:
    return [(pk, timezone.localdate(when)) for pk, when in values if when]


def _done_items(person: Person, rules_: list[tuple[rules.Cycle, Rule]]):
    """(course id, date), (quiz id, date), (class id, date) the person has done, only
    asked for when a rule requires such items."""
    from assessments.models import Attempt
    from courses.models import Enrollment

    wanted = {"courses": set(), "quizzes": set(), "classes": set()}
    for _cycle, rule in rules_:
        wanted["courses"] |= rule.requirement.courses
        wanted["quizzes"] |= rule.requirement.quizzes
        wanted["classes"] |= rule.requirement.classes
    done: dict[str, list[tuple[int, dt.date]]] = {k: [] for k in wanted}
    if wanted["courses"]:
        done["courses"] = _dated_ids(
            Enrollment.objects.filter(
                user_id=person.user_id,
                course_id__in=wanted["courses"],
                completed_at__isnull=False,
            ).values_list("course_id", "completed_at")
        )
    if wanted["quizzes"]:
        done["quizzes"] = _dated_ids(
            Attempt.objects.filter(
                user_id=person.user_id, quiz_id__in=wanted["quizzes"], passed=True
            ).values_list("quiz_id", "graded_at")
        )
    if wanted["classes"]:
        done["classes"] = list(
            ClassMember.objects.filter(
                person=person,
                training_class_id__in=wanted["classes"],
                result=ClassMember.Result.PASSED,
            ).values_list("training_class_id", "training_class__ends_on")
        )
    return done


def _counted(entries, rule: Rule):
    return [
        rules.Entry(day, hours, days, online, central)
        for day, hours, days, online, central, programme_id in entries
        if not rule.earmarked or programme_id == rule.programme_id
    ]


def _credits_for(
    cycle: rules.Cycle,
    rule: Rule,
    entries,
    pending,
    done,
) -> rules.Credits:
    credits = rules.credits_in(_counted(entries, rule), cycle)
    credits.pending_hours = sum(
        (
            hours
            for day, hours, programme_id in pending
            if cycle.contains(day)
            and (not rule.earmarked or programme_id == rule.programme_id)
        ),
        Decimal(0),
    )
    for key in ("courses", "quizzes", "classes"):
        setattr(
            credits,
            key,
            frozenset(pk for pk, day in done[key] if cycle.contains(day)),
        )
    return credits


def _status_row(
    person: Person,
    cycle: rules.Cycle,
    rule: Rule,
    result: rules.Evaluation,
    credits: rules.Credits,
    previous: tuple[str, dt.date | None] | None,
    today: dt.date,
    first_met: dt.date | None = None,
) -> ComplianceStatus:
    """``met_on`` keeps the day the person first met the cycle. A person evaluated
    for the first time and already compliant (a programme published after they had
    learnt, a transfer, a late import) met it on the day their credits first
    sufficed (``first_met``, from ``rules.met_day``), not on the day the platform
    looked: that keeps the dashboard's monthly trend true."""
    met_on = None
    if result.status == rules.COMPLIANT:
        was = previous if previous and previous[0] == rules.COMPLIANT else None
        if was and was[1]:
            met_on = was[1]
        elif previous is None and first_met is not None:
            met_on = min(first_met, today)
        else:
            met_on = today
    return ComplianceStatus(
        person_id=person.pk,
        programme_id=rule.programme_id,
        version_id=rule.version_id,
        unit_id=person.unit_id,
        cycle_start=cycle.start,
        cycle_end=cycle.end,
        due_on=cycle.due,
        status=result.status,
        hours=credits.hours,
        days=credits.days,
        online_hours=credits.online_hours,
        centralised_days=credits.centralised_days,
        pending_hours=credits.pending_hours,
        missing=result.missing,
        met_on=met_on,
    )


def _upsert(rows: list[ComplianceStatus]) -> None:
    for i in range(0, len(rows), BATCH):
        ComplianceStatus.objects.bulk_create(
            rows[i : i + BATCH],
            update_conflicts=True,
            unique_fields=["person", "programme", "cycle_start"],
            update_fields=UPSERT_FIELDS,
        )


@transaction.atomic(savepoint=False)
def compliance_refresh_person(
    *,
    person_id: int,
    days: Iterable[dt.date] = (),
    today: dt.date | None = None,
    rules_by_programme: dict[int, list[Rule]] | None = None,
    rollups: bool = True,
) -> list[ComplianceStatus]:
    """Re-evaluate one person for the current cycles and those containing ``days``.

    ``rollups=False`` leaves the unit roll-ups to a caller that rebuilds them in
    bulk afterwards."""
    today = today or timezone.localdate()
    person = Person.objects.select_related("unit").get(pk=person_id)
    if rules_by_programme is None:
        rules_by_programme = programme_rules()
    reference_days = {today, *days}
    previous: dict[tuple[int, dt.date], tuple] = {}
    previous_unit: dict[tuple[int, dt.date], int] = {}
    for p, s, st, met, unit_id in ComplianceStatus.objects.filter(
        person_id=person.pk
    ).values_list("programme_id", "cycle_start", "status", "met_on", "unit_id"):
        previous[(p, s)] = (st, met)
        previous_unit[(p, s)] = unit_id

    targets: list[tuple[rules.Cycle, Rule]] = []
    stale: list[tuple[int, dt.date]] = []  # open cycles the person has left
    for versions in rules_by_programme.values():
        seen: set[dt.date] = set()
        for day in sorted(reference_days):
            found = cycle_and_rule(versions, day, person)
            if found is None or found[0].start in seen:
                continue
            cycle, rule = found
            seen.add(cycle.start)
            if rule.matches(person, person.unit.path):
                targets.append(found)
            elif cycle.due >= today and (rule.programme_id, cycle.start) in previous:
                stale.append((rule.programme_id, cycle.start))
    for programme_id, start in stale:
        ComplianceStatus.objects.filter(
            person_id=person.pk, programme_id=programme_id, cycle_start=start
        ).delete()
    # Roll-ups to recount: every cycle the person was counted in (a transfer moves
    # the touched ones; the person's category, grade or leadership level, which
    # are the roll-ups' grain, may have changed for closed cycles too) and the
    # touched cycles in the person's unit now.
    touched = set(stale) | {(r.programme_id, c.start) for c, r in targets}
    rollup_keys = {(unit_id, p, s) for (p, s), unit_id in previous_unit.items()} | {
        (person.unit_id, p, s) for p, s in touched if (p, s) not in stale
    }
    if not targets:
        if rollups:
            rollups_refresh(rollup_keys, today=today)
        return []

    start = min(c.start for c, _r in targets)
    end = max(c.due for c, _r in targets)
    entries = _entries(person.pk, start, end)
    pending = list(
        ExternalRecord.objects.filter(
            person_id=person.pk,
            status=ExternalRecord.Status.PENDING,
            ended_on__range=(start, end),
        ).values_list("ended_on", "hours", "programme_id")
    )
    exemptions = defaultdict(list)
    for programme_id, since, until in Exemption.objects.filter(
        person_id=person.pk, revoked_at__isnull=True
    ).values_list("programme_id", "valid_from", "valid_until"):
        exemptions[programme_id].append((since, until))
    done = _done_items(person, targets)
    rows = []
    for cycle, rule in targets:
        credits = _credits_for(cycle, rule, entries, pending, done)
        exempt = rules.exemption_applies(exemptions[rule.programme_id], cycle, today)
        result = rules.evaluate(rule.requirement, credits, cycle, today, exempt=exempt)
        first_met = None
        key = (rule.programme_id, cycle.start)
        if result.status == rules.COMPLIANT and key not in previous:
            first_met = rules.met_day(
                rule.requirement, _counted(entries, rule), cycle, today, credits
            )
        rows.append(
            _status_row(
                person,
                cycle,
                rule,
                result,
                credits,
                previous.get((rule.programme_id, cycle.start)),
                today,
                first_met,
            )
        )
    _upsert(rows)
    if rollups:
        rollups_refresh(rollup_keys, today=today)
    met = [
        (row.programme_id, row.cycle_start)
        for row in rows
        if row.status == rules.COMPLIANT
        and (previous.get((row.programme_id, row.cycle_start)) or ("",))[0]
        != rules.COMPLIANT
    ]
    if met:
        programmes_met.send(sender=ComplianceStatus, person_id=person.pk, met=met)
    return rows


def compliance_refresh_people(
    *,
    person_ids: Iterable[int],
    days: Iterable[dt.date] = (),
    today: dt.date | None = None,
) -> int:
    """Refresh several people (after a roster import or a unit move), loading the
    rules once."""
    loaded = programme_rules()
    days = list(days)
    count = 0
    for person_id in person_ids:
        compliance_refresh_person(
            person_id=person_id, days=days, today=today, rules_by_programme=loaded
        )
        count += 1
    return count


# --- everyone, in bulk ------------------------------------------------------------
