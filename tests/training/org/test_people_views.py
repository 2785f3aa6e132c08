"""The people pages (/people/, /people/<id>/, the XLSX export) respect the scope."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cms.models import AuditEvent
from tests.factories import PersonFactory
from training.org.services import org_unit_move

LIST = reverse("training:people_list")
EXPORT = reverse("training:people_export")


def detail(person_or_id):
    pk = getattr(person_or_id, "pk", person_or_id)
    return reverse("training:person_detail", args=[pk])


def listed(response):
    return sorted(p.employee_no for p in response.context["page"].object_list)


def exported(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "工号"
    return sorted(row[0] for row in rows[1:])


A_SUBTREE = ["P-A1", "P-A2", "P-CITY-A"]


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_list_shows_subtree_only(client, people, role_user, request):
    client.force_login(request.getfixturevalue(role_user))
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == A_SUBTREE
    content = response.content.decode()
    assert "P-B1" not in content
    assert "P-CITY-B" not in content


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_detail_in_scope_is_shown(client, people, role_user, request):
    client.force_login(request.getfixturevalue(role_user))
    response = client.get(detail(people["A2"]))
    assert response.status_code == 200
    assert "P-A2" in response.content.decode()


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_detail_outside_scope_and_missing_id_look_the_same(
    client, people, role_user, request
):
    client.force_login(request.getfixturevalue(role_user))
    foreign = client.get(detail(people["B1"]))
    missing = client.get(detail(999_999))
    assert foreign.status_code == 403
    assert missing.status_code == 403
    assert "P-B1" not in foreign.content.decode()


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_export_contains_exactly_the_subtree(client, people, role_user, request):
    user = request.getfixturevalue(role_user)
    client.force_login(user)
    assert exported(client.get(EXPORT)) == A_SUBTREE
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == user
    assert event.detail["rows"] == 3


def test_export_filter_cannot_reach_outside_scope(client, tree, people, coordinator):
    client.force_login(coordinator)
    response = client.get(EXPORT, {"unit": tree.city_b.pk})
    # An out-of-scope unit is not a valid choice: the filter is dropped, the scope
    # stays.
    assert exported(response) == A_SUBTREE
    assert exported(client.get(EXPORT, {"unit": tree.a2.pk})) == ["P-A2"]


def test_export_does_not_contain_national_id(client, tree, coordinator):
    from training.org.identity import national_id_hash

    number = "11010519491231002X"
    PersonFactory(
        unit=tree.a1,
        employee_no="WITH-ID",
        national_id_hash=national_id_hash(number),
        national_id_last4=number[-4:],
    )
    client.force_login(coordinator)
    response = client.get(EXPORT)
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [
        str(c) for row in wb.worksheets[0].iter_rows(values_only=True) for c in row
    ]
    assert "002X" in cells
    assert not any(number in c or national_id_hash(number) in c for c in cells)


def test_learner_sees_own_record_only(client, people, learner):
    client.force_login(learner)
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(detail(people["A1"])).status_code == 200
    assert client.get(detail(people["A2"])).status_code == 403
    me = client.get(reverse("training:my_record"))
    assert me.status_code == 200
    assert me.context["person"] == people["A1"]


def test_superuser_sees_everyone(client, people, superuser):
    client.force_login(superuser)
    assert listed(client.get(LIST)) == sorted(p.employee_no for p in people.values())
    assert client.get(detail(people["B1"])).status_code == 200
    assert len(exported(client.get(EXPORT))) == len(people)


def test_moved_unit_appears_in_the_list_at_once(client, tree, people, coordinator):
    client.force_login(coordinator)
    assert "P-B1" not in listed(client.get(LIST))
    assert client.get(detail(people["B1"])).status_code == 403
    org_unit_move(unit=tree.b1, new_parent=tree.city_a)
    assert listed(client.get(LIST)) == sorted([*A_SUBTREE, "P-B1"])
    assert client.get(detail(people["B1"])).status_code == 200
    assert "P-B1" in exported(client.get(EXPORT))


def test_search_and_category_filters(client, tree, people, coordinator):
    PersonFactory(unit=tree.a2, employee_no="CLERK-1", category="clerk", grade="")
    PersonFactory(unit=tree.b1, employee_no="CLERK-2", category="clerk", grade="")
    client.force_login(coordinator)
    assert listed(client.get(LIST, {"category": "clerk"})) == ["CLERK-1"]
    assert listed(client.get(LIST, {"q": "CLERK"})) == ["CLERK-1"]


def _thirty_people(tree):
    for n in range(15):
        PersonFactory(unit=tree.a1, employee_no=f"Q1-{n:02d}")
        PersonFactory(unit=tree.a2, employee_no=f"Q2-{n:02d}")
    PersonFactory(unit=tree.b1, employee_no="Q-B1")


# Session, user, grants (memoised), count, two permission look-ups, filter-form
# units, the page of people: the number must not grow with the people listed.
LIST_MAX_QUERIES = 8
# Session, user, grants, people, the audit event (with Wagtail's reference index).
EXPORT_MAX_QUERIES = 10
UNITS_MAX_QUERIES = 7


def test_people_list_query_count(
    client, tree, coordinator, django_assert_max_num_queries
):
    _thirty_people(tree)
    client.force_login(coordinator)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(listed(response)) == 30


def test_people_list_query_count_does_not_grow(
    client, tree, coordinator, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(coordinator)
    PersonFactory(unit=tree.a1, employee_no="ONE")
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    _thirty_people(tree)
    with django_assert_max_num_queries(len(few)):
        client.get(LIST)


def test_export_query_count(client, tree, coordinator, django_assert_max_num_queries):
    _thirty_people(tree)
    client.force_login(coordinator)
    with django_assert_max_num_queries(EXPORT_MAX_QUERIES):
        response = client.get(EXPORT)
        rows = exported(response)
    assert len(rows) == 30


def test_unit_list_query_count(
    client, tree, coordinator, django_assert_max_num_queries
):
    _thirty_people(tree)
    client.force_login(coordinator)
    with django_assert_max_num_queries(UNITS_MAX_QUERIES):
        response = client.get(reverse("training:unit_list"))
    assert response.status_code == 200


def test_unit_list_shows_subtree_with_counts(client, tree, people, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("training:unit_list"))
    assert response.status_code == 200
    rows = {row["unit"].code: row for row in response.context["rows"]}
    assert sorted(rows) == ["A1", "A2", "CITY-A"]
    assert rows["CITY-A"]["total"] == 3
    assert rows["CITY-A"]["direct"] == 1


def test_unit_list_refuses_learner(client, learner):
    client.force_login(learner)
    assert client.get(reverse("training:unit_list")).status_code == 403


def test_detail_shows_masked_id_only(client, tree, coordinator):
    from training.org.identity import national_id_hash

    number = "11010519491231002X"
    person = PersonFactory(
        unit=tree.a1,
        employee_no="WITH-ID",
        national_id_hash=national_id_hash(number),
        national_id_last4=number[-4:],
    )
    client.force_login(coordinator)
    content = client.get(detail(person)).content.decode()
    assert "002X" in content
    assert number not in content
    assert national_id_hash(number) not in content
