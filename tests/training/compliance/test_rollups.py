"""The unit roll-ups and the dashboard figures built from them equal a recount in
plain Python from the ``ComplianceStatus`` and ``Person`` rows they summarise, after
any mix of credits, transfers, category changes, exemptions and the overdue sweep.

The property test builds its world inside a savepoint that is rolled back after
each example (the ``db`` fixture is function-scoped: one test transaction for all
examples), so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.factories import OrgUnitFactory, PersonFactory, UserFactory
from tests.factories.training import credit, make_programme
from training.compliance.exemptions import exemption_grant
from training.compliance.models import ComplianceStatus
from training.compliance.recompute import compliance_mark_overdue, compliance_recompute
from training.compliance.rollup_models import UnitRollup, UnitRollupMonth
from training.compliance.rollups import (
    AT_RISK_DAYS,
    rollups_generation,
    rollups_rebuild,
)
from training.compliance.services import compliance_refresh_person
from training.org.models import OrgUnit, Person
from training.programmes.models import Programme
from training.reports.dashboard import (
    FOCUS_GROUPS,
    DashboardFilter,
    at_risk_q,
    dashboard_build,
    dashboard_get,
    focus_group,
)

Status = ComplianceStatus.Status
Category = Person.Category
Lead = Person.LeadershipLevel
COUNTS = ("total", "compliant", "in_progress", "overdue", "exempt", "at_risk")
STATUS_FIELD = {
    Status.COMPLIANT: "compliant",
    Status.IN_PROGRESS: "in_progress",
    Status.NON_COMPLIANT: "overdue",
    Status.EXEMPT: "exempt",
}
YEAR_START = dt.date(2026, 1, 1)


# --- a brute-force recount ----------------------------------------------------------


def _blank() -> dict:
    return {
        **dict.fromkeys(COUNTS, 0),
        "hours": Decimal(0),
        "online_hours": Decimal(0),
    }


def _add(counts: dict, row: ComplianceStatus, today: dt.date) -> None:
    counts["total"] += 1
    field = STATUS_FIELD.get(row.status)
    if field:
        counts[field] += 1
    if row.status == Status.IN_PROGRESS and row.due_on <= today + dt.timedelta(
        days=AT_RISK_DAYS
    ):
        counts["at_risk"] += 1
    counts["hours"] += row.hours
    counts["online_hours"] += row.online_hours


def _figures(counts) -> dict:
    """A dashboard ``Counts`` as the plain dict the recount builds."""
    return {name: getattr(counts, name) for name in (*COUNTS, "hours", "online_hours")}


def _matches(f: DashboardFilter, person: Person) -> bool:
    for name in ("category", "grade", "leadership_level"):
        wanted = getattr(f, name)
        if wanted and getattr(person, name) != ("" if wanted == "-" else wanted):
            return False
    return not (
        f.focus and focus_group(person.leadership_level, person.is_quota) != f.focus
    )


def recount(f: DashboardFilter, today: dt.date) -> dict:
    """Every dashboard figure of ``f`` from the status rows, in Python."""
    units = {u.pk: u for u in OrgUnit.objects.all()}
    rows = [
        row
        for row in ComplianceStatus.objects.filter(
            programme=f.programme
        ).select_related("person")
        if (f.cycle_start is None or row.cycle_start == f.cycle_start)
        and units[row.unit_id].path.startswith(f.unit.path)
        and _matches(f, row.person)
    ]
    child_len = len(f.unit.path) + OrgUnit.steplen
    result = {
        "summary": _blank(),
        "own": _blank(),
        "children": defaultdict(_blank),
        "category": defaultdict(_blank),
        "grade": defaultdict(_blank),
        "leadership": defaultdict(_blank),
        "focus": defaultdict(_blank),
    }
    months: dict[str, int] = defaultdict(int)
    for row in rows:
        person, path = row.person, units[row.unit_id].path
        _add(result["summary"], row, today)
        if path == f.unit.path:
            _add(result["own"], row, today)
        else:
            child = next(u for u in units.values() if u.path == path[:child_len])
            _add(result["children"][child.pk], row, today)
        _add(result["category"][person.category], row, today)
        if person.grade:
            _add(result["grade"][person.grade], row, today)
        _add(result["leadership"][person.leadership_level], row, today)
        focus = focus_group(person.leadership_level, person.is_quota)
        _add(result["focus"][focus], row, today)
        if row.status == Status.COMPLIANT and row.met_on is not None:
            months[row.met_on.strftime("%Y-%m")] += 1
    # The trend counts every met person of the subtree: person filters do not apply.
    if f.person_q():
        months = defaultdict(int)
        for row in ComplianceStatus.objects.filter(
            f.cycle_q(), status=Status.COMPLIANT, unit__path__startswith=f.unit.path
        ):
            months[row.met_on.strftime("%Y-%m")] += 1
    result["months"] = dict(sorted(months.items()))
    return result


def assert_dashboard_equals_recount(f: DashboardFilter, today: dt.date) -> None:
    dash = dashboard_build(f)
    expected = recount(f, today)
    assert _figures(dash.summary) == expected["summary"]
    assert _figures(dash.own) == expected["own"]
    children = {c["id"]: _figures(c["counts"]) for c in dash.children}
    for unit_id, counts in expected["children"].items():
        assert children.pop(unit_id) == counts
    assert all(counts == _blank() for counts in children.values())
    for name, table in (
        ("category", dash.by_category),
        ("grade", dash.by_grade),
        ("leadership", dash.by_leadership),
        ("focus", dash.by_focus),
    ):
        assert {k: _figures(v) for k, v in table.items()} == dict(expected[name]), name
    months = {point["month"]: point["met"] for point in dash.trend}
    assert months == expected["months"]
    cumulative = 0
    for point in dash.trend:
        cumulative += point["met"]
        assert point["cumulative"] == cumulative


def assert_rollups_equal_statuses(today: dt.date) -> None:
    """The stored roll-up rows themselves, key by key (not only through the
    dashboard), including that no stale row is left behind."""
    expected: dict[tuple, dict] = defaultdict(_blank)
    expected_months: dict[tuple, int] = defaultdict(int)
    for row in ComplianceStatus.objects.select_related("person"):
        p = row.person
        key = (
            row.unit_id,
            row.programme_id,
            row.cycle_start,
            p.category,
            p.grade,
            p.leadership_level,
            p.is_quota,
        )
        _add(expected[key], row, today)
        if row.status == Status.COMPLIANT and row.met_on is not None:
            month = row.met_on.replace(day=1)
            expected_months[
                (row.unit_id, row.programme_id, row.cycle_start, month)
            ] += 1
    stored = {
        (
            r.unit_id,
            r.programme_id,
            r.cycle_start,
            r.category,
            r.grade,
            r.leadership_level,
            r.is_quota,
        ): {name: getattr(r, name) for name in (*COUNTS, "hours", "online_hours")}
        for r in UnitRollup.objects.all()
    }
    assert stored == dict(expected)
    stored_months = {
        (m.unit_id, m.programme_id, m.cycle_start, m.month): m.met
        for m in UnitRollupMonth.objects.all()
    }
    assert stored_months == dict(expected_months)


# --- the property -------------------------------------------------------------------

CATEGORIES = [Category.PROSECUTOR, Category.ASSISTANT, Category.CLERK]
people_st = st.lists(
    st.fixed_dictionaries(
        {
            "unit": st.integers(0, 7),
            "category": st.sampled_from(CATEGORIES),
            "grade": st.sampled_from(["", "p1", "senior3"]),
            "leadership_level": st.sampled_from(["", Lead.COUNTY, Lead.SECTION]),
            "is_quota": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("credit"),
            st.integers(0, 7),  # person
            st.integers(0, 40),  # quarter 学时
            st.integers(0, 330),  # day of 2026
            st.booleans(),  # online
        ),
        st.tuples(st.just("transfer"), st.integers(0, 7), st.integers(0, 7)),
        st.tuples(
            st.just("category"),
            st.integers(0, 7),
            st.sampled_from(CATEGORIES),
            st.sampled_from(["", Lead.COUNTY]),
        ),
        st.tuples(st.just("exempt"), st.integers(0, 7), st.integers(0, 1)),
        st.tuples(st.just("overdue")),
    ),
    max_size=12,
)


def _world(parents: list[int], people_spec: list[dict]):
    """A tree of ``len(parents) + 1`` units (unit i + 1 under unit parents[i] ≤ i)
    and its people; two programmes: everyone's 2026 on-the-job hours, and a
    prosecutors-only one due on 1 December (already past: overdue rows)."""
    root = OrgUnitFactory(code="R0", name="根院", level="provincial")
    units = [root]
    for n, parent in enumerate(parents, start=1):
        parent_unit = OrgUnit.objects.get(pk=units[min(parent, n - 1)].pk)
        units.append(
            OrgUnitFactory(code=f"R{n}", name=f"下级院{n}", parent=parent_unit)
        )
    units = [OrgUnit.objects.get(pk=u.pk) for u in units]
    people = []
    for n, spec in enumerate(people_spec):
        prosecutor = spec["category"] == Category.PROSECUTOR
        people.append(
            PersonFactory(
                unit=units[spec["unit"] % len(units)],
                employee_no=f"H-{n}",
                category=spec["category"],
                grade=spec["grade"] if prosecutor else "",
                is_quota=spec["is_quota"] and prosecutor,
                leadership_level=spec["leadership_level"],
            )
        )
    yearly = make_programme(root, hours_required=Decimal(2)).programme
    campaign = make_programme(
        root,
        name="专项轮训",
        kind=Programme.Kind.POLITICAL,
        deadline=dt.date(2026, 12, 1),
        effective_from=YEAR_START,
        categories=[Category.PROSECUTOR],
        hours_required=Decimal(1),
        cycle_kind="once",
    ).programme
    return units, people, [yearly, campaign]


def _apply(op, units, people, programmes, admin, today) -> None:
    kind, *args = op
    if kind == "credit":
        person, quarters, day, online = args
        source = "course" if online else "adjustment"
        credit(
            people[person % len(people)],
            Decimal(quarters) / 4,
            on=YEAR_START + dt.timedelta(days=day),
            source=source,
        )
    elif kind == "transfer":
        person = people[args[0] % len(people)]
        Person.objects.filter(pk=person.pk).update(unit=units[args[1] % len(units)])
        compliance_refresh_person(person_id=person.pk, today=today)
    elif kind == "category":
        person = people[args[0] % len(people)]
        prosecutor = args[1] == Category.PROSECUTOR
        Person.objects.filter(pk=person.pk).update(
            category=args[1],
            grade="p1" if prosecutor else "",
            is_quota=prosecutor,
            leadership_level=args[2],
        )
        compliance_refresh_person(person_id=person.pk, today=today)
    elif kind == "exempt":
        person = Person.objects.get(pk=people[args[0] % len(people)].pk)
        exemption_grant(
            person=person,
            programme=programmes[args[1]],
            reason="病假",
            valid_from=YEAR_START,
            valid_until=dt.date(2026, 12, 31),
            actor=admin,
        )
    else:
        compliance_mark_overdue(today=today)


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    # Shrinking a database-backed example is slow; the failing example is printed.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    parents=st.lists(st.integers(0, 5), min_size=1, max_size=5),
    people_spec=people_st,
    ops=operations,
    person_filter=st.sampled_from(
        [
            {},
            {"category": Category.PROSECUTOR},
            {"grade": "-"},
            {"leadership_level": Lead.COUNTY},
            {"leadership_level": "-"},
            *({"focus": focus} for focus in FOCUS_GROUPS),
        ]
    ),
)
def test_dashboard_figures_equal_a_recount_of_the_status_rows(
    db, parents, people_spec, ops, person_filter
):
    today = timezone.localdate()
    with transaction.atomic():
        units, people, programmes = _world(parents, people_spec)
        admin = UserFactory(username="h-admin", is_superuser=True, is_staff=True)
        for person in people:
            compliance_refresh_person(person_id=person.pk, today=today)
        for op in ops:
            _apply(op, units, people, programmes, admin, today)

        assert_rollups_equal_statuses(today)
        # Every running cycle's row sits in its person's current unit (transfers
        # moved them; a closed cycle stays where it was counted).
        assert (
            not ComplianceStatus.objects.filter(due_on__gte=today)
            .exclude(unit_id=F("person__unit_id"))
            .exists()
        )
        cycles = set(ComplianceStatus.objects.values_list("programme", "cycle_start"))
        for programme in programmes:
            starts = [s for p, s in cycles if p == programme.pk] or [None]
            for start in starts:
                for unit in units:
                    f = DashboardFilter(
                        unit=unit,
                        programme=programme,
                        cycle_start=start,
                        **person_filter,
                    )
                    assert_dashboard_equals_recount(f, today)
        transaction.set_rollback(True)


# --- examples -----------------------------------------------------------------------


@pytest.fixture
def yearly(tree, people):
    programme = make_programme(tree.prov, hours_required=Decimal(2)).programme
    # Publishing recomputes after commit; the test transaction never commits.
    compliance_recompute(programme_ids=[programme.pk])
    return programme


def _row_units(programme) -> dict[int, int]:
    return dict(
        UnitRollup.objects.filter(programme=programme)
        .values_list("unit_id")
        .annotate(n=Sum("total"))
        .order_by()
    )


def test_transfer_moves_the_count_to_the_new_unit(tree, people, yearly):
    person = people["A1"]
    before = _row_units(yearly)
    assert before[tree.a1.pk] == 1 and before[tree.b1.pk] == 1
    Person.objects.filter(pk=person.pk).update(unit=tree.b1)
    compliance_refresh_person(person_id=person.pk, today=timezone.localdate())
    after = _row_units(yearly)
    assert tree.a1.pk not in after  # nobody left: the row is gone, not a zero
    assert after[tree.b1.pk] == 2
    f = DashboardFilter(unit=tree.city_a, programme=yearly)
    assert dashboard_build(f).summary.total == 2  # CITY-A and A2 only
    assert (
        dashboard_build(DashboardFilter(unit=tree.prov, programme=yearly)).summary.total
        == 6
    )


def test_leaving_the_audience_deletes_the_status_and_its_count(tree, people):
    prosecutors = make_programme(
        tree.prov,
        name="检察官培训",
        categories=[Category.PROSECUTOR],
        hours_required=Decimal(1),
    ).programme
    person = people["A2"]
    Person.objects.filter(pk=person.pk).update(category=Category.PROSECUTOR)
    compliance_refresh_person(person_id=person.pk, today=timezone.localdate())
    assert _row_units(prosecutors).get(tree.a2.pk) == 1
    Person.objects.filter(pk=person.pk).update(category=Category.CLERK)
    compliance_refresh_person(person_id=person.pk, today=timezone.localdate())
    assert not ComplianceStatus.objects.filter(
        person=person, programme=prosecutors
    ).exists()
    assert tree.a2.pk not in _row_units(prosecutors)


def test_at_risk_counts_in_progress_rows_due_soon(tree, people):
    today = timezone.localdate()
    soon = make_programme(
        tree.prov,
        name="临期项目",
        kind=Programme.Kind.POLITICAL,
        deadline=today + dt.timedelta(days=AT_RISK_DAYS - 1),
        effective_from=today - dt.timedelta(days=30),
        hours_required=Decimal(1),
        cycle_kind="once",
    ).programme
    compliance_recompute(programme_ids=[soon.pk])
    credit(people["A1"], "1", on=today)  # A1 meets it; the other five are at risk
    rollups_rebuild(programme_id=soon.pk, today=today)
    dash = dashboard_build(DashboardFilter(unit=tree.prov, programme=soon))
    assert dash.summary.total == 6
    assert dash.summary.compliant == 1
    assert dash.summary.at_risk == 5
    assert (
        ComplianceStatus.objects.filter(at_risk_q(today), programme=soon).count() == 5
    )


def test_a_refresh_after_commit_invalidates_the_cached_dashboard(
    tree, people, yearly, superuser, django_capture_on_commit_callbacks
):
    f = DashboardFilter(unit=tree.prov, programme=yearly)
    generation = rollups_generation()
    first = dashboard_get(superuser, f)
    assert first.summary.compliant == 0
    assert dashboard_get(superuser, f).generated_at == first.generated_at  # cached
    with django_capture_on_commit_callbacks(execute=True):
        credit(people["B1"], "2")
    assert rollups_generation() != generation
    second = dashboard_get(superuser, f)
    assert second.summary.compliant == 1
    assert second.generated_at != first.generated_at
    # Without the bump (no commit) the stale figure would still be served.
    cache.clear()
    assert dashboard_get(superuser, f).summary.compliant == 1
