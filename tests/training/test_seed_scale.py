"""seed_scale on tiny numbers: a valid tree, believable people, a year of ledger,
repeatable by seed, and careful about what it deletes."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min

from training import scale
from training.models import LedgerEntry, OrgUnit, Person, Programme

UNITS, PEOPLE = 40, 500


def seed(**options):
    call_command(
        "seed_scale",
        units=UNITS,
        people=PEOPLE,
        force=True,
        stdout=io.StringIO(),
        **options,
    )


def snapshot() -> list[tuple]:
    people = Person.objects.filter(employee_no__startswith=scale.PREFIX)
    rows = people.order_by("employee_no").values_list(
        "employee_no",
        "user__full_name",
        "unit__code",
        "unit__name",
        "category",
        "grade",
        "is_quota",
        "leadership_level",
        "joined_on",
    )
    ledger = (
        LedgerEntry.objects.filter(person__in=people)
        .values_list("person__employee_no", "source", "hours", "days", "occurred_on")
        .order_by("person__employee_no", "occurred_on", "source", "hours", "days")
    )
    return [*rows, *ledger]


def test_default_unit_counts_are_national():
    assert scale.unit_counts(3600) == {
        "supreme": 1,
        "province": 32,
        "city": 400,
        "basic": 3100,
        "office": 67,
    }
    small = scale.unit_counts(UNITS)
    assert sum(small.values()) == UNITS
    assert all(small[tier] >= 1 for tier in ("province", "city", "basic"))


def test_full_size_tree_in_memory_is_consistent():
    rows = scale.build_tree(3600, random.Random(1), "0002", first_id=1)
    assert len(rows) == 3600
    assert len({r.path for r in rows}) == 3600
    assert len({r.code for r in rows}) == 3600
    by_path = {r.path: r for r in rows}
    for row in rows:
        depth = len(row.path) // OrgUnit.steplen
        if depth > 1:
            parent = by_path[row.path[: -OrgUnit.steplen]]
            assert row in parent.children
    depths = Counter(len(r.path) // OrgUnit.steplen for r in rows)
    assert depths == {1: 1, 2: 32, 3: 400, 4: 3100, 5: 67}
    names = [r.name for r in rows]
    assert len(set(names)) > 3500  # place names are unique, 分院 names per city
    assert names[0] == "最高人民检察院"


@pytest.mark.django_db
def test_seed_builds_a_valid_tree_people_and_ledger(tree):
    seed(seed=3)
    units = OrgUnit.objects.filter(code__startswith=scale.PREFIX)
    assert units.count() == UNITS
    # The earlier tree is untouched and treebeard finds nothing wrong.
    assert OrgUnit.objects.filter(code="PROV").exists()
    assert OrgUnit.find_problems() == ([], [], [], [], [])
    root = units.get(depth=1)
    assert root.name == "最高人民检察院"
    assert root.get_descendant_count() == UNITS - 1
    assert set(units.values_list("depth", flat=True)) == {1, 2, 3, 4, 5}
    for unit in units:
        assert unit.numchild == unit.get_children().count()

    people = Person.objects.filter(employee_no__startswith=scale.PREFIX)
    assert people.count() == PEOPLE
    assert not people.exclude(unit__in=units).exists()
    sample = people.select_related("user").first()
    assert not sample.user.has_usable_password()
    sample.full_clean()
    mix = Counter(people.values_list("category", flat=True))
    assert 0.3 < mix[Person.Category.PROSECUTOR] / PEOPLE < 0.5
    # Grades only for prosecutors; most prosecutors are 员额.
    assert not people.exclude(category=Person.Category.PROSECUTOR).exclude(grade="")
    assert not people.filter(category=Person.Category.PROSECUTOR, grade="").exists()
    quota = people.filter(is_quota=True).count()
    assert quota > mix[Person.Category.PROSECUTOR] * 0.7
    assert people.filter(leadership_level=Person.LeadershipLevel.COUNTY).exists()

    entries = LedgerEntry.objects.filter(person__in=people)
    per_person = entries.values("person").annotate(n=Count("id"))
    bounds = per_person.aggregate(low=Min("n"), high=Max("n"))
    assert 8 <= bounds["low"] <= bounds["high"] <= 12
    span = entries.aggregate(first=Min("occurred_on"), last=Max("occurred_on"))
    assert span["first"] >= dt.date(2026, 1, 1)
    assert span["last"] <= dt.date(2026, 12, 31)
    sources = set(entries.values_list("source", flat=True))
    assert {"course", "quiz", "class"} <= sources
    assert not entries.filter(source="course", is_online=False).exists()

    keys = set(Programme.objects.values_list("key", flat=True))
    assert {"annual-on-the-job", "annual-online", "political-2026"} <= keys
    political = Programme.objects.get(key="political-2026")
    earmarked = entries.filter(programme=political)
    assert earmarked.exists()
    assert not earmarked.exclude(person__category=Person.Category.PROSECUTOR)


@pytest.mark.django_db
def test_same_seed_same_world_and_reset_keeps_other_data(tree, people):
    seed(seed=11)
    first = snapshot()
    with pytest.raises(CommandError):
        seed(seed=11)  # refuses: the data is already there
    seed(seed=11, reset=True)
    assert snapshot() == first
    seed(seed=12, reset=True)
    assert snapshot() != first
    # Reset deletes only what seed_scale made.
    assert Person.objects.filter(pk=people["A1"].pk).exists()
    assert OrgUnit.objects.filter(code__startswith=scale.PREFIX).count() == UNITS


@pytest.mark.django_db
def test_refused_without_debug_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_scale", units=UNITS, people=10)
    assert not OrgUnit.objects.filter(code__startswith=scale.PREFIX).exists()


@pytest.mark.django_db
def test_reset_removes_everything_it_made():
    seed(seed=5)
    scale.scale_reset()
    assert not scale.scale_data_exists()
    assert not LedgerEntry.objects.exists()
