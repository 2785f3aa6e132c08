"""Assigning a course (/assign/): coordinators only, inside their scope, with a
preview before anything is written, and no duplicates when repeated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Assignment, Enrollment
from courses.services import course_catalogue_ensure
from tests.courses.conftest import make_course
from tests.factories import PersonFactory
from training.org.models import Person

pytestmark = pytest.mark.django_db

ASSIGN = reverse("training:assign")


@pytest.fixture
def course(db):
    return make_course(course_catalogue_ensure(), "2026 年度政治轮训")


@pytest.fixture
def audience(people, tree):
    """More people in CITY-A's subtree: a county-level leader with a quota and a
    clerk, besides one person per unit from ``people``."""
    PersonFactory(
        unit=tree.a1,
        employee_no="A1-LEAD",
        leadership_level=Person.LeadershipLevel.COUNTY,
        is_quota=True,
    )
    PersonFactory(
        unit=tree.a2, employee_no="A2-CLERK", category=Person.Category.CLERK, grade=""
    )
    PersonFactory(unit=tree.a2, employee_no="A2-GONE", is_active=False)
    return people


def post(client, data, action="preview"):
    return client.post(ASSIGN, {"action": action, "required": "on", **data})


def preview(client, data):
    response = post(client, data)
    assert response.status_code == 200, response.content[:500]
    return response


def confirm(client, data, capture):
    fingerprint = preview(client, data).context["preview"]["fingerprint"]
    with capture(execute=True):
        return post(client, {**data, "preview_of": fingerprint}, action="confirm")


# --- who may use it ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "leader"])
def test_refused_without_the_coordinator_role(client, request, who, course, people):
    client.force_login(request.getfixturevalue(who))
    assert client.get(ASSIGN).status_code == 403
    data = {"course": course.pk, "target": "unit", "unit": people["A1"].unit.pk}
    assert post(client, data, action="confirm").status_code == 403
    assert not Assignment.objects.exists()


def test_coordinator_sees_the_form(client, coordinator, course, tree):
    client.force_login(coordinator)
    response = client.get(ASSIGN, {"course": course.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["unit"].queryset) == [tree.city_a, tree.a1, tree.a2]
    assert f'<option value="{course.pk}" selected>' in response.content.decode()


# --- preview ----------------------------------------------------------------------


def test_unit_preview_counts_the_active_subtree(
    client, coordinator, course, tree, audience
):
    client.force_login(coordinator)
    response = preview(
        client, {"course": course.pk, "target": "unit", "unit": tree.city_a.pk}
    )
    result = response.context["preview"]
    # CITY-A, A1, A2 + A1-LEAD + A2-CLERK; A2-GONE has left the service.
    assert result["total"] == 5
    assert result["enrolled"] == 0
    assert 'id="assign-confirm"' in response.content.decode()
    assert not Assignment.objects.exists()


def test_audience_preview(client, coordinator, course, tree, audience):
    client.force_login(coordinator)
    leaders = {
        "course": course.pk,
        "target": "audience",
        "unit": tree.city_a.pk,
        "leadership": ["county"],
        "quota": "yes",
    }
    assert preview(client, leaders).context["preview"]["total"] == 1
    clerks = {
        "course": course.pk,
        "target": "audience",
        "unit": tree.a2.pk,
        "categories": ["clerk"],
    }
    assert preview(client, clerks).context["preview"]["total"] == 1
    no_post = {
        "course": course.pk,
        "target": "audience",
        "unit": tree.city_a.pk,
        "leadership": ["none"],
        "categories": ["prosecutor"],
    }
    assert preview(client, no_post).context["preview"]["total"] == 3


def test_audience_needs_a_criterion(client, coordinator, course, tree):
    client.force_login(coordinator)
    response = preview(
        client, {"course": course.pk, "target": "audience", "unit": tree.a1.pk}
    )
    assert response.context["preview"] is None
    assert response.context["form"].non_field_errors()


def test_preview_counts_existing_enrolments(client, coordinator, course, tree, people):
    Enrollment.objects.create(user=people["A1"].user, course=course)
    client.force_login(coordinator)
    result = preview(
        client, {"course": course.pk, "target": "unit", "unit": tree.a1.pk}
    )
    assert result.context["preview"]["enrolled"] == 1
    assert result.context["preview"]["new"] == 0


def test_people_search_is_scoped(client, coordinator, course, people):
    client.force_login(coordinator)
    response = client.post(
        ASSIGN, {"action": "find", "people_query": "P-", "target": "people"}
    )
    found = {p.employee_no for p in response.context["candidates"]}
    assert found == {"P-CITY-A", "P-A1", "P-A2"}
    assert response.context["preview"] is None


@pytest.mark.parametrize("value", ["²", "9" * 24])
def test_malformed_ticked_person_is_ignored(client, coordinator, course, value):
    # "²" passes str.isdigit but not int(); a huge id overflows the column.
    client.force_login(coordinator)
    response = client.get(ASSIGN, {"course": course.pk, "people": value})
    assert response.status_code == 200


def test_people_target(
    client, coordinator, course, people, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    chosen = [people["A1"].pk, people["A2"].pk]
    data = {"course": course.pk, "target": "people", "people": chosen}
    assert preview(client, data).context["preview"]["total"] == 2
    response = confirm(client, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert sorted(assignment.user_ids) == sorted(
        [people["A1"].user_id, people["A2"].user_id]
    )
    assert assignment.target_label.count("、") == 1


# --- confirm ----------------------------------------------------------------------


def test_confirm_assigns_and_reports(
    client, coordinator, course, tree, audience, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    data = {
        "course": course.pk,
        "target": "unit",
        "unit": tree.city_a.pk,
        "due_on": "2099-06-30",
        "reason": "年度政治轮训必修",
    }
    response = confirm(client, data, django_capture_on_commit_callbacks)
    assignment = Assignment.objects.get()
    assert response["Location"] == reverse(
        "training:assign_status", args=[assignment.pk]
    )
    assert assignment.created_by == coordinator
    assert Enrollment.objects.filter(course=course, required=True).count() == 5
    learner_row = Enrollment.objects.get(user=audience["A1"].user)
    assert learner_row.reason == "年度政治轮训必修"
    assert str(learner_row.due_on) == "2099-06-30"

    status = client.get(response["Location"])
    assert status.status_code == 200
    assert 'id="assign-done"' in status.content.decode()
    payload = client.get(
        reverse("training:assign_status_json", args=[assignment.pk])
    ).json()
    assert payload["status"] == "done"
    assert payload["finished"] is True
    assert payload["percent"] == 100
    assert payload["created"] == 5


def test_rerunning_the_same_assignment_creates_no_duplicates(
    client, coordinator, course, tree, audience, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    data = {"course": course.pk, "target": "unit", "unit": tree.city_a.pk}
    confirm(client, data, django_capture_on_commit_callbacks)
    confirm(client, data, django_capture_on_commit_callbacks)
    assert Assignment.objects.count() == 2
    assert Enrollment.objects.filter(course=course).count() == 5
    second = Assignment.objects.order_by("-pk").first()
    assert second.created == 0
    # The second preview knows everyone is enrolled already.
    again = preview(client, data).context["preview"]
    assert (again["total"], again["enrolled"], again["new"]) == (5, 5, 0)


def test_confirm_after_a_change_goes_back_to_the_preview(
    client, coordinator, course, tree, people
):
    client.force_login(coordinator)
    data = {"course": course.pk, "target": "unit", "unit": tree.a1.pk}
    fingerprint = preview(client, data).context["preview"]["fingerprint"]
    changed = {**data, "unit": tree.city_a.pk, "preview_of": fingerprint}
    response = post(client, changed, action="confirm")
    assert response.status_code == 200
    assert response.context["notice"]
    assert response.context["preview"]["total"] == 3
    assert not Assignment.objects.exists()


def test_due_date_in_the_past_is_refused(client, coordinator, course, tree):
    client.force_login(coordinator)
    data = {
        "course": course.pk,
        "target": "unit",
        "unit": tree.a1.pk,
        "due_on": "2001-01-01",
    }
    response = preview(client, data)
    assert "due_on" in response.context["form"].errors


def test_unpublished_course_cannot_be_chosen(client, coordinator, tree):
    draft = make_course(course_catalogue_ensure(), "草稿课程", live=False)
    client.force_login(coordinator)
    response = preview(
        client, {"course": draft.pk, "target": "unit", "unit": tree.a1.pk}
    )
    assert "course" in response.context["form"].errors


# --- scope ------------------------------------------------------------------------


def test_cross_unit_unit_is_refused(client, coordinator_b, course, tree, people):
    client.force_login(coordinator_b)
    data = {"course": course.pk, "target": "unit", "unit": tree.city_a.pk}
    response = post(client, data)
    assert "unit" in response.context["form"].errors
    response = post(client, {**data, "preview_of": "x"}, action="confirm")
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Assignment.objects.exists()
    assert not Enrollment.objects.exists()


def test_cross_unit_person_is_refused(client, coordinator_b, course, people):
    client.force_login(coordinator_b)
    data = {"course": course.pk, "target": "people", "people": [people["A1"].pk]}
    assert "people" in post(client, data).context["form"].errors
    # Even with a matching fingerprint the form refuses the id.
    response = post(client, data, action="confirm")
    assert "people" in response.context["form"].errors
    assert not Assignment.objects.exists()


def test_cross_unit_search_finds_nobody(client, coordinator_b, course, people):
    client.force_login(coordinator_b)
    response = client.post(
        ASSIGN, {"action": "find", "people_query": "P-A", "target": "people"}
    )
    assert response.context["candidates"] == []


def test_cross_unit_status_pages(
    client,
    coordinator,
    coordinator_b,
    course,
    tree,
    people,
    django_capture_on_commit_callbacks,
):
    client.force_login(coordinator)
    confirm(
        client,
        {"course": course.pk, "target": "unit", "unit": tree.a1.pk},
        django_capture_on_commit_callbacks,
    )
    assignment = Assignment.objects.get()
    client.force_login(coordinator_b)
    assert (
        client.get(reverse("training:assign_status", args=[assignment.pk])).status_code
        == 404
    )
    response = client.get(reverse("training:assign_status_json", args=[assignment.pk]))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert assignment not in client.get(ASSIGN).context["recent"]


def test_learner_gets_json_403(client, learner, course):
    client.force_login(learner)
    response = client.get(reverse("training:assign_status_json", args=[1]))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
