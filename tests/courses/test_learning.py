"""My learning (/learning/): assigned work first (overdue, then by due date) with
who assigned it and why, progress with a continue link, completed courses, the
year's 学时 (Asia/Shanghai), and a certificates link only when that page exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from courses.services import lesson_open
from tests.courses.conftest import make_lesson
from tests.courses.ui_builders import assign, complete, days, enrol, published_course

pytestmark = pytest.mark.django_db

URL = "/learning/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_url_name():
    assert reverse("courses:learning") == URL


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_empty_state(client, learner):
    client.force_login(learner)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'id="learning-empty"' in response.content.decode()
    # The way to "which rules apply to me and what is missing" (training's page).
    assert 'href="/compliance/"' in response.content.decode()


def test_sections(client, learner, coordinator, people, catalogue_index):
    later = published_course(catalogue_index, "年度岗位培训")
    overdue = published_course(catalogue_index, "政治轮训必修")
    soon = published_course(catalogue_index, "检察官职业道德")
    started = published_course(catalogue_index, "信息化应用")
    waiting = published_course(catalogue_index, "群众工作方法")
    done = published_course(catalogue_index, "法律监督概论")
    assign(coordinator, later, [learner], due_on=days(30), reason="岗位培训要求")
    assign(coordinator, overdue, [learner], due_on=days(-2), reason="2026 年度政治轮训")
    assign(coordinator, soon, [learner], due_on=days(5))
    enrol(learner, started, progress=40)
    lesson = make_lesson(started, "第三课 电子卷宗")
    lesson_open(user=learner, lesson=lesson)
    enrol(learner, waiting)
    complete(enrol(learner, done), hours="1.00")

    client.force_login(learner)
    response = client.get(URL)
    ctx = response.context
    assert [e.course.title for e in ctx["assigned"]] == [
        "政治轮训必修",
        "检察官职业道德",
        "年度岗位培训",
    ]
    assert [e.course.title for e in ctx["in_progress"]] == ["信息化应用"]
    assert [e.course.title for e in ctx["not_started"]] == ["群众工作方法"]
    assert [e.course.title for e in ctx["completed"]] == ["法律监督概论"]
    html = response.content.decode()
    assert "甲市管理员" in html  # who assigned it
    assert "2026 年度政治轮训" in html  # and why
    assert "learning-item is-overdue" in html
    assert lesson.url in html  # continue where the learner left off
    assert 'value="40"' in html


def test_other_learners_courses_are_not_shown(client, people, catalogue_index):
    course = published_course(catalogue_index, "别人的课程")
    enrol(people["A2"].user, course, progress=50)
    client.force_login(people["A1"].user)
    assert "别人的课程" not in client.get(URL).content.decode()


def test_credit_hours_this_year_in_shanghai_time(client, learner, catalogue_index):
    year = timezone.localdate().year
    # 1 January 00:30 in Shanghai is still 31 December in UTC: counts this year.
    new_year = dt.datetime(year, 1, 1, 0, 30, tzinfo=SHANGHAI)
    # 31 December 23:30 in Shanghai of last year is last year.
    old_year = dt.datetime(year - 1, 12, 31, 23, 30, tzinfo=SHANGHAI)
    a, b, c = (published_course(catalogue_index, f"课程{n}") for n in range(3))
    complete(enrol(learner, a), at=new_year, hours="1.00")
    complete(enrol(learner, b), at=timezone.now(), hours="0.50")
    complete(enrol(learner, c), at=old_year, hours="1.00")
    client.force_login(learner)
    response = client.get(URL)
    assert response.context["credit_hours_year"] == Decimal("1.50")
    assert response.context["year"] == year
    assert '<span class="learning-stat-value">1.50</span>' in response.content.decode()


def test_certificates_link_only_when_the_page_exists(
    client, learner, monkeypatch, catalogue_index
):
    client.force_login(learner)
    html = client.get(URL).content.decode()
    assert 'href="/me/certificates/"' in html
    monkeypatch.setattr("courses.selectors_learning.certificates_url", lambda: None)
    assert "learning-certificates" not in client.get(URL).content.decode()


def test_query_count_is_fixed(client, learner, coordinator, people, catalogue_index):
    def add(n, tag):
        for i in range(n):
            course = published_course(catalogue_index, f"{tag}{i}")
            if i % 3 == 0:
                assign(coordinator, course, [learner], due_on=days(i - 2))
            elif i % 3 == 1:
                enrol(learner, course, progress=30)
                lesson_open(user=learner, lesson=make_lesson(course, "第一课"))
            else:
                complete(enrol(learner, course))

    client.force_login(learner)
    add(3, "少")
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    add(9, "多")
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert Enrollment.objects.filter(user=learner).count() == 12
    assert len(many) == len(few)
    assert len(few) <= 10, "\n".join(q["sql"][:120] for q in few.captured_queries)
