"""Wagtail admin screens for people and units (/admin/people/, /admin/units/)
show and edit only what the selectors allow."""

import pytest

from cms.models import AuditEvent
from tests.factories import PersonFactory, Role, UserFactory, grant
from training.org.models import OrgUnit, Person


def employee_numbers(response):
    return sorted(p.employee_no for p in response.context["object_list"])


def unit_codes(response):
    return sorted(u.code for u in response.context["object_list"])


@pytest.mark.parametrize("role_user", ["coordinator", "leader"])
def test_admin_people_index_is_scoped(client, people, role_user, request):
    client.force_login(request.getfixturevalue(role_user))
    response = client.get("/admin/people/")
    assert response.status_code == 200
    assert employee_numbers(response) == ["P-A1", "P-A2", "P-CITY-A"]
    content = response.content.decode()
    assert "P-B1" not in content
    assert "P-CITY-B" not in content


def test_admin_people_search_stays_in_scope(client, people, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/people/", {"q": "P-B1"})
    assert response.status_code == 200
    assert employee_numbers(response) == []


def test_admin_units_index_is_scoped(client, people, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/units/")
    assert response.status_code == 200
    assert unit_codes(response) == ["A1", "A2", "CITY-A"]


def test_superuser_sees_all_people_in_admin(client, people, superuser):
    client.force_login(superuser)
    response = client.get("/admin/people/")
    assert response.status_code == 200
    assert len(employee_numbers(response)) == len(people)


@pytest.mark.parametrize("view", ["edit", "inspect", "history"])
def test_admin_person_outside_scope_is_not_found(client, people, coordinator, view):
    client.force_login(coordinator)
    foreign = client.get(f"/admin/people/{view}/{people['B1'].pk}/")
    missing = client.get(f"/admin/people/{view}/999999/")
    assert foreign.status_code in {403, 404}
    assert missing.status_code == foreign.status_code


@pytest.fixture
def unit_admin(tree):
    """An administrator for CITY-A only (may change units there)."""
    user = UserFactory(username="admin-a")
    grant(user, Role.ADMIN, tree.city_a)
    return user


@pytest.mark.parametrize("view", ["edit", "inspect"])
def test_admin_unit_outside_scope_is_not_found(client, tree, unit_admin, view):
    client.force_login(unit_admin)
    assert client.get(f"/admin/units/{view}/{tree.a1.pk}/").status_code == 200
    response = client.get(f"/admin/units/{view}/{tree.city_b.pk}/")
    assert response.status_code in {403, 404}


def test_coordinator_may_inspect_but_not_edit_units(client, tree, coordinator):
    client.force_login(coordinator)
    assert client.get(f"/admin/units/inspect/{tree.a1.pk}/").status_code == 200
    assert client.get(f"/admin/units/inspect/{tree.b1.pk}/").status_code == 404
    response = client.get(f"/admin/units/edit/{tree.a1.pk}/")
    # No change permission: Wagtail sends the user back to the dashboard.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_unit_admin_moves_unit_inside_scope_only(client, tree, unit_admin):
    client.force_login(unit_admin)
    data = {
        "code": "A2",
        "name": tree.a2.name,
        "short_name": "",
        "kind": "procuratorate",
        "level": "basic",
        "sort_order": 0,
        "is_active": "on",
    }
    refused = client.post(
        f"/admin/units/edit/{tree.a2.pk}/", {**data, "parent": tree.city_b.pk}
    )
    assert refused.status_code == 200
    assert "parent" in refused.context["form"].errors
    moved = client.post(
        f"/admin/units/edit/{tree.a2.pk}/", {**data, "parent": tree.a1.pk}
    )
    assert moved.status_code == 302
    a2 = OrgUnit.objects.get(code="A2")
    assert a2.get_parent() == tree.a1
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UNIT_MOVED, target_id=str(a2.pk)
    ).exists()


def test_admin_person_in_scope_can_be_inspected(client, people, coordinator):
    client.force_login(coordinator)
    response = client.get(f"/admin/people/inspect/{people['A2'].pk}/")
    assert response.status_code == 200
    assert "P-A2" in response.content.decode()


def test_coordinator_edits_person_in_scope(client, tree, people, coordinator):
    person = people["A2"]
    client.force_login(coordinator)
    response = client.post(
        f"/admin/people/edit/{person.pk}/",
        {
            "full_name": "改过的名字",
            "unit": tree.a1.pk,
            "category": "prosecutor",
            "grade": "p2",
            "leadership_level": "",
            "position_title": "副主任",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.unit == tree.a1
    assert person.position_title == "副主任"
    assert person.user.full_name == "改过的名字"


def test_coordinator_cannot_edit_person_outside_scope(
    client, tree, people, coordinator
):
    person = people["B1"]
    client.force_login(coordinator)
    response = client.post(
        f"/admin/people/edit/{person.pk}/",
        {
            "full_name": "被篡改",
            "unit": tree.a1.pk,
            "category": "clerk",
            "is_active": "on",
        },
    )
    assert response.status_code in {403, 404}
    person.refresh_from_db()
    assert person.unit == tree.b1
    assert person.user.full_name != "被篡改"


def test_coordinator_cannot_move_person_out_of_scope(client, tree, people, coordinator):
    person = people["A2"]
    client.force_login(coordinator)
    response = client.post(
        f"/admin/people/edit/{person.pk}/",
        {
            "full_name": person.user.full_name,
            "unit": tree.b1.pk,
            "category": "prosecutor",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert "unit" in response.context["form"].errors
    person.refresh_from_db()
    assert person.unit == tree.a2


def test_leader_cannot_edit_in_admin(client, people, leader):
    client.force_login(leader)
    response = client.get(f"/admin/people/edit/{people['A2'].pk}/")
    assert response.status_code in {302, 403, 404}
    if response.status_code == 302:
        assert "/edit/" not in response["Location"]


def test_people_cannot_be_added_or_deleted_in_admin(client, people, superuser):
    client.force_login(superuser)
    assert client.get("/admin/people/add/").status_code in {302, 403, 404}
    pk = people["A1"].pk
    assert client.get(f"/admin/people/delete/{pk}/").status_code in {302, 403, 404}
    client.post(f"/admin/people/delete/{pk}/")
    assert Person.objects.filter(pk=pk).exists()


def test_learner_has_no_admin(client, learner):
    client.force_login(learner)
    response = client.get("/admin/people/")
    assert response.status_code in {302, 403}


# 12: the exams menu counts the grader's waiting short answers (cached 60 s).
ADMIN_INDEX_MAX_QUERIES = 12


@pytest.mark.parametrize("url", ["/admin/people/", "/admin/units/"])
def test_admin_index_query_count(
    client, tree, coordinator, django_assert_max_num_queries, url
):
    for n in range(15):
        PersonFactory(unit=tree.a1, employee_no=f"Q1-{n:02d}")
        PersonFactory(unit=tree.a2, employee_no=f"Q2-{n:02d}")
    client.force_login(coordinator)
    with django_assert_max_num_queries(ADMIN_INDEX_MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200


def test_coordinator_cannot_deactivate_a_higher_account(client, tree, coordinator):
    """Unticking 在职 in the person form also deactivates the login; a coordinator
    must not lock out an account with more rights than their own."""
    boss = PersonFactory(unit=tree.a1, employee_no="BOSS")
    boss.user.is_superuser = True
    boss.user.save(update_fields=["is_superuser"])
    client.force_login(coordinator)
    client.post(
        f"/admin/people/edit/{boss.pk}/",
        {
            "full_name": boss.user.full_name,
            "unit": tree.a1.pk,
            "category": "prosecutor",
            "grade": "p3",
            "leadership_level": "",
        },
    )
    boss.user.refresh_from_db()
    assert boss.user.is_active


def test_delete_url_does_not_reveal_other_units_people(client, people, coordinator):
    """Deleting is refused to everyone; the delete URL must also not tell a
    coordinator whether another unit's person id exists."""
    client.force_login(coordinator)
    other = people["B1"].pk
    assert client.get(f"/admin/people/delete/{other}/").status_code == 404
    assert Person.objects.filter(pk=other).exists()


def test_admin_form_refuses_a_grade_for_a_non_prosecutor(client, people, coordinator):
    client.force_login(coordinator)
    person = people["A1"]
    response = client.post(
        f"/admin/people/edit/{person.pk}/",
        {
            "full_name": person.user.full_name,
            "unit": person.unit_id,
            "category": "clerk",
            "grade": "p3",
            "leadership_level": "",
        },
    )
    assert response.status_code == 200
    assert "grade" in response.context["form"].errors
    person.refresh_from_db()
    assert (person.category, person.grade) != ("clerk", "p3")
