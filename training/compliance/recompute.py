"""Compliance for everyone at once, and the triggers that ask for it.

``compliance_recompute`` evaluates every person of every published programme in
bulk: the audience, the ledger sums and the upserts are set-based per programme, so
300,000 people × 3 programmes take minutes, not hours (``make bench``). It runs as
a background task after a rule is published, a unit moved, many people changed, and
nightly; ``compliance_mark_overdue`` turns cycles past their due date 未达标. The
per-person path, and the rows both write, are in ``training.compliance.services``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django_tasks import task

from cms.tasks import task_enqueue_or_defer
from training.classes.models import ClassMember
from training.compliance.models import ComplianceStatus, Exemption
from training.compliance.rollups import (
    rollups_rebuild,
    rollups_rebuild_cycles,
)
from training.compliance.services import (
    BATCH,
    ENTRY_FIELDS,
    _counted,
    _status_row,
    _upsert,
    compliance_refresh_people,
    compliance_refresh_person,
)
from training.compliance.signals import compliance_recomputed
from training.ledger.models import ExternalRecord, LedgerEntry
from training.org.models import Person
from training.programmes import rules
from training.programmes.rulebook import (
    Rule,
    audience_queryset,
    cycle_and_rule,
    programme_rules,
)


def _sum(value) -> Decimal:
    return value if value is not None else Decimal(0)


def _recompute_fixed_cycle(
    cycle: rules.Cycle, rule: Rule, today: dt.date, progress: Callable | None
) -> int:
    """One programme whose cycle is the same for everyone (year, years, once)."""
    people = audience_queryset(rule)
    credit_filter = Q(occurred_on__range=(cycle.start, cycle.due))
    if rule.earmarked:
        credit_filter &= Q(programme_id=rule.programme_id)
    people_ids = people.values("id")
    sums = {
        row["person_id"]: row
        for row in LedgerEntry.objects.filter(credit_filter, person_id__in=people_ids)
        .values("person_id")
        .annotate(
            h=Sum("hours"),
            d=Sum("days"),
            oh=Sum("hours", filter=Q(is_online=True)),
            cd=Sum("days", filter=Q(is_centralised=True)),
        )
        .order_by()
    }
    pending_filter = Q(
        status=ExternalRecord.Status.PENDING,
        ended_on__range=(cycle.start, cycle.due),
        person_id__in=people_ids,
    )
    if rule.earmarked:
        pending_filter &= Q(programme_id=rule.programme_id)
    pending = dict(
        ExternalRecord.objects.filter(pending_filter)
        .values("person_id")
        .annotate(h=Sum("hours"))
        .values_list("person_id", "h")
        .order_by()
    )
    judged = min(today, cycle.due)
    exempt = set(
        Exemption.objects.filter(
            programme_id=rule.programme_id,
            revoked_at__isnull=True,
            valid_from__lte=judged,
            valid_until__gte=judged,
        ).values_list("person_id", flat=True)
    )
    done = _done_items_bulk(rule, cycle, people)
    previous = {
        pid: (st, met)
        for pid, st, met in ComplianceStatus.objects.filter(
            programme_id=rule.programme_id, cycle_start=cycle.start
        ).values_list("person_id", "status", "met_on")
    }
    audience = list(people.values_list("id", "unit_id").order_by())
    rows: list[ComplianceStatus] = []
    written = 0
    for person_id, unit_id in audience:
        row = sums.get(person_id)
        credits = rules.Credits(
            hours=_sum(row and row["h"]),
            days=_sum(row and row["d"]),
            online_hours=_sum(row and row["oh"]),
            centralised_days=_sum(row and row["cd"]),
            pending_hours=_sum(pending.get(person_id)),
            courses=done["courses"].get(person_id, frozenset()),
            quizzes=done["quizzes"].get(person_id, frozenset()),
            classes=done["classes"].get(person_id, frozenset()),
        )
        result = rules.evaluate(
            rule.requirement, credits, cycle, today, exempt=person_id in exempt
        )
        person = Person(pk=person_id, unit_id=unit_id)
        rows.append(
            _status_row(
                person,
                cycle,
                rule,
                result,
                credits,
                previous.get(person_id),
                today,
            )
        )
        if len(rows) >= BATCH:
            _date_first_met(rows, previous, rule, cycle, credit_filter, today)
            _upsert(rows)
            written += len(rows)
            rows = []
            if progress:
                progress(written)
    _date_first_met(rows, previous, rule, cycle, credit_filter, today)
    _upsert(rows)
    written += len(rows)
    if progress:
        progress(written)
    if cycle.due >= today:
        # People who left the audience of a running cycle (moved, promoted, retired).
        # An anti-join: NOT IN over 300,000 ids is quadratic on PostgreSQL.
        ComplianceStatus.objects.filter(
            programme_id=rule.programme_id, cycle_start=cycle.start
        ).exclude(Exists(people.filter(pk=OuterRef("person_id")))).delete()
    rollups_rebuild(
        programme_id=rule.programme_id, cycle_start=cycle.start, today=today
    )
    return written


def _date_first_met(
    rows: list[ComplianceStatus],
    previous: dict,
    rule: Rule,
    cycle: rules.Cycle,
    credit_filter: Q,
    today: dt.date,
) -> None:
    """People compliant at their first evaluation met the cycle when their credits
    first sufficed: one ledger read for the batch, then ``rules.met_day`` each."""
    new = {
        row.person_id: row
        for row in rows
        if row.status == rules.COMPLIANT and row.person_id not in previous
    }
    if not new:
        return
    entries = defaultdict(list)
    for person_id, *values in LedgerEntry.objects.filter(
        credit_filter, person_id__in=list(new)
    ).values_list("person_id", *ENTRY_FIELDS):
        entries[person_id].append(tuple(values))
    for person_id, row in new.items():
        items = rules.Credits(
            courses=rule.requirement.courses,
            quizzes=rule.requirement.quizzes,
            classes=rule.requirement.classes,
        )
        day = rules.met_day(
            rule.requirement, _counted(entries[person_id], rule), cycle, today, items
        )
        if day is not None:
            row.met_on = day


def _done_items_bulk(rule: Rule, cycle: rules.Cycle, people) -> dict:
    from assessments.models import Attempt
    from courses.models import Enrollment

    done: dict[str, dict[int, frozenset]] = {
        "courses": {},
        "quizzes": {},
        "classes": {},
    }
    start = timezone.make_aware(dt.datetime.combine(cycle.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(cycle.due, dt.time.max))
    sources = {
        "courses": (
            rule.requirement.courses,
            lambda ids: Enrollment.objects.filter(
                course_id__in=ids,
                completed_at__range=(start, end),
                user_id__in=people.values("user_id"),
            ).values_list("user__person__id", "course_id"),
        ),
        "quizzes": (
            rule.requirement.quizzes,
            lambda ids: Attempt.objects.filter(
                quiz_id__in=ids,
                passed=True,
                graded_at__range=(start, end),
                user_id__in=people.values("user_id"),
            ).values_list("user__person__id", "quiz_id"),
        ),
        "classes": (
            rule.requirement.classes,
            lambda ids: ClassMember.objects.filter(
                training_class_id__in=ids,
                result=ClassMember.Result.PASSED,
                training_class__ends_on__range=(cycle.start, cycle.due),
                person_id__in=people.values("id"),
            ).values_list("person_id", "training_class_id"),
        ),
    }
    for key, (ids, query) in sources.items():
        if not ids:
            continue
        found: dict[int, set] = defaultdict(set)
        for person_id, item in query(ids):
            found[person_id].add(item)
        done[key] = {pid: frozenset(items) for pid, items in found.items()}
    return done


def _recompute_event(versions: list[Rule], today: dt.date) -> int:
    """Event-triggered programmes: each person has their own window, so the audience
    is the people whose event happened since the rule took effect, refreshed one by
    one (they are few: the newly joined, appointed or promoted)."""
    first = versions[0]
    people = audience_queryset(versions[-1]).filter(
        **{f"{first.event_field}__gte": first.effective_from}
    )
    loaded = {first.programme_id: versions}
    count = 0
    for person_id in people.values_list("id", flat=True).iterator():
        compliance_refresh_person(
            person_id=person_id, today=today, rules_by_programme=loaded, rollups=False
        )
        count += 1
    rollups_rebuild(programme_id=first.programme_id, today=today)
    return count


def compliance_recompute(
    *,
    programme_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[int, int]:
    """Recompute the current cycle of every published programme (or of some).
    Returns {programme id: rows written}."""
    today = today or timezone.localdate()
    written: dict[int, int] = {}
    for programme_id, versions in programme_rules(programme_ids).items():
        if versions[0].cycle.kind == "event":
            written[programme_id] = _recompute_event(versions, today)
            continue
        found = cycle_and_rule(versions, today)
        if found is None:
            written[programme_id] = 0
            continue
        cycle, rule = found
        with transaction.atomic():
            written[programme_id] = _recompute_fixed_cycle(cycle, rule, today, progress)
    return written


# People whose refresh runs in the request; more go to a background recompute.
SYNC_REFRESH_MAX = 200


def compliance_people_changed(person_ids: Iterable[int] | None) -> None:
    """After people were added or changed (a transfer, promotion, category change)
    or units moved (``None``: anyone may be affected): refresh once the change has
    committed — a few people right away, many by a background recompute."""

    def run() -> None:
        ids = list(person_ids) if person_ids is not None else None
        if ids is not None and len(ids) <= SYNC_REFRESH_MAX:
            compliance_refresh_people(person_ids=ids)
            return
        compliance_recompute_enqueue()

    transaction.on_commit(run)


def compliance_mark_overdue(*, today: dt.date | None = None) -> int:
    """Cycles whose due date has passed while still in progress become 未达标. One
    UPDATE: "in progress" already means something is missing, and nothing can be
    credited to a cycle after its due date. Run daily before the reminders."""
    today = today or timezone.localdate()
    late = ComplianceStatus.objects.filter(status=rules.IN_PROGRESS, due_on__lt=today)
    with transaction.atomic():
        cycles = set(late.values_list("programme_id", "cycle_start").distinct())
        count = late.update(status=rules.NON_COMPLIANT, evaluated_at=timezone.now())
        # At-risk counts depend on the day, so every current cycle is recounted.
        rollups_rebuild_cycles(
            cycles
            | set(
                ComplianceStatus.objects.filter(due_on__gte=today)
                .values_list("programme_id", "cycle_start")
                .distinct()
            ),
            today=today,
        )
    return count


@task()
def compliance_recompute_task(programme_ids: list[int] | None = None) -> dict:
    """Full recompute (after a rule is published, a unit moved, or nightly)."""
    written = compliance_recompute(programme_ids=programme_ids)
    # People who met a certificate-issuing programme in the recompute get theirs.
    compliance_recomputed.send(sender=ComplianceStatus, programme_ids=written.keys())
    return {str(k): v for k, v in written.items()}


def compliance_recompute_enqueue(programme_ids: list[int] | None = None) -> None:
    """A background recompute of these programmes (all when ``None``)."""
    task_enqueue_or_defer(compliance_recompute_task, programme_ids=programme_ids)
