"""Reads behind the compliance pages: why a status is what it is, the annual
evaluation (考评) and a person's training record across years.

Callers pass a ``Person`` they already obtained through ``selectors.person_get`` (or
the signed-in user's own record); ``annual_evaluation`` scopes by itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from training.classes.models import TrainingClass
from training.compliance.models import ComplianceStatus, Exemption
from training.ledger.models import ExternalRecord, LedgerEntry
from training.org import selectors
from training.org.models import OrgUnit, Person
from training.org.selectors import people_visible_to
from training.programmes import rules
from training.programmes import selectors as programme_selectors
from training.programmes.models import Programme, ProgrammeVersion

ZERO = Decimal(0)
MET_STATUSES = (ComplianceStatus.Status.COMPLIANT, ComplianceStatus.Status.EXEMPT)


# --- one person's statuses and their explanation ----------------------------------


def person_compliance(
    *, person: Person, year: int | None = None, today: dt.date | None = None
) -> QuerySet[ComplianceStatus]:
    """The person's compliance rows: cycles still open first (soonest due first),
    then past cycles, latest first. ``year`` keeps the cycles due in that year."""
    today = today or timezone.localdate()
    rows = ComplianceStatus.objects.filter(person=person).select_related(
        "programme", "version"
    )
    if year is not None:
        rows = rows.filter(due_on__year=year)
    return rows.annotate(
        _is_past=Case(
            When(due_on__lt=today, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("_is_past", "-cycle_start", "programme__name", "programme_id")


def _percent(have: Decimal, required: Decimal | None) -> int | None:
    if required is None:
        return None
    if required <= 0:
        return 100
    return max(0, min(100, int(have * 100 / required)))


def _required_names(rows: Iterable[ComplianceStatus]) -> dict[str, dict[int, str]]:
    """Titles of the required courses, exams and classes the rows still miss (one
    query per kind, only when something of that kind is missing)."""
    from assessments.models import Quiz
    from courses.models import CoursePage

    wanted: dict[str, set[int]] = {"courses": set(), "quizzes": set(), "classes": set()}
    for row in rows:
        for key, ids in wanted.items():
            ids.update(row.missing.get(key, []) if row.missing else [])
    models = {
        "courses": (CoursePage.objects, "title"),
        "quizzes": (Quiz.objects, "title"),
        "classes": (TrainingClass.objects, "name"),
    }
    names: dict[str, dict[int, str]] = {}
    for key, ids in wanted.items():
        if ids:
            manager, title = models[key]
            names[key] = dict(manager.filter(pk__in=ids).values_list("pk", title))
    return names


def _rule_summary(version: ProgrammeVersion) -> dict:
    return {
        "hours": version.hours_required,
        "days": version.days_required,
        "either": version.hours_required is not None
        and version.days_required is not None,
        "online_hours": version.online_hours_required,
        "centralised_days": version.centralised_days_required,
        "earmarked": version.credit_scope == ProgrammeVersion.CreditScope.EARMARKED,
        "credit_scope_display": version.get_credit_scope_display(),
        "cycle_display": version.get_cycle_kind_display(),
    }


def _counts_for(row: ComplianceStatus, programme_id: int | None, day: dt.date) -> bool:
    if not row.cycle_start <= day <= row.due_on:
        return False
    earmarked = row.version.credit_scope == ProgrammeVersion.CreditScope.EARMARKED
    return not earmarked or programme_id == row.programme_id


def compliance_explanations(
    *, statuses: Iterable[ComplianceStatus], today: dt.date | None = None
) -> list[dict]:
    """``compliance_explain`` for several rows of one person, in a fixed number of
    queries (ledger, pending records, exemptions, names) whatever their number."""
    rows = list(statuses)
    if not rows:
        return []
    today = today or timezone.localdate()
    person_ids = {row.person_id for row in rows}
    start = min(row.cycle_start for row in rows)
    end = max(row.due_on for row in rows)
    entries = list(
        LedgerEntry.objects.filter(
            person_id__in=person_ids, occurred_on__range=(start, end)
        )
        .select_related("programme")
        .order_by("occurred_on", "id")
    )
    pending = list(
        ExternalRecord.objects.filter(
            person_id__in=person_ids,
            status=ExternalRecord.Status.PENDING,
            ended_on__range=(start, end),
        ).order_by("ended_on", "id")
    )
    exemptions = list(
        Exemption.objects.filter(
            person_id__in=person_ids,
            programme_id__in={row.programme_id for row in rows},
            revoked_at__isnull=True,
        ).select_related("approved_by")
    )
    names = _required_names(rows)

    explained = []
    for row in rows:
        counted = [
            e
            for e in entries
            if e.person_id == row.person_id
            and _counts_for(row, e.programme_id, e.occurred_on)
        ]
        totals = {
            "hours": sum((e.hours for e in counted), ZERO),
            "days": sum((e.days for e in counted), ZERO),
            "online_hours": sum((e.hours for e in counted if e.is_online), ZERO),
            "centralised_days": sum(
                (e.days for e in counted if e.is_centralised), ZERO
            ),
        }
        summary = _rule_summary(row.version)
        progress = [
            {
                "key": key,
                "have": totals[key],
                "required": summary[key],
                "percent": _percent(totals[key], summary[key]),
            }
            for key in ("hours", "days", "online_hours", "centralised_days")
            if summary[key] is not None
        ]
        judged = min(today, row.due_on)
        exemption = next(
            (
                x
                for x in exemptions
                if x.person_id == row.person_id
                and x.programme_id == row.programme_id
                and x.valid_from <= judged <= x.valid_until
            ),
            None,
        )
        explained.append(
            {
                "status": row,
                "programme": row.programme,
                "version": row.version,
                "cycle_start": row.cycle_start,
                "cycle_end": row.cycle_end,
                "due_on": row.due_on,
                "is_open": row.due_on >= today,
                "rule": summary,
                "entries": counted,
                # Entries cancelled by a reversal (both lines stay in the list).
                "reversed_ids": {e.reverses_id for e in counted if e.reverses_id},
                "totals": totals,
                "progress": progress,
                "missing": rules.missing_phrases(row.missing or {}, names=names),
                # External records never count as online 学时: a rule that asks
                # for nothing else has nothing waiting on them.
                "pending": [
                    r
                    for r in pending
                    if r.person_id == row.person_id
                    and _counts_for(row, r.programme_id, r.ended_on)
                    and _offline_counts(row.version)
                ],
                "exemption": exemption,
            }
        )
    return explained


def _offline_counts(version) -> bool:
    return any(
        value is not None
        for value in (
            version.hours_required,
            version.days_required,
            version.centralised_days_required,
        )
    )


def compliance_explain(
    *, status: ComplianceStatus, today: dt.date | None = None
) -> dict:
    """Everything the explanation card shows for one row: the rule, what counted
    (reversals included, earmarked programmes only their earmarked entries), the
    totals, what is missing in words, records waiting for approval, the exemption."""
    return compliance_explanations(statuses=[status], today=today)[0]


# --- annual evaluation (考评) -------------------------------------------------------


def annual_evaluation(
    *,
    user,
    year: int,
    unit: OrgUnit | None = None,
    category: str = "",
    met: bool | None = None,
    query: str = "",
) -> QuerySet[Person]:
    """People in the user's scope, each annotated with ``rules_applied`` (statuses due
    in ``year``) and ``rules_unmet`` (those neither compliant nor exempt). Unmet rules
    block an 优秀 rating. One SQL query; ``evaluation_rows`` adds the programme names
    for a page of it in one more."""
    in_year = Q(compliance__due_on__year=year)
    people = people_visible_to(user).annotate(
        rules_applied=Count("compliance", filter=in_year),
        rules_unmet=Count(
            "compliance",
            filter=in_year & ~Q(compliance__status__in=MET_STATUSES),
        ),
    )
    people = people.filter(Q(is_active=True) | Q(rules_applied__gt=0))
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    if category:
        people = people.filter(category=category)
    if query:
        query = query.strip()
        people = people.filter(
            Q(user__full_name__icontains=query) | Q(employee_no__icontains=query)
        )
    if met is True:
        people = people.filter(rules_unmet=0)
    elif met is False:
        people = people.filter(rules_unmet__gt=0)
    return people.order_by("unit__path", "employee_no")


@dataclass
class EvaluationRow:
    person: Person
    applied: list[ComplianceStatus] = field(default_factory=list)

    @property
    def unmet(self) -> list[ComplianceStatus]:
        return [s for s in self.applied if s.status not in MET_STATUSES]

    @property
    def met_all(self) -> bool:
        return not self.unmet


def evaluation_rows(*, people: Iterable[Person], year: int) -> list[EvaluationRow]:
    """The statuses due in ``year`` for these people (a page or an export chunk), in
    one query."""
    rows = [EvaluationRow(person=p) for p in people]
    by_person = {row.person.pk: row for row in rows}
    statuses = (
        ComplianceStatus.objects.filter(person_id__in=by_person, due_on__year=year)
        .select_related("programme")
        .order_by("programme__name", "due_on")
    )
    for status in statuses:
        by_person[status.person_id].applied.append(status)
    return rows


# --- personal training record (个人培训档案) ------------------------------------


def compliance_rows(
    user, programme: Programme, today: dt.date
) -> tuple[QuerySet[ComplianceStatus], rules.Cycle | None]:
    """Compliance rows of the current period for the people the user may see.

    For event-triggered programmes everyone has their own window; "current" means
    windows that started by today and end this year or later."""
    rows = ComplianceStatus.objects.filter(
        programme=programme,
        person__in=selectors.people_visible_to(user).values("pk"),
    )
    cycle = programme_selectors.current_cycle(programme, today)
    if cycle is not None:
        return rows.filter(cycle_start=cycle.start), cycle
    return rows.filter(
        cycle_start__lte=today, cycle_end__gte=dt.date(today.year, 1, 1)
    ), None


def status_counts(rows: QuerySet[ComplianceStatus]) -> list[dict]:
    counts = dict(
        rows.order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in ComplianceStatus.Status.choices
    ]
