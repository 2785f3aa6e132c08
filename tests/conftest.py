"""Fixtures shared by the suite: a small organisation tree and one user per role.

The tree (codes in brackets)::

    省院 [PROV]
    ├── 甲市院 [CITY-A]
    │   ├── 甲一区院 [A1]
    │   └── 甲二区院 [A2]
    └── 乙市院 [CITY-B]
        └── 乙一区院 [B1]

One person works in each unit; ``coordinator`` and ``leader`` hold their role on
CITY-A; ``learner`` is the person of A1 without any role.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    Role,
    UserFactory,
    grant,
)
from training.org.models import OrgUnit

# Shared CI machines are slow now and then; a deadline would make that a failure.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    # Roster uploads are stored files; keep them out of the work tree.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate limits and used TOTP codes live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree(db):
    prov = OrgUnitFactory(code="PROV", name="某省人民检察院", level="provincial")
    city_a = OrgUnitFactory(
        code="CITY-A", name="甲市人民检察院", level="municipal", parent=prov
    )
    city_b = OrgUnitFactory(
        code="CITY-B", name="乙市人民检察院", level="municipal", parent=prov
    )
    a1 = OrgUnitFactory(code="A1", name="甲市甲一区人民检察院", parent=city_a)
    a2 = OrgUnitFactory(code="A2", name="甲市甲二区人民检察院", parent=city_a)
    b1 = OrgUnitFactory(code="B1", name="乙市乙一区人民检察院", parent=city_b)
    units = {
        u.code: OrgUnit.objects.get(pk=u.pk) for u in (prov, city_a, city_b, a1, a2, b1)
    }
    return SimpleNamespace(
        prov=units["PROV"],
        city_a=units["CITY-A"],
        city_b=units["CITY-B"],
        a1=units["A1"],
        a2=units["A2"],
        b1=units["B1"],
    )


@pytest.fixture
def people(tree):
    """One person per unit, keyed by unit code."""
    return {
        unit.code: PersonFactory(unit=unit, employee_no=f"P-{unit.code}")
        for unit in (tree.prov, tree.city_a, tree.city_b, tree.a1, tree.a2, tree.b1)
    }


@pytest.fixture
def coordinator(tree):
    user = UserFactory(username="coord-a", full_name="甲市管理员")
    grant(user, Role.COORDINATOR, tree.city_a)
    return user


@pytest.fixture
def coordinator_b(tree):
    user = UserFactory(username="coord-b", full_name="乙市管理员")
    grant(user, Role.COORDINATOR, tree.city_b)
    return user


@pytest.fixture
def leader(tree):
    user = UserFactory(username="leader-a", full_name="甲市领导")
    grant(user, Role.LEADER, tree.city_a)
    return user


@pytest.fixture
def learner(people):
    return people["A1"].user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def pytest_configure(config):
    # Whitenoise warns when collectstatic has not run; the suite never serves static.
    config.addinivalue_line(
        "filterwarnings", "ignore:No directory at:UserWarning:django.core.handlers.base"
    )
