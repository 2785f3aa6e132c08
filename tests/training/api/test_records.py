"""Compliance (per person, per unit), the ledger, enrolments, assignments and
POST /external-records: scoped, cross-scope 404, the site form's checks, pending
approval like a submission from the site."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories.training import credit
from tests.training.api.conftest import API, EN, bearer
from training.compliance.recompute import compliance_recompute
from training.ledger.models import ExternalRecord

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


# --- compliance ----------------------------------------------------------------------


def test_person_compliance(api_get, people, world, token_a):
    response = api_get(f"/people/{people['A1'].pk}/compliance", token_a[1])
    assert response.status_code == 200, response.content
    rows = response.json()["items"]
    row = next(r for r in rows if r["cycle_start"] == "2026-01-01")
    assert row["programme"]["id"] == world.programme.pk
    assert row["status"] == "compliant"
    assert Decimal(row["hours"]) == Decimal("95")
    assert row["progress"][0]["key"] == "hours"


def test_person_records_cross_scope_are_404(api_get, people, world, token_a):
    b1 = people["B1"].pk
    for suffix in ("compliance", "ledger", "enrolments", "assignments"):
        response = api_get(f"/people/{b1}/{suffix}", token_a[1])
        assert response.status_code == 404, suffix
        assert response.json()["code"] == "not_found"


def test_unit_compliance_summary_and_children(api_get, tree, people, world, token_a):
    compliance_recompute(today=dt.date(2026, 8, 1))
    response = api_get(
        f"/units/{tree.city_a.pk}/compliance",
        token_a[1],
        programme=world.programme.pk,
        cycle="2026-01-01",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["unit"]["code"] == "CITY-A"
    assert data["summary"]["total"] == 3
    assert data["summary"]["compliant"] == 1
    assert {c["code"] for c in data["children"]} == {"A1", "A2"}
    a1 = next(c for c in data["children"] if c["code"] == "A1")
    assert a1["counts"]["compliant"] == 1 and a1["rank"] == 1


def test_unit_compliance_cross_scope_and_bad_filters(api_get, tree, world, token_a):
    key = token_a[1]
    for unit in (tree.city_b, tree.prov):
        assert api_get(f"/units/{unit.pk}/compliance", key).status_code == 404
    response = api_get(f"/units/{tree.city_a.pk}/compliance", key, programme=999999)
    assert response.status_code == 422
    assert "programme" in response.json()["errors"]


# --- ledger ---------------------------------------------------------------------------


def test_ledger(api_get, people, world, token_a):
    credit(people["A1"], "2.5", on=dt.date(2026, 4, 2), title="专题讲座")
    response = api_get(f"/people/{people['A1'].pk}/ledger", token_a[1])
    items = response.json()["items"]
    assert [i["title"] for i in items] == ["专题讲座", "测试学时"]
    assert items[0]["hours"] == "2.50"


def test_ledger_query_count_is_flat(
    api_get, people, token_a, django_assert_max_num_queries
):
    for day in range(1, 21):
        credit(people["A1"], "1", on=dt.date(2026, 3, day))
    api_get("/units", token_a[1])
    with django_assert_max_num_queries(5):
        response = api_get(f"/people/{people['A1'].pk}/ledger", token_a[1])
    assert response.json()["count"] == 20


# --- enrolments and assignments ----------------------------------------------------


def test_enrolments_and_assignments(api_get, tree, people, world, token_a):
    key = token_a[1]
    rows = api_get(f"/units/{tree.city_a.pk}/enrolments", key).json()["items"]
    assert [r["person_id"] for r in rows] == [people["A1"].pk]
    assert rows[0]["course"]["title"] == "公正廉洁执法"
    assert rows[0]["assignment_id"] == world.assignment.pk
    rows = api_get(f"/people/{people['A1'].pk}/enrolments", key).json()["items"]
    assert len(rows) == 1
    rows = api_get(f"/units/{tree.city_a.pk}/assignments", key).json()["items"]
    assert [r["id"] for r in rows] == [world.assignment.pk]
    rows = api_get(f"/people/{people['A2'].pk}/assignments", key).json()["items"]
    assert rows == []
    assert api_get(f"/units/{tree.city_b.pk}/enrolments", key).status_code == 404
    assert api_get(f"/units/{tree.city_b.pk}/assignments", key).status_code == 404


def test_unit_enrolments_query_count(
    api_get, tree, world, token_a, django_assert_max_num_queries
):
    api_get("/units", token_a[1])
    with django_assert_max_num_queries(6):
        assert api_get(f"/units/{tree.prov.pk}/enrolments", token_a[1]).status_code
    with django_assert_max_num_queries(6):
        api_get(f"/units/{tree.city_a.pk}/enrolments", token_a[1])


# --- POST /external-records ---------------------------------------------------------


def _post(client, key, person, *, files=None, **fields):
    data = {
        "person_id": person.pk,
        "title": "国家检察官学院专题培训",
        "provider": "国家检察官学院",
        "started_on": "2026-03-02",
        "ended_on": "2026-03-06",
        "hours": "40",
        "days": "5",
        "is_centralised": "true",
        **fields,
    }
    if files is None:
        files = [SimpleUploadedFile("结业证明.pdf", PDF, "application/pdf")]
    data["files"] = files
    headers = bearer(key) if key else EN
    return client.post(f"{API}/external-records", data, **headers)


def test_write_token_records_pending(client, people, write_token_a):
    response = _post(client, write_token_a[1], people["A1"])
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "pending"
    assert data["evidence"] == ["结业证明.pdf"]
    record = ExternalRecord.objects.get(pk=data["id"])
    assert record.person == people["A1"]
    assert record.hours == Decimal("40") and record.days == Decimal("5")
    assert record.submitted_by == write_token_a[0].created_by


def test_read_only_token_cannot_post(client, people, token_a):
    response = _post(client, token_a[1], people["A1"])
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ExternalRecord.objects.exists()


def test_post_for_person_outside_scope_is_404(client, people, write_token_a):
    assert _post(client, write_token_a[1], people["B1"]).status_code == 404
    assert _post(client, write_token_a[1], people["PROV"]).status_code == 404
    assert not ExternalRecord.objects.exists()


def test_coordinator_session_posts_learner_cannot(client, coordinator, people):
    client.force_login(coordinator)
    assert _post(client, None, people["A1"]).status_code == 201
    client.force_login(people["A2"].user)
    assert _post(client, None, people["A2"]).status_code == 403


@pytest.mark.parametrize(
    ("fields", "files", "field"),
    [
        ({"ended_on": "2026-03-01"}, None, "ended_on"),
        ({"ended_on": "2999-01-01", "started_on": "2998-01-01"}, None, "ended_on"),
        ({"hours": "0", "days": "0"}, None, "hours"),
        ({}, [SimpleUploadedFile("a.exe", b"MZ", "application/octet-stream")], "files"),
        ({}, [SimpleUploadedFile("fake.pdf", b"GIF89a", "application/pdf")], "files"),
        ({"programme_id": "999999"}, None, "programme"),
    ],
)
def test_post_validation_like_the_site_form(
    client, people, write_token_a, fields, files, field
):
    response = _post(client, write_token_a[1], people["A1"], files=files, **fields)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert not ExternalRecord.objects.exists()


def test_post_schema_validation(client, people, write_token_a):
    response = _post(client, write_token_a[1], people["A1"], hours="-1")
    assert response.status_code == 422
    response = _post(client, write_token_a[1], people["A1"], files=[])
    assert response.status_code == 422
    assert not ExternalRecord.objects.exists()


def test_idempotency_key(client, people, write_token_a):
    first = _post(client, write_token_a[1], people["A1"], idempotency_key="hr-778")
    again = _post(client, write_token_a[1], people["A1"], idempotency_key="hr-778")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = _post(client, write_token_a[1], people["A1"], idempotency_key="hr-779")
    assert other.status_code == 201
    assert ExternalRecord.objects.count() == 2
