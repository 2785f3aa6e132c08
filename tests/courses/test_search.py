"""Site search (/search/): Chinese substring recall, relevance, highlighting, and
only live, public pages. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from assessments.models import Subject
from cms.models import SearchEntry
from cms.search import highlight, search_entries, snippet
from tests.courses.conftest import make_course, make_lesson

pytestmark = pytest.mark.django_db

SEARCH = "/search/"


def _titles(response) -> list[str]:
    return [hit.entry.title for hit in response.context["hits"]]


def publish_with_subjects(course, *subjects):
    # ParentalManyToMany values are kept with the page until it is saved; publish
    # a revision as an editor would.
    course.subjects.set(subjects)
    course.save_revision().publish()


@pytest.fixture
def courses(catalogue_index):
    ethics = Subject.objects.create(name="检察官职业道德")
    emergency = Subject.objects.create(name="突发事件处置")
    clean = make_course(
        catalogue_index,
        "《公正廉洁执法》专题",
        summary="忠诚、公正、清廉、文明的职业道德要求。",
    )
    publish_with_subjects(clean, ethics)
    drill = make_course(
        catalogue_index, "突发事件处置实务", summary="群体性事件与舆情应对。"
    )
    publish_with_subjects(drill, emergency)
    plan = make_course(
        catalogue_index,
        "检察机关应急预案",
        summary="介绍突发事件的分级响应与处置流程。",
    )
    other = make_course(catalogue_index, "信息化应用基础", summary="办案系统操作。")
    return {"clean": clean, "drill": drill, "plan": plan, "other": other}


def test_chinese_substring_in_title_is_found(client, learner, courses):
    client.force_login(learner)
    response = client.get(SEARCH, {"q": "廉洁"})
    assert response.status_code == 200
    assert _titles(response) == ["《公正廉洁执法》专题"]
    assert "<mark>廉洁</mark>" in response.content.decode()


def test_emergency_courses_found_title_hits_first(client, learner, courses):
    client.force_login(learner)
    response = client.get(SEARCH, {"q": "突发"})
    # The course with 突发 in its title outranks the one with it in its summary.
    assert _titles(response) == ["突发事件处置实务", "检察机关应急预案"]


def test_lesson_text_is_searchable_and_shows_its_course(client, learner, courses):
    make_lesson(
        courses["other"],
        "第二课 电子卷宗",
        blocks=[
            {"type": "paragraph", "value": "<p>电子卷宗随案同步生成的操作要点。</p>"}
        ],
    )
    client.force_login(learner)
    response = client.get(SEARCH, {"q": "随案同步"})
    hits = response.context["hits"]
    assert [hit.entry.title for hit in hits] == ["第二课 电子卷宗"]
    assert hits[0].parent.title == "信息化应用基础"
    html = response.content.decode()
    assert "<mark>随案同步</mark>" in html
    assert "信息化应用基础" in html


def test_subject_names_are_searchable(client, learner, courses):
    client.force_login(learner)
    response = client.get(SEARCH, {"q": "检察官职业"})
    assert _titles(response) == ["《公正廉洁执法》专题"]


def test_every_term_must_match(client, learner, courses):
    client.force_login(learner)
    assert _titles(client.get(SEARCH, {"q": "突发 预案"})) == ["检察机关应急预案"]
    # A full-width space (common in Chinese input methods) separates terms too.
    assert _titles(client.get(SEARCH, {"q": "突发\u3000实务"})) == ["突发事件处置实务"]
    assert _titles(client.get(SEARCH, {"q": "突发 不存在"})) == []


def test_recency_breaks_ties(courses):
    # Both have 突发 in title and text (the drill's through its subject).
    older = timezone.now() - dt.timedelta(days=30)
    Page.objects.filter(pk=courses["drill"].pk).update(last_published_at=older)
    Page.objects.filter(pk=courses["plan"].pk).update(last_published_at=older)
    newer = make_course(
        courses["clean"].get_parent(), "突发事件新闻发布", summary="突发事件发布会。"
    )
    titles = [e.title for e in search_entries(query="突发")]
    assert titles[:2] == [newer.title, "突发事件处置实务"]


def test_latin_search_is_case_insensitive(client, learner, catalogue_index):
    make_course(catalogue_index, "Office 办公软件", summary="WPS and Excel")
    client.force_login(learner)
    response = client.get(SEARCH, {"q": "excel"})
    assert _titles(response) == ["Office 办公软件"]
    assert "<mark>Excel</mark>" in response.content.decode()


def test_hits_are_escaped(client, learner, catalogue_index):
    make_course(catalogue_index, "<b>廉洁</b>&<script>", summary="<img src=x>廉洁")
    client.force_login(learner)
    html = client.get(SEARCH, {"q": "廉洁"}).content.decode()
    assert "<script>" not in html
    assert "&lt;b&gt;<mark>廉洁</mark>&lt;/b&gt;&amp;&lt;script&gt;" in html


def test_highlight_and_snippet_helpers():
    assert highlight("a<b>c", ["b"]) == "a&lt;<mark>b</mark>&gt;c"
    assert highlight("ABC abc", ["b"]) == "A<mark>B</mark>C a<mark>b</mark>c"
    text = "甲" * 200 + "廉洁" + "乙" * 200
    out = snippet(text, ["廉洁"])
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>廉洁</mark>" in out
    assert 70 <= len(out.replace("<mark>", "").replace("</mark>", "")) <= 90
    assert snippet("短文", ["无"]) == "短文"


def test_unpublished_pages_leave_the_index(client, learner, courses):
    courses["clean"].unpublish()
    assert not SearchEntry.objects.filter(page=courses["clean"]).exists()
    client.force_login(learner)
    assert _titles(client.get(SEARCH, {"q": "廉洁"})) == []


def test_drafts_are_not_indexed_until_published(courses):
    course = courses["other"].specific
    course.title = "信息化应用基础（草稿改名）"
    course.save_revision()
    assert SearchEntry.objects.get(page=course).title == "信息化应用基础"
    course.get_latest_revision().publish()
    assert SearchEntry.objects.get(page=course).title == "信息化应用基础（草稿改名）"


def test_deleted_pages_leave_the_index(courses):
    pk = courses["other"].pk
    courses["other"].delete()
    assert not SearchEntry.objects.filter(page_id=pk).exists()


def test_private_pages_are_excluded(client, learner, courses):
    PageViewRestriction.objects.create(
        page=courses["clean"], restriction_type=PageViewRestriction.LOGIN
    )
    client.force_login(learner)
    assert _titles(client.get(SEARCH, {"q": "廉洁"})) == []


def test_rebuild_command(courses):
    SearchEntry.objects.all().delete()
    call_command("rebuild_search_entries", verbosity=0)
    live = Page.objects.live().filter(depth__gt=1).count()
    assert SearchEntry.objects.count() == live
    entry = SearchEntry.objects.get(page=courses["clean"])
    assert entry.kind == "courses.coursepage"
    assert "检察官职业道德" in entry.text


def test_kind_filter_and_pagination(client, learner, catalogue_index):
    course = make_course(catalogue_index, "法律监督总论")
    for n in range(12):
        make_lesson(course, f"法律监督第{n + 1}讲")
    client.force_login(learner)
    response = client.get(SEARCH, {"q": "法律监督"})
    assert response.context["total"] == 13
    assert response.context["page"].paginator.num_pages == 2
    assert {k for k, _label, _n in response.context["kinds"]} == {
        "courses.coursepage",
        "courses.lessonpage",
    }
    only_courses = client.get(SEARCH, {"q": "法律监督", "kind": "courses.coursepage"})
    assert _titles(only_courses) == ["法律监督总论"]
    second = client.get(SEARCH, {"q": "法律监督", "page": 2})
    assert len(second.context["hits"]) == 3


def test_query_count_does_not_grow_with_results(client, learner, catalogue_index):
    client.force_login(learner)
    course = make_course(catalogue_index, "廉洁课程")
    make_lesson(course, "廉洁第一讲")
    client.get(SEARCH, {"q": "廉洁"})  # warm the site root cache
    with CaptureQueriesContext(connection) as few:
        client.get(SEARCH, {"q": "廉洁"})
    for n in range(8):
        make_lesson(course, f"廉洁第{n + 2}讲")
    with CaptureQueriesContext(connection) as many:
        client.get(SEARCH, {"q": "廉洁"})
    assert len(many) == len(few)


def test_empty_and_silly_queries(client, learner, courses):
    client.force_login(learner)
    assert client.get(SEARCH).status_code == 200
    assert client.get(SEARCH, {"q": "   "}).context["hits"] == []
    assert client.get(SEARCH, {"q": "%"}).context["hits"] == []
    assert client.get(SEARCH, {"q": "_"}).context["hits"] == []
    assert client.get(SEARCH, {"q": "x" * 5000}).status_code == 200
    assert client.get(SEARCH, {"q": "廉洁", "page": "zz"}).status_code == 200
    assert client.get(SEARCH, {"q": "廉洁", "kind": "cms.nope"}).status_code == 200


def test_anonymous_is_sent_to_login(client, courses):
    response = client.get(SEARCH, {"q": "廉洁"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
