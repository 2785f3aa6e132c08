"""The rule engine: pure functions, no database, so every edge can be property-tested.

A programme version says *what* (hours or days, an online sub-quota, centralised days,
required courses, exams and classes) over *which period* (a calendar year, N years from
an anchor year, a window after an event in the person's record, or once by a deadline).
``cycle_containing`` finds the period for a date; ``evaluate`` turns a person's
credits in that period into a status and a list of what is still missing.

Days and 学时 are different units: a requirement "≥ 90 学时 or ≥ 12 days" is met by
either, and nothing here converts one into the other.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

ZERO = Decimal(0)

COMPLIANT = "compliant"
IN_PROGRESS = "in_progress"
NON_COMPLIANT = "overdue"
EXEMPT = "exempt"


@dataclass(frozen=True)
class Cycle:
    start: dt.date
    end: dt.date
    # When the person must have complied: the end, or the programme's deadline when
    # that falls inside the cycle. Credit counts from ``start`` through ``due``.
    due: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.due


@dataclass(frozen=True)
class CycleRule:
    kind: str  # "year" | "years" | "event" | "once"
    years: int = 1
    anchor_year: int | None = None
    window_months: int | None = None
    # The version's effective date: a "once" cycle runs from it to the deadline.
    effective_from: dt.date | None = None
    deadline: dt.date | None = None


@dataclass(frozen=True)
class Requirement:
    hours: Decimal | None = None
    days: Decimal | None = None
    online_hours: Decimal | None = None
    centralised_days: Decimal | None = None
    courses: frozenset[int] = frozenset()
    quizzes: frozenset[int] = frozenset()
    classes: frozenset[int] = frozenset()


@dataclass
class Credits:
    hours: Decimal = ZERO
    days: Decimal = ZERO
    online_hours: Decimal = ZERO
    centralised_days: Decimal = ZERO
    pending_hours: Decimal = ZERO
    courses: frozenset[int] = frozenset()
    quizzes: frozenset[int] = frozenset()
    classes: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Entry:
    """One ledger amount as the engine sees it (reversals carry negative amounts)."""

    day: dt.date
    hours: Decimal = ZERO
    days: Decimal = ZERO
    is_online: bool = False
    is_centralised: bool = False


@dataclass
class Evaluation:
    status: str
    # Only the unmet parts, as strings of Decimals (JSON-safe):
    # {"hours": "6.5", "days": "2", "online_hours": "10", "centralised_days": "3",
    #  "courses": [ids], "quizzes": [ids], "classes": [ids]}
    missing: dict = field(default_factory=dict)


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _due(start: dt.date, end: dt.date, deadline: dt.date | None) -> dt.date:
    return deadline if deadline and start <= deadline <= end else end


def cycle_containing(
    rule: CycleRule, day: dt.date, event_date: dt.date | None = None
) -> Cycle | None:
    """The cycle of ``rule`` that ``day`` falls in (for event windows: the window
    opened by ``event_date``, whatever ``day`` is). ``None`` when there is none."""
    if rule.kind == "year":
        start, end = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    elif rule.kind == "years":
        anchor = rule.anchor_year or day.year
        first = anchor + (day.year - anchor) // rule.years * rule.years
        start = dt.date(first, 1, 1)
        end = dt.date(first + rule.years - 1, 12, 31)
    elif rule.kind == "event":
        if event_date is None or not rule.window_months:
            return None
        start = event_date
        end = add_months(event_date, rule.window_months) - dt.timedelta(days=1)
    elif rule.kind == "once":
        if rule.effective_from is None or rule.deadline is None:
            return None
        if rule.deadline < rule.effective_from:
            return None
        return Cycle(rule.effective_from, rule.deadline, rule.deadline)
    else:
        raise ValueError(rule.kind)
    return Cycle(start, end, _due(start, end, rule.deadline))


def credits_in(entries: Iterable[Entry], cycle: Cycle) -> Credits:
    """Sum what counts in ``cycle``: entries dated from its start to its due date."""
    credits = Credits()
    for entry in entries:
        if not cycle.contains(entry.day):
            continue
        credits.hours += entry.hours
        credits.days += entry.days
        if entry.is_online:
            credits.online_hours += entry.hours
        if entry.is_centralised:
            credits.centralised_days += entry.days
    return credits


def exemption_applies(
    periods: Iterable[tuple[dt.date, dt.date]], cycle: Cycle, today: dt.date
) -> bool:
    """An exemption counts when it is in force on the day the cycle is judged: today
    while the cycle runs, its due date once it is over."""
    judged = min(today, cycle.due)
    return any(start <= judged <= until for start, until in periods)


def _short(required: Decimal | None, have: Decimal) -> Decimal | None:
    """How much is missing (``None`` when nothing is required or it is met)."""
    if required is None or have >= required:
        return None
    return required - have


def evaluate(
    requirement: Requirement,
    credits: Credits,
    cycle: Cycle,
    today: dt.date,
    *,
    exempt: bool = False,
) -> Evaluation:
    if exempt:
        return Evaluation(EXEMPT)
    missing: dict = {}
    short_hours = _short(requirement.hours, credits.hours)
    short_days = _short(requirement.days, credits.days)
    either = requirement.hours is not None and requirement.days is not None
    # "X 学时 or Y days": one of them reached is enough.
    if not (either and (short_hours is None or short_days is None)):
        if short_hours is not None:
            missing["hours"] = str(short_hours)
        if short_days is not None:
            missing["days"] = str(short_days)
    for key in ("online_hours", "centralised_days"):
        short = _short(getattr(requirement, key), getattr(credits, key))
        if short is not None:
            missing[key] = str(short)
    for key in ("courses", "quizzes", "classes"):
        left = getattr(requirement, key) - getattr(credits, key)
        if left:
            missing[key] = sorted(left)
    if not missing:
        return Evaluation(COMPLIANT)
    if today > cycle.due:
        return Evaluation(NON_COMPLIANT, missing)
    return Evaluation(IN_PROGRESS, missing)


def met_day(
    requirement: Requirement,
    entries: Iterable[Entry],
    cycle: Cycle,
    today: dt.date,
    items: Credits | None = None,
) -> dt.date | None:
    """The first day by which the entries met the requirement (None if they never
    did by ``today``). Completed courses, exams and classes in ``items`` count as
    done throughout; amounts are added day by day, so a reversal that undid an
    earlier meeting moves the day to when it was met again."""
    credits = Credits(
        courses=items.courses if items else frozenset(),
        quizzes=items.quizzes if items else frozenset(),
        classes=items.classes if items else frozenset(),
    )
    by_day: dict[dt.date, list[Entry]] = {}
    for entry in entries:
        if cycle.contains(entry.day) and entry.day <= today:
            by_day.setdefault(entry.day, []).append(entry)
    met = None
    for day in sorted(by_day):
        for entry in by_day[day]:
            credits.hours += entry.hours
            credits.days += entry.days
            if entry.is_online:
                credits.online_hours += entry.hours
            if entry.is_centralised:
                credits.centralised_days += entry.days
        compliant = evaluate(requirement, credits, cycle, day).status == COMPLIANT
        if compliant and met is None:
            met = day
        elif not compliant:
            met = None
    return met


def format_amount(value: str | Decimal) -> str:
    """A 学时 or day amount as people write it: 90, 6.5, 0.25 (no trailing zeros)."""
    value = Decimal(value).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return number_format(value)


def missing_phrases(missing: dict, names: dict[str, dict[int, str]] | None = None):
    """What is missing, in the reader's words ("还差 6.5 学时 或 2 天").

    ``names`` maps "courses"/"quizzes"/"classes" to {id: title} for the lists."""
    names = names or {}
    phrases: list[str] = []
    hours, days = missing.get("hours"), missing.get("days")
    if hours and days:
        phrases.append(
            _("%(hours)s 学时 or %(days)s days short")
            % {"hours": format_amount(hours), "days": format_amount(days)}
        )
    elif hours:
        phrases.append(_("%(hours)s 学时 short") % {"hours": format_amount(hours)})
    elif days:
        phrases.append(_("%(days)s days short") % {"days": format_amount(days)})
    if missing.get("online_hours"):
        phrases.append(
            _("online 学时 %(hours)s short")
            % {"hours": format_amount(missing["online_hours"])}
        )
    if missing.get("centralised_days"):
        phrases.append(
            _("%(days)s days of centralised training short")
            % {"days": format_amount(missing["centralised_days"])}
        )
    labels = {
        "courses": _("Required course not completed: %(name)s"),
        "quizzes": _("Required exam not passed: %(name)s"),
        "classes": _("Required class not completed: %(name)s"),
    }
    for key, label in labels.items():
        for item in missing.get(key, []):
            name = names.get(key, {}).get(item, f"#{item}")
            phrases.append(label % {"name": name})
    return phrases
