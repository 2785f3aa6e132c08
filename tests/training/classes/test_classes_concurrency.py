"""Two coordinators nominating at the same moment cannot overfill a class: the class
row is locked while seats are counted. Needs real row locks (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import PersonFactory
from tests.factories.training import make_class
from training.classes.services import class_nominate, class_quota_set


@pytest.mark.django_db(transaction=True)
def test_parallel_nominations_do_not_overfill(tree, coordinator):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    klass = make_class(tree.prov, capacity=2)
    class_quota_set(training_class=klass, unit=tree.city_a, seats=2, actor=None)
    # Capacity 2, both seats with CITY-A: three A-people race for them.
    people = [PersonFactory(unit=tree.a1) for _ in range(3)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []

    def nominate(person):
        try:
            barrier.wait()
            class_nominate(training_class=klass, person=person, actor=coordinator)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=nominate, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["full", "ok", "ok"]
    assert klass.members.count() == 2
