"""The catalogue at /courses/: cards, filters in the URL, sort, pagination,
the signed-in user's own badges, and a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Subject
from tests.courses.conftest import make_course, make_lesson
from tests.courses.ui_builders import assign, complete, days, enrol, published_course

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [c.title for c in response.context["results"].object_list]


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def subjects(db):
    return {
        name: Subject.objects.create(name=name, sort_order=n)
        for n, name in enumerate(["政治理论", "检察官职业道德", "突发事件处置"])
    }


@pytest.fixture
def shelf(catalogue_index, subjects):
    politics = published_course(
        catalogue_index,
        "习近平法治思想概论",
        subjects=[subjects["政治理论"]],
        estimated_minutes=90,
        summary="政治轮训必修。",
    )
    ethics = published_course(
        catalogue_index,
        "检察官职业道德基本准则",
        subjects=[subjects["检察官职业道德"]],
        estimated_minutes=20,
        audience_categories=["prosecutor"],
    )
    drill = published_course(
        catalogue_index,
        "突发事件处置实务",
        subjects=[subjects["突发事件处置"], subjects["政治理论"]],
        estimated_minutes=10,
        audience_categories=["police"],
    )
    make_lesson(ethics, "第一课")
    make_lesson(ethics, "第二课")
    return {"politics": politics, "ethics": ethics, "drill": drill}


def test_cards_show_the_course_facts(client, learner, shelf):
    client.force_login(learner)
    response = client.get("/courses/")
    assert response.status_code == 200
    assert _titles(response) == [
        "突发事件处置实务",
        "检察官职业道德基本准则",
        "习近平法治思想概论",
    ]
    html = _html(response)
    assert 'class="course-card' in html
    assert '<li class="chip">突发事件处置</li>' in html
    ethics = response.context["results"].object_list[1]
    assert ethics.lesson_count == 2
    # 20 minutes → 0.5 学时 by the online rule.
    assert "0.50" in html


def test_unpublished_courses_are_not_listed(client, learner, shelf, catalogue_index):
    make_course(catalogue_index, "尚未发布的课程", live=False)
    client.force_login(learner)
    assert "尚未发布的课程" not in _titles(client.get("/courses/"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"duration": "lt15"}, ["突发事件处置实务"]),
        ({"duration": "gte60"}, ["习近平法治思想概论"]),
        ({"audience": "prosecutor"}, ["检察官职业道德基本准则", "习近平法治思想概论"]),
        ({"q": "准则"}, ["检察官职业道德基本准则"]),
        ({"sort": "title", "duration": "bogus"}, None),
        # "²" passes str.isdigit but not int(); a huge id overflows the column.
        ({"subject": "²"}, None),
        ({"subject": "9" * 24}, None),
    ],
)
def test_filters_live_in_the_url(client, learner, shelf, query, expected):
    client.force_login(learner)
    response = client.get("/courses/", query)
    assert response.status_code == 200
    if expected is not None:
        assert _titles(response) == expected
    else:
        assert len(_titles(response)) == 3


def test_subject_filter_and_active_chips(client, learner, shelf, subjects):
    client.force_login(learner)
    response = client.get(
        "/courses/", {"subject": subjects["政治理论"].pk, "duration": "gte60"}
    )
    assert _titles(response) == ["习近平法治思想概论"]
    html = _html(response)
    # Each chip removes its own filter and keeps the others.
    assert f'href="?subject={subjects["政治理论"].pk}"' in html
    assert 'href="?duration=gte60"' in html
    assert (
        'id="subject-{}" name="subject" value="{}" checked'.format(
            subjects["政治理论"].pk, subjects["政治理论"].pk
        )
        in html
    )


def test_sorts(client, learner, shelf):
    client.force_login(learner)
    by_duration = _titles(client.get("/courses/", {"sort": "duration"}))
    assert by_duration == [
        "突发事件处置实务",
        "检察官职业道德基本准则",
        "习近平法治思想概论",
    ]
    by_credit = _titles(client.get("/courses/", {"sort": "credit"}))
    assert by_credit[0] == "习近平法治思想概论"
    assert len(_titles(client.get("/courses/", {"sort": "title"}))) == 3


def test_pagination_keeps_the_filters(client, learner, catalogue_index):
    for n in range(14):
        make_course(catalogue_index, f"法律监督专题{n:02d}", estimated_minutes=40)
    client.force_login(learner)
    first = client.get("/courses/", {"duration": "30to60", "sort": "title"})
    assert first.context["results"].paginator.num_pages == 2
    assert len(_titles(first)) == 12
    assert "?duration=30to60&amp;sort=title&page=2" in _html(first)
    second = client.get("/courses/", {"duration": "30to60", "sort": "title", "page": 2})
    assert _titles(second) == ["法律监督专题12", "法律监督专题13"]


def test_empty_state(client, learner, shelf):
    client.force_login(learner)
    html = _html(client.get("/courses/", {"q": "没有这样的课程"}))
    assert 'class="card catalogue-empty"' in html
    assert 'id="course-grid"' not in html


def test_my_badges(client, learner, coordinator, people, shelf):
    enrol(learner, shelf["politics"], progress=42)
    complete(enrol(learner, shelf["ethics"]))
    assign(coordinator, shelf["drill"], [learner], due_on=days(-1))
    client.force_login(learner)
    html = _html(client.get("/courses/"))
    assert re.search(r'class="flag flag-progress">[^<]*42%', html)
    assert "flag-done" in html
    assert "flag-overdue" in html


def test_no_badges_from_other_peoples_enrolments(client, people, shelf):
    other = people["A2"].user
    complete(enrol(other, shelf["ethics"]))
    client.force_login(people["A1"].user)
    html = _html(client.get("/courses/"))
    assert "flag-done" not in html
    assert "flag-progress" not in html


def test_required_for_me(client, learner, coordinator, people, shelf):
    assign(coordinator, shelf["drill"], [learner], due_on=days(10))
    enrol(learner, shelf["politics"])
    client.force_login(learner)
    response = client.get("/courses/", {"required": "1"})
    assert _titles(response) == ["突发事件处置实务"]
    assert re.search(
        r'class="flag flag-required">[^<]*\d{4}-\d{2}-\d{2}', _html(response)
    )


def test_anonymous_is_sent_to_login(client, shelf):
    response = client.get("/courses/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_query_count_is_fixed(client, learner, catalogue_index, subjects):
    def add(n):
        for i in range(n):
            course = published_course(
                catalogue_index,
                f"课程{i:03d}-{n}",
                subjects=list(subjects.values())[: 1 + i % 3],
            )
            make_lesson(course, "第一课")
            enrol(learner, course, progress=i % 100)

    client.force_login(learner)
    add(2)
    client.get("/courses/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/courses/").status_code == 200
    add(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/courses/").status_code == 200
    assert len(many) == len(few)
    # Wagtail routing, session and permissions ~11; the catalogue itself 5.
    assert len(few) <= 18, "\n".join(q["sql"][:150] for q in few.captured_queries)


def test_duration_labels():
    from django.utils import translation

    from courses.templatetags.catalogue_tags import duration_label

    with translation.override("en"):
        assert duration_label(45) == "45 min"
        assert duration_label(60) == "1 h"
        assert duration_label(90) == "1 h 30 min"
        assert duration_label("x") == ""
