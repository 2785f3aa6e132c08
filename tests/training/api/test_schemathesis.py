"""Property-based run of every API operation from the OpenAPI document
(schemathesis): with a province-wide token and seeded data, no answer is a server
error and every answer matches the documented schema (status, content type,
headers, body)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.training.api.conftest import make_token
from training.api.urls import api

pytestmark = pytest.mark.django_db

# The document the app serves at /api/v1/openapi.json, built without a request so
# loading it at collection needs no database; calls go to the app in-process.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = WSGIHandler()


# Operations that answer 422 to some schema-valid input, for rules a schema cannot
# state: a record's end before its start or in the future, evidence that is not a
# real PDF/JPG/PNG, an unpublished programme; a cycle the programme does not have.
# Every other check (no 5xx, documented status, content type and body) still runs.
BUSINESS_RULES_BEYOND_SCHEMA = {
    "POST /api/v1/external-records",
    "GET /api/v1/units/{unit_id}/compliance",
}


@pytest.fixture
def _keep_test_connection():
    """Calls go through a real WSGI handler, whose request signals would close the
    test's database connection (and its transaction) after each answer; Django's
    test client disconnects them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def province_key(world, tree, superuser, _keep_test_connection):
    """A token over the whole tree (with write access), on top of seeded data."""
    _token, key = make_token(tree.prov, actor=superuser, can_write=True, name="全省")
    return key


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, province_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {province_key}"},
        excluded_checks=(
            [positive_data_acceptance]
            if case.operation.label in BUSINESS_RULES_BEYOND_SCHEMA
            else []
        ),
    )
