"""A programme's published rule versions as plain objects: which version is in
force on a day, which cycle a day falls in, and who a version's audience is.

Loaded once (cached; cleared when a version is published or a programme archived)
and matched in Python by the compliance engine (``training.compliance``), the
programme pages and the consistency check, so all of them read the rules alike."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet

from training.org.models import Person
from training.programmes import rules
from training.programmes.models import Programme, ProgrammeVersion

Version = ProgrammeVersion


@dataclass(frozen=True)
class Rule:
    """A published programme version, loaded once and matched in Python."""

    programme_id: int
    version_id: int
    effective_from: dt.date
    cycle: rules.CycleRule
    requirement: rules.Requirement
    unit_paths: tuple[str, ...]
    categories: frozenset[str]
    grades: frozenset[str]
    leadership_levels: frozenset[str]
    quota: str
    earmarked: bool
    event_field: str | None

    def matches(self, person: Person, unit_path: str) -> bool:
        return (
            person.is_active
            and any(unit_path.startswith(p) for p in self.unit_paths)
            and (not self.categories or person.category in self.categories)
            and (not self.grades or person.grade in self.grades)
            and (
                not self.leadership_levels
                or person.leadership_level in self.leadership_levels
            )
            and (
                not self.quota or person.is_quota == (self.quota == Version.Quota.QUOTA)
            )
        )

    def event_date(self, person: Person) -> dt.date | None:
        return getattr(person, self.event_field) if self.event_field else None


def _rule_of(version: ProgrammeVersion) -> Rule:
    programme = version.programme
    paths = tuple(u.path for u in version.audience_units.all()) or (
        programme.owner_unit.path,
    )
    return Rule(
        programme_id=programme.pk,
        version_id=version.pk,
        effective_from=version.effective_from,
        cycle=rules.CycleRule(
            kind=version.cycle_kind,
            years=version.cycle_years,
            anchor_year=version.cycle_anchor_year,
            window_months=version.window_months,
            effective_from=version.effective_from,
            deadline=programme.deadline,
        ),
        requirement=rules.Requirement(
            hours=version.hours_required,
            days=version.days_required,
            online_hours=version.online_hours_required,
            centralised_days=version.centralised_days_required,
            courses=frozenset(c.pk for c in version.required_courses.all()),
            quizzes=frozenset(q.pk for q in version.required_quizzes.all()),
            classes=frozenset(c.pk for c in version.required_classes.all()),
        ),
        unit_paths=paths,
        categories=frozenset(version.categories),
        grades=frozenset(version.grades),
        leadership_levels=frozenset(version.leadership_levels),
        quota=version.quota,
        earmarked=version.credit_scope == Version.CreditScope.EARMARKED,
        event_field=Version.EVENT_FIELDS.get(version.trigger_event),
    )


RULES_CACHE_KEY = "training:programme-rules"


RULES_CACHE_SECONDS = 300


def programme_rules_changed() -> None:
    """Forget the cached rules (after a publish or an archive): now, for the rest of
    this transaction, and again at commit, in case another process cached the old
    rules meanwhile."""
    cache.delete(RULES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(RULES_CACHE_KEY))


def programme_rules(
    programme_ids: Iterable[int] | None = None,
) -> dict[int, list[Rule]]:
    """Published versions of published programmes, oldest first, by programme.

    All of them are cached for a few minutes (they change when a rule is published
    or a programme archived, which clears the cache): every credit re-evaluates its
    person against them, and loading them is five queries."""
    if programme_ids is None:
        cached = cache.get(RULES_CACHE_KEY)
        if cached is not None:
            return cached
        loaded = _load_rules(None)
        cache.set(RULES_CACHE_KEY, loaded, RULES_CACHE_SECONDS)
        return loaded
    return _load_rules(programme_ids)


def _load_rules(programme_ids: Iterable[int] | None) -> dict[int, list[Rule]]:
    versions = (
        ProgrammeVersion.objects.filter(
            is_published=True, programme__status=Programme.Status.PUBLISHED
        )
        .select_related("programme__owner_unit")
        .prefetch_related(
            "audience_units", "required_courses", "required_quizzes", "required_classes"
        )
        .order_by("programme_id", "effective_from", "number")
    )
    if programme_ids is not None:
        versions = versions.filter(programme_id__in=list(programme_ids))
    by_programme: dict[int, list[Rule]] = defaultdict(list)
    for version in versions:
        by_programme[version.programme_id].append(_rule_of(version))
    return dict(by_programme)


def _in_force(versions: list[Rule], day: dt.date) -> Rule | None:
    current = None
    for rule in versions:  # oldest first
        if rule.effective_from <= day:
            current = rule
    return current


def _same_periods(a: rules.CycleRule, b: rules.CycleRule) -> bool:
    return (a.kind, a.years, a.anchor_year) == (b.kind, b.years, b.anchor_year)


def cycle_and_rule(
    versions: list[Rule], day: dt.date, person: Person | None = None
) -> tuple[rules.Cycle, Rule] | None:
    """The cycle ``day`` falls in and the version that measures it: the one in force
    when the cycle began (for an event window, on the event date); a programme first
    published mid-cycle measures that cycle by its first version."""
    if not versions:
        return None
    first = versions[0]
    if first.cycle.kind == "event":
        event = first.event_date(person) if person is not None else None
        rule = _in_force(versions, event) if event else None
        if rule is None:
            return None
        cycle = rules.cycle_containing(rule.cycle, day, rule.event_date(person))
        return (cycle, rule) if cycle else None
    rule = _in_force(versions, day)
    if rule is None:
        return None
    cycle = rules.cycle_containing(rule.cycle, day)
    if cycle is None:
        return None
    at_start = _in_force(versions, cycle.start)
    if at_start is not None and _same_periods(at_start.cycle, rule.cycle):
        rule = at_start
    return cycle, rule


def audience_queryset(rule: Rule | ProgrammeVersion) -> QuerySet[Person]:
    """People a rule covers, as SQL (the same test as ``Rule.matches``)."""
    if isinstance(rule, ProgrammeVersion):
        rule = _rule_of(rule)
    paths = Q()
    for path in rule.unit_paths:
        paths |= Q(unit__path__startswith=path)
    people = Person.objects.filter(paths, is_active=True)
    if rule.categories:
        people = people.filter(category__in=rule.categories)
    if rule.grades:
        people = people.filter(grade__in=rule.grades)
    if rule.leadership_levels:
        people = people.filter(leadership_level__in=rule.leadership_levels)
    if rule.quota:
        people = people.filter(is_quota=rule.quota == Version.Quota.QUOTA)
    return people
