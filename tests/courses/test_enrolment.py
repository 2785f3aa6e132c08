"""Self-enrolment, assignment (bulk, idempotent, scoped) and what learners see."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from courses import selectors
from courses.models import Assignment, Enrollment
from courses.services import (
    EnrollmentError,
    assignment_create,
    assignment_run,
    enrollment_create,
)
from tests.courses.conftest import make_course
from tests.factories import PersonFactory


def test_self_enrol_when_allowed(learner, course):
    enrollment = enrollment_create(user=learner, course=course)
    assert enrollment.source == Enrollment.Source.SELF
    assert enrollment_create(user=learner, course=course) == enrollment
    assert Enrollment.objects.count() == 1


def test_self_enrol_refused_when_not_allowed(learner, catalogue_index):
    course = make_course(catalogue_index, "指派课程", self_enrol=False)
    with pytest.raises(EnrollmentError) as excinfo:
        enrollment_create(user=learner, course=course)
    assert excinfo.value.code == "not_self_enrol"


def test_self_enrol_refused_for_unpublished(learner, catalogue_index):
    course = make_course(catalogue_index, "草稿课程", live=False)
    with pytest.raises(EnrollmentError):
        enrollment_create(user=learner, course=course)


def test_enrol_view(learner, course):
    client = Client()
    client.force_login(learner)
    response = client.post(reverse("courses:enrol", args=[course.pk]))
    assert response.status_code == 302
    assert Enrollment.objects.filter(user=learner, course=course).exists()


def test_unpublished_course_is_invisible(learner, catalogue_index):
    live = make_course(catalogue_index, "已发布课程")
    draft = make_course(catalogue_index, "未发布课程", live=False)
    client = Client()
    client.force_login(learner)
    assert client.get(live.url).status_code == 200
    assert client.get(draft.url or "/courses/未发布课程/").status_code == 404
    found = list(selectors.catalogue(user=learner, index=catalogue_index))
    assert found == [live]
    response = client.post(reverse("courses:enrol", args=[draft.pk]))
    assert response.status_code == 404


def test_course_pages_require_login(client, course, video_lesson):
    for url in (course.url, video_lesson.url):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_lesson_needs_enrolment(learner, course, video_lesson):
    client = Client()
    client.force_login(learner)
    response = client.get(video_lesson.url)
    assert response.status_code == 200
    assert b"data-lesson-video" not in response.content
    assert b"data-enrol" in response.content


def _assign(actor, course, ids, **kwargs):
    kwargs.setdefault("target_kind", Assignment.TargetKind.PEOPLE)
    kwargs.setdefault("target_label", "甲市院及下级院")
    return assignment_create(actor=actor, course=course, user_ids=ids, **kwargs)


def test_assignment_enrols_with_reason_and_is_idempotent(
    coordinator, people, course, django_capture_on_commit_callbacks
):
    ids = [people[c].user.pk for c in ("CITY-A", "A1", "A2")]
    due = dt.date.today() + dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        first = _assign(coordinator, course, ids, due_on=due, reason="年度政治轮训")
    first.refresh_from_db()
    assert first.status == Assignment.Status.DONE
    assert (first.total, first.processed, first.created) == (3, 3, 3)
    enrollment = Enrollment.objects.get(user=people["A1"].user)
    assert enrollment.source == Enrollment.Source.ASSIGNED
    assert enrollment.assigned_by == coordinator
    assert enrollment.reason == "年度政治轮训" and enrollment.required
    assert enrollment.due_on == due

    # Running the same assignment again, or assigning again, adds nobody.
    Assignment.objects.filter(pk=first.pk).update(
        processed=0, status=Assignment.Status.QUEUED
    )
    assignment_run(assignment_id=first.pk, batch_size=2)
    with django_capture_on_commit_callbacks(execute=True):
        second = _assign(coordinator, course, ids)
    second.refresh_from_db()
    assert second.created == 0
    assert Enrollment.objects.filter(course=course).count() == 3


def test_assignment_upgrades_a_self_enrolment(
    coordinator, people, course, django_capture_on_commit_callbacks
):
    user = people["A1"].user
    enrollment_create(user=user, course=course)
    due = dt.date.today() + dt.timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = _assign(coordinator, course, [user.pk], due_on=due, reason="必修")
    assignment.refresh_from_db()
    assert (assignment.created, assignment.updated) == (0, 1)
    enrollment = Enrollment.objects.get(user=user, course=course)
    assert enrollment.source == Enrollment.Source.ASSIGNED
    assert enrollment.required and enrollment.due_on == due
    # A later, later-due assignment keeps the earlier date.
    with django_capture_on_commit_callbacks(execute=True):
        _assign(coordinator, course, [user.pk], due_on=due + dt.timedelta(days=30))
    enrollment.refresh_from_db()
    assert enrollment.due_on == due


def test_assignment_refuses_ids_outside_scope(
    coordinator, coordinator_b, people, course
):
    inside = people["A1"].user.pk
    outside = people["B1"].user.pk
    with pytest.raises(PermissionDenied):
        _assign(coordinator, course, [inside, outside])
    with pytest.raises(PermissionDenied):
        _assign(coordinator_b, course, [inside])
    assert not Assignment.objects.exists()
    assert not Enrollment.objects.exists()


def test_assignment_needs_the_permission(learner, people, course):
    with pytest.raises(PermissionDenied):
        _assign(learner, course, [people["A2"].user.pk])


def test_assignment_of_unpublished_course_is_refused(
    coordinator, people, catalogue_index
):
    draft = make_course(catalogue_index, "草稿", live=False)
    with pytest.raises(ValidationError):
        _assign(coordinator, draft, [people["A1"].user.pk])


def test_bulk_assignment_in_batches(
    coordinator, tree, course, django_capture_on_commit_callbacks
):
    users = [PersonFactory(unit=tree.a2).user for _ in range(25)]
    assignment = _assign(coordinator, course, [u.pk for u in users])
    assignment_run(assignment_id=assignment.pk, batch_size=10)
    assignment.refresh_from_db()
    assert assignment.processed == 25 and assignment.created == 25
    assert assignment.percent_done == 100
    assert Enrollment.objects.filter(course=course).count() == 25


def test_learning_overview_lists_required_first(
    coordinator, learner, catalogue_index, django_capture_on_commit_callbacks
):
    required = make_course(catalogue_index, "必修课")
    optional = make_course(catalogue_index, "选修课")
    enrollment_create(user=learner, course=optional)
    with django_capture_on_commit_callbacks(execute=True):
        _assign(
            coordinator,
            required,
            [learner.pk],
            due_on=dt.date.today() - dt.timedelta(days=1),
        )
    overview = selectors.learning_overview(user=learner)
    assert [e.course_id for e in overview["assigned"]] == [required.pk]
    assert overview["assigned"][0].is_overdue
    assert [e.course_id for e in overview["not_started"]] == [optional.pk]


def test_catalogue_filters(learner, catalogue_index):
    short = make_course(
        catalogue_index,
        "突发事件处置要点",
        estimated_minutes=10,
        audience_categories=["police"],
    )
    long = make_course(catalogue_index, "法律监督实务", estimated_minutes=90)

    def titles(**query):
        params = selectors.CatalogueParams.from_query(query)
        return {c.title for c in selectors.catalogue(user=learner, params=params)}

    assert titles(duration="lt15") == {short.title}
    assert titles(duration="gte60") == {long.title}
    assert titles(audience="police") == {short.title, long.title}
    assert titles(audience="clerk") == {long.title}
    assert titles(q="突发") == {short.title}
    assert titles(required="1") == set()
    assert titles(sort="bogus", duration="nonsense") == {short.title, long.title}


def test_catalogue_query_count(learner, catalogue_index, django_assert_max_num_queries):
    for n in range(5):
        make_course(catalogue_index, f"课程{n}")
    # courses, their subjects, and Wagtail's view restrictions for public().
    with django_assert_max_num_queries(3):
        courses = list(selectors.catalogue(user=learner, index=catalogue_index))
        [c.subjects.all() for c in courses]
    assert len(courses) == 5
