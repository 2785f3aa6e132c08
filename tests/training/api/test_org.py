"""Units and people: scoped lists, filters, details, cross-scope ids answer 404,
no personal data beyond the last four ID characters, no N+1."""

from __future__ import annotations

import pytest

from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _codes(response, key="code"):
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["items"]}


def test_units_are_the_tokens_subtree(api_get, tree, token_a):
    data = api_get("/units", token_a[1]).json()
    assert {u["code"] for u in data["items"]} == {"CITY-A", "A1", "A2"}
    by_code = {u["code"]: u for u in data["items"]}
    assert by_code["A1"]["parent_id"] == tree.city_a.pk
    assert by_code["CITY-A"]["parent_id"] == tree.prov.pk


def test_unit_filters(api_get, tree, token_a):
    key = token_a[1]
    assert _codes(api_get("/units", key, parent=tree.city_a.pk)) == {"A1", "A2"}
    assert _codes(api_get("/units", key, level="municipal")) == {"CITY-A"}
    assert _codes(api_get("/units", key, q="甲二")) == {"A2"}
    assert api_get("/units", key, parent=tree.city_b.pk).status_code == 404
    assert api_get("/units", key, level="nonsense").status_code == 422


def test_unit_detail_and_cross_scope(api_get, tree, token_a):
    key = token_a[1]
    response = api_get(f"/units/{tree.a1.pk}", key)
    assert response.status_code == 200
    assert response.json()["code"] == "A1"
    for unit in (tree.city_b, tree.b1, tree.prov):
        response = api_get(f"/units/{unit.pk}", key)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert api_get("/units/999999", key).status_code == 404


def test_people_list_is_scoped_and_filtered(api_get, tree, people, token_a):
    key = token_a[1]
    assert _codes(api_get("/people", key), "employee_no") == {
        "P-CITY-A",
        "P-A1",
        "P-A2",
    }
    assert _codes(api_get("/people", key, unit=tree.a2.pk), "employee_no") == {"P-A2"}
    assert _codes(api_get("/people", key, q="P-A1"), "employee_no") == {"P-A1"}
    assert api_get("/people", key, unit=tree.b1.pk).status_code == 404
    people["A2"].is_active = False
    people["A2"].save(update_fields=["is_active"])
    assert "P-A2" not in _codes(api_get("/people", key, active="true"), "employee_no")
    assert _codes(api_get("/people", key, active="false"), "employee_no") == {"P-A2"}


def test_coordinator_session_never_sees_city_b(client, coordinator, people):
    client.force_login(coordinator)
    response = client.get("/api/v1/people", {"limit": 200})
    assert "P-B1" not in _codes(response, "employee_no")
    b1 = people["B1"]
    assert client.get(f"/api/v1/people/{b1.pk}").status_code == 404


def test_person_detail_hides_the_national_id(api_get, people, token_a):
    person = people["A1"]
    person.national_id_hash = "f" * 64
    person.national_id_last4 = "123X"
    person.save(update_fields=["national_id_hash", "national_id_last4"])
    response = api_get(f"/people/{person.pk}", token_a[1])
    data = response.json()
    assert data["national_id_last4"] == "123X"
    assert "national_id_hash" not in data
    assert "f" * 64 not in response.content.decode()
    assert data["full_name"] == person.user.full_name
    assert data["unit"]["code"] == "A1"


def test_person_detail_cross_scope_is_404(api_get, people, token_a):
    for code in ("B1", "CITY-B", "PROV"):
        response = api_get(f"/people/{people[code].pk}", token_a[1])
        assert response.status_code == 404


def test_pagination(api_get, tree, people, token_a):
    key = token_a[1]
    page = api_get("/people", key, limit=2, offset=0).json()
    assert page["count"] == 3 and len(page["items"]) == 2
    rest = api_get("/people", key, limit=2, offset=2).json()
    assert len(rest["items"]) == 1
    assert api_get("/people", key, limit=201).status_code == 422
    assert api_get("/people", key, limit=0).status_code == 422
    response = api_get("/people", key, offset=-1)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_lists_do_not_grow_queries_with_rows(
    api_get, tree, people, token_a, django_assert_max_num_queries
):
    key = token_a[1]
    api_get("/people", key)  # warm up: last_used_at
    for i in range(15):
        PersonFactory(unit=tree.a1, employee_no=f"X-{i:03}")
    with django_assert_max_num_queries(4):
        assert len(api_get("/people", key).json()["items"]) == 18
    with django_assert_max_num_queries(4):
        assert api_get("/units", key).json()["count"] == 3
