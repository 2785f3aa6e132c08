"""The national rules of DESIGN.md as rule-engine objects, with worked examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import translation

from training.programmes.rules import (
    COMPLIANT,
    IN_PROGRESS,
    NON_COMPLIANT,
    Credits,
    CycleRule,
    Entry,
    Requirement,
    credits_in,
    cycle_containing,
    evaluate,
    missing_phrases,
)

MID_2026 = dt.date(2026, 6, 1)
YEAR = CycleRule(kind="year")

# 岗位培训: ≥ 12 days or ≥ 90 学时 a year.
ON_THE_JOB = Requirement(hours=D(90), days=D(12))
# ≥ 50 online 学时 a year.
ONLINE = Requirement(online_hours=D(50))
# 县处级 and above: ≥ 3 months (90 days) or 550 学时 in 5 years (cycles from 2023).
CADRE = Requirement(hours=D(550), days=D(90))
CADRE_CYCLE = CycleRule(kind="years", years=5, anchor_year=2023)
# 初任: one year including ≥ 1 month centralised.
INDUCTION = Requirement(centralised_days=D(30))
INDUCTION_CYCLE = CycleRule(kind="event", window_months=12)
# New 检察长/副检察长: ≥ 15 days within a year of taking office.
NEW_CHIEF = Requirement(days=D(15))
# Promotion to 高级检察官: 30 days or 230 学时 within a year.
PROMOTION = Requirement(hours=D(230), days=D(30))
# 2026 political rotation: 5 days by 15 December.
POLITICAL_CYCLE = CycleRule(kind="year", deadline=dt.date(2026, 12, 15))
POLITICAL = Requirement(days=D(5))


def judge(requirement, rule, batch, today, event=None):
    cycle = cycle_containing(rule, today, event)
    return evaluate(requirement, credits_in(batch, cycle), cycle, today)


def test_twelve_days_meet_the_on_the_job_rule():
    result = judge(ON_THE_JOB, YEAR, [Entry(MID_2026, days=D(12))], MID_2026)
    assert result.status == COMPLIANT
    assert result.missing == {}


def test_ninety_hours_meet_it_too():
    batch = [Entry(MID_2026, hours=D(45)), Entry(dt.date(2026, 2, 1), hours=D(45))]
    assert judge(ON_THE_JOB, YEAR, batch, MID_2026).status == COMPLIANT


def test_just_short_in_both_units():
    batch = [Entry(MID_2026, hours=D("89.5")), Entry(MID_2026, days=D(11))]
    result = judge(ON_THE_JOB, YEAR, batch, MID_2026)
    assert result.status == IN_PROGRESS
    assert result.missing == {"hours": "0.5", "days": "1"}
    with translation.override("en"):
        assert missing_phrases(result.missing) == ["0.5 学时 or 1 days short"]


def test_last_years_credit_does_not_count_and_the_year_ends_overdue():
    batch = [Entry(dt.date(2025, 12, 31), days=D(12)), Entry(MID_2026, hours=D(10))]
    result = judge(ON_THE_JOB, YEAR, batch, dt.date(2027, 1, 2) - dt.timedelta(1))
    assert result.status == IN_PROGRESS
    cycle = cycle_containing(YEAR, MID_2026)
    late = evaluate(ON_THE_JOB, credits_in(batch, cycle), cycle, dt.date(2027, 1, 1))
    assert late.status == NON_COMPLIANT
    assert late.missing == {"hours": "80", "days": "12"}


def test_online_quota_only_counts_online_hours():
    batch = [
        Entry(MID_2026, hours=D(60)),  # a class: 学时, not online
        Entry(MID_2026, hours=D("49.5"), is_online=True),
    ]
    result = judge(ONLINE, YEAR, batch, MID_2026)
    assert result.missing == {"online_hours": "0.5"}
    with translation.override("en"):
        assert missing_phrases(result.missing) == ["online 学时 0.5 short"]
    batch.append(Entry(MID_2026, hours=D("0.5"), is_online=True))
    assert judge(ONLINE, YEAR, batch, MID_2026).status == COMPLIANT


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (dt.date(2023, 1, 1), dt.date(2023, 1, 1), dt.date(2027, 12, 31)),
        (dt.date(2026, 6, 1), dt.date(2023, 1, 1), dt.date(2027, 12, 31)),
        (dt.date(2027, 12, 31), dt.date(2023, 1, 1), dt.date(2027, 12, 31)),
        (dt.date(2028, 1, 1), dt.date(2028, 1, 1), dt.date(2032, 12, 31)),
        (dt.date(2022, 12, 31), dt.date(2018, 1, 1), dt.date(2022, 12, 31)),
    ],
)
def test_cadre_five_year_cycles(day, start, end):
    cycle = cycle_containing(CADRE_CYCLE, day)
    assert (cycle.start, cycle.end, cycle.due) == (start, end, end)


def test_550_hours_over_2023_to_2027():
    batch = [Entry(dt.date(y, 5, 1), hours=D(110)) for y in range(2023, 2028)]
    assert judge(CADRE, CADRE_CYCLE, batch[:4], MID_2026).missing == {
        "hours": "110",
        "days": "90",
    }
    assert judge(CADRE, CADRE_CYCLE, batch, dt.date(2027, 6, 1)).status == COMPLIANT
    # 2022 credit belongs to the previous cycle.
    early = [Entry(dt.date(2022, 5, 1), hours=D(550))]
    assert judge(CADRE, CADRE_CYCLE, early, MID_2026).status == IN_PROGRESS


def test_three_months_of_days_meet_the_cadre_rule():
    batch = [Entry(dt.date(2024, 3, 1), days=D(60)), Entry(MID_2026, days=D(30))]
    assert judge(CADRE, CADRE_CYCLE, batch, MID_2026).status == COMPLIANT


def test_induction_needs_a_month_centralised_within_the_first_year():
    joined = dt.date(2026, 3, 15)
    batch = [
        Entry(dt.date(2026, 4, 1), days=D(20), is_centralised=True),
        Entry(dt.date(2026, 5, 1), days=D(20)),  # on the job: not centralised
    ]
    result = judge(INDUCTION, INDUCTION_CYCLE, batch, MID_2026, event=joined)
    assert result.missing == {"centralised_days": "10"}
    with translation.override("en"):
        assert missing_phrases(result.missing) == [
            "10 days of centralised training short"
        ]
    cycle = cycle_containing(INDUCTION_CYCLE, MID_2026, joined)
    assert (cycle.start, cycle.due) == (joined, dt.date(2027, 3, 14))
    late = evaluate(
        INDUCTION, credits_in(batch, cycle), cycle, dt.date(2027, 3, 15)
    ).status
    assert late == NON_COMPLIANT


def test_new_chief_fifteen_days_within_a_year_of_taking_office():
    appointed = dt.date(2026, 1, 31)
    cycle = cycle_containing(INDUCTION_CYCLE, MID_2026, appointed)
    assert cycle.due == dt.date(2027, 1, 30)
    batch = [Entry(dt.date(2027, 1, 30), days=D(15))]
    assert judge(NEW_CHIEF, INDUCTION_CYCLE, batch, MID_2026, appointed).status == (
        COMPLIANT
    )
    batch = [Entry(dt.date(2027, 1, 31), days=D(15))]  # a day too late
    result = judge(NEW_CHIEF, INDUCTION_CYCLE, batch, MID_2026, appointed)
    assert result.missing == {"days": "15"}
    with translation.override("en"):
        assert missing_phrases(result.missing) == ["15 days short"]


def test_promotion_230_hours_or_30_days():
    promoted = dt.date(2025, 9, 1)
    batch = [Entry(dt.date(2026, 8, 31), hours=D(230))]
    assert judge(PROMOTION, INDUCTION_CYCLE, batch, MID_2026, promoted).status == (
        COMPLIANT
    )
    short = [Entry(dt.date(2026, 1, 1), hours=D("229.75"), days=D("29.5"))]
    result = judge(PROMOTION, INDUCTION_CYCLE, short, MID_2026, promoted)
    assert result.missing == {"hours": "0.25", "days": "0.5"}


def test_political_rotation_is_due_on_its_deadline():
    cycle = cycle_containing(POLITICAL_CYCLE, MID_2026)
    assert (cycle.end, cycle.due) == (dt.date(2026, 12, 31), dt.date(2026, 12, 15))
    batch = [Entry(dt.date(2026, 12, 20), days=D(5))]  # after the deadline
    result = evaluate(POLITICAL, credits_in(batch, cycle), cycle, dt.date(2026, 12, 16))
    assert result.status == NON_COMPLIANT
    assert result.missing == {"days": "5"}
    in_time = [Entry(dt.date(2026, 12, 15), days=D(5))]
    assert (
        evaluate(POLITICAL, credits_in(in_time, cycle), cycle, dt.date(2026, 12, 16))
    ).status == COMPLIANT


def test_hours_only_and_required_items_phrases():
    with translation.override("en"):
        assert missing_phrases({"hours": "6.50"}) == ["6.5 学时 short"]
        assert missing_phrases(
            {"courses": [3], "quizzes": [9], "classes": [4]},
            {"courses": {3: "公正廉洁执法"}},
        ) == [
            "Required course not completed: 公正廉洁执法",
            "Required exam not passed: #9",
            "Required class not completed: #4",
        ]
        assert missing_phrases({}) == []


def test_required_courses_are_missing_until_done():
    requirement = Requirement(courses=frozenset({1, 2}))
    cycle = cycle_containing(YEAR, MID_2026)
    result = evaluate(requirement, Credits(courses=frozenset({2})), cycle, MID_2026)
    assert result.missing == {"courses": [1]}
    done = Credits(courses=frozenset({1, 2, 3}))
    assert evaluate(requirement, done, cycle, MID_2026).status == COMPLIANT
