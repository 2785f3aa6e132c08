"""API test helpers: tokens made through the service, and a client call that
sends the bearer key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from courses.models import Assignment, CoursePage, Enrollment
from courses.services import course_catalogue_ensure
from tests.factories.pages import home_page_ensure
from tests.factories.training import credit, make_programme
from training.api.tokens import api_token_create

API = "/api/v1"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", **EN}


def make_token(unit, *, actor, can_write=False, expires_at=None, name="人事系统"):
    return api_token_create(
        name=name, unit=unit, can_write=can_write, actor=actor, expires_at=expires_at
    )


@pytest.fixture
def token_a(tree, superuser):
    """A read-only token on CITY-A: (token, key)."""
    return make_token(tree.city_a, actor=superuser)


@pytest.fixture
def write_token_a(tree, superuser):
    return make_token(tree.city_a, actor=superuser, can_write=True, name="考评系统")


@pytest.fixture
def prov_token(tree, superuser):
    return make_token(tree.prov, actor=superuser, can_write=True, name="全省")


@pytest.fixture
def api_get(client):
    def get(path: str, key: str | None = None, **params):
        headers = bearer(key) if key else EN
        return client.get(f"{API}{path}", params, **headers)

    return get


@pytest.fixture
def world(tree, people):
    """A published province programme (90 学时 a year) with credit for A1 and B1,
    a course with enrolments of A1 and B1, and an assignment that reached A1."""
    version = make_programme(tree.prov, hours_required=Decimal("90"))
    credit(people["A1"], "95", on=dt.date(2026, 3, 1))
    credit(people["B1"], "10", on=dt.date(2026, 3, 1))
    home_page_ensure()
    index = course_catalogue_ensure()
    course = CoursePage(title="公正廉洁执法", live=True, estimated_minutes=30)
    index.add_child(instance=course)
    assignment = Assignment.objects.create(
        course=course,
        target_kind=Assignment.TargetKind.UNIT,
        target_label="甲一区院",
        user_ids=[people["A1"].user_id],
        total=1,
    )
    enrolments = {
        "A1": Enrollment.objects.create(
            user=people["A1"].user,
            course=course,
            source=Enrollment.Source.ASSIGNED,
            assignment=assignment,
            required=True,
        ),
        "B1": Enrollment.objects.create(user=people["B1"].user, course=course),
    }
    return SimpleNamespace(
        programme=version.programme,
        course=course,
        assignment=assignment,
        enrolments=enrolments,
    )
