"""The rule engine's invariants, driven by hypothesis (pure functions: no database)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from training.programmes import rules
from training.programmes.rules import (
    COMPLIANT,
    IN_PROGRESS,
    NON_COMPLIANT,
    Credits,
    CycleRule,
    Entry,
    Requirement,
    add_months,
    credits_in,
    cycle_containing,
    evaluate,
    exemption_applies,
)

# Moderate: the whole file stays well under a minute. No deadline: a slow shared
# machine must not turn into flaky failures.
rule_settings = settings(max_examples=200, deadline=None)

# 学时 in quarter steps (the national online-credit rule), days in halves.
hours = st.integers(min_value=0, max_value=2000).map(lambda n: Decimal(n) / 4)
days = st.integers(min_value=0, max_value=400).map(lambda n: Decimal(n) / 2)
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))
year_2026 = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31))
YEAR = CycleRule(kind="year")
CYCLE_2026 = cycle_containing(YEAR, dt.date(2026, 6, 1))

entries = st.builds(
    Entry,
    day=year_2026,
    hours=hours,
    days=days,
    is_online=st.booleans(),
    is_centralised=st.booleans(),
)


def met(result: rules.Evaluation) -> bool:
    return result.status == COMPLIANT


# --- hours OR days ---------------------------------------------------------------


@rule_settings
@given(required_h=hours, required_d=days, have_h=hours, have_d=days, today=dates)
def test_hours_or_days_met_iff_either_reached(
    required_h, required_d, have_h, have_d, today
):
    result = evaluate(
        Requirement(hours=required_h, days=required_d),
        Credits(hours=have_h, days=have_d),
        CYCLE_2026,
        today,
    )
    assert met(result) == (have_h >= required_h or have_d >= required_d)
    if not met(result):
        # Both shortfalls are shown, each in its own unit: nothing is converted.
        assert Decimal(result.missing["hours"]) == required_h - have_h
        assert Decimal(result.missing["days"]) == required_d - have_d


@rule_settings
@given(required_h=hours, have_h=hours, have_d=days)
def test_days_never_stand_in_for_hours(required_h, have_h, have_d):
    result = evaluate(
        Requirement(hours=required_h),
        Credits(hours=have_h, days=have_d),
        CYCLE_2026,
        dt.date(2026, 6, 1),
    )
    assert met(result) == (have_h >= required_h)
    assert "days" not in result.missing


@rule_settings
@given(required_d=days, have_h=hours, have_d=days)
def test_hours_never_stand_in_for_days(required_d, have_h, have_d):
    result = evaluate(
        Requirement(days=required_d),
        Credits(hours=have_h, days=have_d),
        CYCLE_2026,
        dt.date(2026, 6, 1),
    )
    assert met(result) == (have_d >= required_d)
    assert "hours" not in result.missing


# --- online sub-quota and centralised days ---------------------------------------


@rule_settings
@given(st.lists(entries, max_size=30))
def test_credit_sums(batch):
    credits = credits_in(batch, CYCLE_2026)
    assert credits.hours == sum((e.hours for e in batch), Decimal(0))
    assert credits.days == sum((e.days for e in batch), Decimal(0))
    # Online 学时 are part of the total, and only online entries count as online.
    assert credits.online_hours == sum(
        (e.hours for e in batch if e.is_online), Decimal(0)
    )
    assert credits.online_hours <= credits.hours
    assert credits.centralised_days == sum(
        (e.days for e in batch if e.is_centralised), Decimal(0)
    )
    assert credits.centralised_days <= credits.days


@rule_settings
@given(required_h=hours, required_online=hours, batch=st.lists(entries, max_size=30))
def test_online_requirement_is_independent_of_the_total(
    required_h, required_online, batch
):
    credits = credits_in(batch, CYCLE_2026)
    result = evaluate(
        Requirement(hours=required_h, online_hours=required_online),
        credits,
        CYCLE_2026,
        dt.date(2026, 6, 1),
    )
    assert ("online_hours" in result.missing) == (
        credits.online_hours < required_online
    )
    assert ("hours" in result.missing) == (credits.hours < required_h)
    assert met(result) == (
        credits.hours >= required_h and credits.online_hours >= required_online
    )


@rule_settings
@given(required_d=days, required_central=days, batch=st.lists(entries, max_size=30))
def test_centralised_days_are_a_separate_requirement(
    required_d, required_central, batch
):
    credits = credits_in(batch, CYCLE_2026)
    result = evaluate(
        Requirement(days=required_d, centralised_days=required_central),
        credits,
        CYCLE_2026,
        dt.date(2026, 6, 1),
    )
    assert ("centralised_days" in result.missing) == (
        credits.centralised_days < required_central
    )
    if "centralised_days" in result.missing:
        assert Decimal(result.missing["centralised_days"]) == (
            required_central - credits.centralised_days
        )
    assert met(result) == (
        credits.days >= required_d and credits.centralised_days >= required_central
    )


# --- cycles ----------------------------------------------------------------------


@rule_settings
@given(day=dates)
def test_calendar_year_contains_the_day(day):
    cycle = cycle_containing(YEAR, day)
    assert cycle.start == dt.date(day.year, 1, 1)
    assert cycle.end == cycle.due == dt.date(day.year, 12, 31)
    assert cycle.contains(day)


multi_year = st.builds(
    CycleRule,
    kind=st.just("years"),
    years=st.integers(min_value=1, max_value=10),
    anchor_year=st.integers(min_value=1950, max_value=2090),
)


@rule_settings
@given(rule=multi_year, day=dates)
def test_multi_year_cycle_contains_the_day(rule, day):
    # Anchors before and after the day (negative offsets) alike.
    cycle = cycle_containing(rule, day)
    assert cycle.start <= day <= cycle.end
    assert cycle.start.month == 1 and cycle.start.day == 1
    assert cycle.end.month == 12 and cycle.end.day == 31
    assert cycle.end.year - cycle.start.year + 1 == rule.years
    assert (cycle.start.year - rule.anchor_year) % rule.years == 0


@rule_settings
@given(rule=st.one_of(st.just(YEAR), multi_year), day=dates)
def test_cycles_tile_without_gaps_or_overlap(rule, day):
    cycle = cycle_containing(rule, day)
    after = cycle_containing(rule, cycle.end + dt.timedelta(days=1))
    before = cycle_containing(rule, cycle.start - dt.timedelta(days=1))
    assert after.start == cycle.end + dt.timedelta(days=1)
    assert before.end == cycle.start - dt.timedelta(days=1)
    # Every day of the cycle maps to this same cycle.
    assert cycle_containing(rule, cycle.start) == cycle
    assert cycle_containing(rule, cycle.end) == cycle


@rule_settings
@given(rule=multi_year, day=dates, deadline_offset=st.integers(0, 4000))
def test_deadline_inside_the_cycle_becomes_the_due_date(rule, day, deadline_offset):
    base = cycle_containing(rule, day)
    deadline = base.start + dt.timedelta(days=deadline_offset)
    with_deadline = CycleRule(
        kind="years", years=rule.years, anchor_year=rule.anchor_year, deadline=deadline
    )
    cycle = cycle_containing(with_deadline, day)
    assert (cycle.start, cycle.end) == (base.start, base.end)
    assert cycle.due == (deadline if deadline <= base.end else base.end)


@rule_settings
@given(day=dates, months=st.integers(min_value=-240, max_value=240))
def test_add_months_clamps_to_the_end_of_the_month(day, months):
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(day.day, last)


def test_add_months_from_leap_day_and_month_ends():
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 48) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 8, 31), 1) == dt.date(2026, 9, 30)
    assert add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


@rule_settings
@given(event=dates, window=st.integers(min_value=1, max_value=60), day=dates)
def test_event_window_starts_on_the_event_whatever_the_day(event, window, day):
    rule = CycleRule(kind="event", window_months=window)
    cycle = cycle_containing(rule, day, event)
    assert cycle.start == event
    assert cycle.end == add_months(event, window) - dt.timedelta(days=1)
    assert cycle.start <= cycle.end == cycle.due
    assert cycle_containing(rule, day, None) is None


def test_event_window_from_a_leap_day():
    rule = CycleRule(kind="event", window_months=12)
    cycle = cycle_containing(rule, dt.date(2024, 3, 1), dt.date(2024, 2, 29))
    assert (cycle.start, cycle.end) == (dt.date(2024, 2, 29), dt.date(2025, 2, 27))


@rule_settings
@given(start=dates, length=st.integers(min_value=-400, max_value=4000), day=dates)
def test_once_runs_from_effective_date_to_deadline(start, length, day):
    deadline = start + dt.timedelta(days=length)
    assume(deadline <= dt.date(2099, 12, 31))
    rule = CycleRule(kind="once", effective_from=start, deadline=deadline)
    cycle = cycle_containing(rule, day)
    if deadline < start:
        assert cycle is None
    else:
        assert (cycle.start, cycle.end, cycle.due) == (start, deadline, deadline)


# --- time zones: the cycle of a moment is the cycle of its Shanghai date ----------


@rule_settings
@given(year=st.integers(min_value=2000, max_value=2090))
def test_late_evening_new_years_eve_in_shanghai_is_still_that_year(year):
    from django.utils import timezone

    utc = dt.UTC
    late = dt.datetime(year, 12, 31, 15, 30, tzinfo=utc)  # 23:30 in Shanghai
    early = dt.datetime(year, 12, 31, 16, 30, tzinfo=utc)  # 00:30 Jan 1 in Shanghai
    assert timezone.localdate(late) == dt.date(year, 12, 31)
    assert cycle_containing(YEAR, timezone.localdate(late)).start.year == year
    assert timezone.localdate(early) == dt.date(year + 1, 1, 1)
    assert cycle_containing(YEAR, timezone.localdate(early)).start.year == year + 1
    # Naively taking the UTC date would put the second moment in the old year.
    assert early.date().year == year


# --- exemptions --------------------------------------------------------------------

periods = st.lists(
    st.tuples(year_2026, st.integers(0, 200)).map(
        lambda p: (p[0], p[0] + dt.timedelta(days=p[1]))
    ),
    max_size=4,
)


@rule_settings
@given(periods=periods, today=st.dates(dt.date(2025, 6, 1), dt.date(2027, 6, 1)))
def test_exemption_judged_on_the_earlier_of_today_and_due(periods, today):
    judged = min(today, CYCLE_2026.due)
    expected = any(start <= judged <= until for start, until in periods)
    assert exemption_applies(periods, CYCLE_2026, today) == expected
    # After the cycle is over, only the due date matters.
    if today > CYCLE_2026.due:
        assert exemption_applies(periods, CYCLE_2026, today) == (
            exemption_applies(periods, CYCLE_2026, CYCLE_2026.due)
        )


@rule_settings
@given(required_h=hours, have_h=hours, today=dates)
def test_exempt_wins_over_anything_missing(required_h, have_h, today):
    result = evaluate(
        Requirement(hours=required_h),
        Credits(hours=have_h),
        CYCLE_2026,
        today,
        exempt=True,
    )
    assert result.status == rules.EXEMPT
    assert result.missing == {}


# --- reversals, status, monotonicity ---------------------------------------------


def reversal(entry: Entry) -> Entry:
    return Entry(
        entry.day, -entry.hours, -entry.days, entry.is_online, entry.is_centralised
    )


@rule_settings
@given(kept=st.lists(entries, max_size=15), reversed_=st.lists(entries, max_size=15))
def test_reversed_entries_count_as_if_never_made(kept, reversed_):
    with_reversals = kept + reversed_ + [reversal(e) for e in reversed_]
    assert credits_in(with_reversals, CYCLE_2026) == credits_in(kept, CYCLE_2026)


requirements = st.builds(
    Requirement,
    hours=st.none() | hours,
    days=st.none() | days,
    online_hours=st.none() | hours,
    centralised_days=st.none() | days,
)


@rule_settings
@given(requirement=requirements, batch=st.lists(entries, max_size=20), today=dates)
def test_status_follows_missing_and_the_due_date(requirement, batch, today):
    result = evaluate(requirement, credits_in(batch, CYCLE_2026), CYCLE_2026, today)
    if not result.missing:
        assert result.status == COMPLIANT
    elif today > CYCLE_2026.due:
        assert result.status == NON_COMPLIANT
    else:
        assert result.status == IN_PROGRESS


@rule_settings
@given(
    requirement=requirements,
    batch=st.lists(entries, max_size=20),
    extra=entries,
    today=dates,
)
def test_more_credit_never_loses_compliance(requirement, batch, extra, today):
    before = evaluate(requirement, credits_in(batch, CYCLE_2026), CYCLE_2026, today)
    after = evaluate(
        requirement, credits_in([*batch, extra], CYCLE_2026), CYCLE_2026, today
    )
    if met(before):
        assert met(after)
    # And nothing missing grows.
    for key, value in after.missing.items():
        assert key in before.missing
        assert Decimal(value) <= Decimal(before.missing[key])


@rule_settings
@given(batch=st.lists(entries, max_size=20), day=year_2026)
def test_only_entries_up_to_the_due_date_count(batch, day):
    deadline_rule = CycleRule(kind="year", deadline=day)
    cycle = cycle_containing(deadline_rule, dt.date(2026, 1, 1))
    assert cycle.due == day
    credits = credits_in(batch, cycle)
    assert credits.hours == sum((e.hours for e in batch if e.day <= day), Decimal(0))


def test_met_day_is_the_first_day_the_credits_sufficed():
    import datetime as dt
    from decimal import Decimal as D

    from training.programmes import rules

    cycle = rules.Cycle(
        dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 12, 31)
    )
    need = rules.Requirement(hours=D("90"))
    entries = [
        rules.Entry(dt.date(2026, 2, 1), D("50")),
        rules.Entry(dt.date(2026, 3, 1), D("45")),
        rules.Entry(dt.date(2026, 4, 1), D("-10")),  # a reversal: no longer met
        rules.Entry(dt.date(2026, 6, 1), D("10")),
        rules.Entry(dt.date(2026, 9, 1), D("30")),
    ]
    assert rules.met_day(need, entries, cycle, dt.date(2026, 11, 1)) == dt.date(
        2026, 6, 1
    )
    assert rules.met_day(need, entries[:2], cycle, dt.date(2026, 11, 1)) == dt.date(
        2026, 3, 1
    )
    assert rules.met_day(need, entries[:1], cycle, dt.date(2026, 11, 1)) is None
