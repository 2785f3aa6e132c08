"""A learner finds a course by searching part of a Chinese word, enrols, reads a
lesson until it may be marked as read, and sees the progress on "my learning".

The course is the demo's 《公正廉洁执法》, built from courses/demo_content.py and
published through revisions as an editor would. Elements are found by id, data
attribute or URL, not by interface text, so the test survives translation.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from courses import demo, demo_content
from courses.models import CoursePage, Enrollment, LessonPage, LessonProgress
from courses.services import course_catalogue_ensure

pytestmark = pytest.mark.e2e

PASSWORD = "learner-pass-2026"


@pytest.fixture
def world(transactional_db, home_page):
    from django.contrib.auth import get_user_model

    from assessments.models import Subject

    index = course_catalogue_ensure()
    spec = demo_content.course_spec("gongzheng-lianjie-zhifa")
    course = CoursePage(
        title=spec.title,
        slug=spec.slug,
        summary=spec.summary,
        estimated_minutes=spec.minutes,
        cover_image=demo.cover_image_ensure(spec),
        live=False,
    )
    course.subjects = [
        Subject.objects.get_or_create(name=name)[0] for name in spec.subjects
    ]
    index.add_child(instance=course)
    course.save_revision().publish()
    lessons = []
    for number, lesson_spec in enumerate(spec.lessons[:2]):
        lesson = LessonPage(
            title=lesson_spec.title,
            slug=lesson_spec.slug,
            body=json.dumps([{"type": "paragraph", "value": lesson_spec.body}]),
            # Two seconds of reading for the first lesson keeps the test short.
            min_reading_seconds=2 if number == 0 else None,
            live=False,
        )
        CoursePage.objects.get(pk=course.pk).add_child(instance=lesson)
        lesson.save_revision().publish()
        lessons.append(lesson)
    learner = get_user_model().objects.create_user(
        username="310106001",
        email="310106001@example.cn",
        password=PASSWORD,
        full_name="陈明",
    )
    return {
        "course": CoursePage.objects.get(pk=course.pk),
        "lessons": lessons,
        "learner": learner,
    }


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_learner_finds_enrols_reads_and_sees_progress(page, world, screenshot):
    course, (first, second) = world["course"], world["lessons"]
    learner = world["learner"]
    sign_in(page, learner.username, PASSWORD)

    # 廉洁 is part of 公正廉洁执法: no word boundary, still found, course first.
    page.goto("/search/")
    page.fill("#search-q", "廉洁")
    page.press("#search-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    hits = page.locator("#search-results .search-hit-title a")
    hits.first.wait_for()
    assert hits.first.get_attribute("href") == course.url
    assert "廉洁" in page.inner_text("#search-results")
    hits.first.click()
    page.wait_for_url(re.compile(re.escape(course.url) + "$"))

    # Enrol; the course page then offers the first lesson.
    page.click("[data-enrol]")
    page.wait_for_url(re.compile(re.escape(course.url) + "$"))
    assert Enrollment.objects.filter(user=learner, course=course).exists()
    page.click(f"main a.btn-primary[href='{first.url}']")
    page.wait_for_url(re.compile(re.escape(first.url) + "$"))

    # The button unlocks after the minimum reading time; the server agrees.
    assert page.locator("#lesson").get_attribute("data-tracking") == "1"
    mark_read = page.locator("[data-mark-read]")
    assert mark_read.is_disabled()
    page.wait_for_function(
        "() => !document.querySelector('[data-mark-read]').disabled", timeout=10_000
    )
    mark_read.click()
    page.locator("#lesson [data-status] .badge-success").wait_for()
    progress = LessonProgress.objects.get(user=learner, lesson=first)
    assert progress.completed_at is not None
    enrollment = Enrollment.objects.get(user=learner, course=course)
    # One of the two lessons read: half the course.
    assert enrollment.progress_percent == 50
    assert enrollment.completed_at is None
    screenshot(page, "lesson-page.png")

    # The course page marks the lesson done and offers the next one.
    page.goto(course.url)
    assert page.locator(f"main a.btn-primary[href='{second.url}']").count() == 1
    screenshot(page, "course-page.png")

    # My learning lists the course with its progress.
    page.goto("/learning/")
    section = page.locator("#learning-in-progress")
    section.wait_for()
    assert course.title in section.inner_text()
    bar = section.locator("progress").first
    assert bar.get_attribute("value") == "50"


def test_demo_learner_sees_every_state_and_the_video_lesson(
    page, home_page, screenshot, settings
):
    """The seeded demo: assigned (overdue first), in progress, not started and
    completed courses with this year's credit hours; a video lesson."""
    from django.core.management import call_command

    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    sign_in(page, "learner", "demo-pass-2026")

    page.goto("/learning/")
    assigned = page.locator("#learning-assigned")
    assigned.wait_for()
    supervision = CoursePage.objects.get(slug=demo.SUPERVISION)
    rotation = CoursePage.objects.get(slug=demo.ROTATION)
    text = assigned.inner_text()
    assert text.index(supervision.title) < text.index(rotation.title)
    for section in ("#learning-in-progress", "#learning-not-started"):
        assert page.locator(section).count() == 1
    completed = page.locator("#learning-completed").inner_text()
    assert CoursePage.objects.get(slug=demo.CLEAN).title in completed
    screenshot(page, "my-learning.png")

    page.goto("/courses/")
    screenshot(page, "catalogue-demo.png")

    video = LessonPage.objects.get(kind=LessonPage.Kind.VIDEO)
    page.goto(video.url)
    player = page.locator("video[data-lesson-video]")
    player.wait_for()
    # The committed clip loads and reports its length.
    page.wait_for_function(
        "() => document.querySelector('video[data-lesson-video]').readyState >= 1",
        timeout=10_000,
    )
    duration = page.evaluate(
        "() => document.querySelector('video[data-lesson-video]').duration"
    )
    assert abs(duration - demo_content.VIDEO_SECONDS) < 1
    screenshot(page, "video-lesson.png")
