"""The demo courses and the courses part of ``seed_demo``."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils.html import strip_tags
from wagtail.documents import get_document_model

from courses import demo, demo_content
from courses.audience import CATEGORY_CHOICES, GRADE_CHOICES, LEADERSHIP_CHOICES
from courses.models import (
    Assignment,
    CoursePage,
    Enrollment,
    LessonPage,
    LessonProgress,
    credit_hours_for_minutes,
)
from courses.selectors import DURATION_BANDS, learning_overview
from tests.factories import assessments as af

PUBLISHED = [spec for spec in demo_content.COURSES if spec.publish]


def _chars(html: str) -> int:
    return len(re.sub(r"\s+", "", strip_tags(html)))


# --- the content (no database) --------------------------------------------------------


def test_courses_cover_every_subject_of_the_policy():
    assert 8 <= len(PUBLISHED) <= 10
    subjects = {name for spec in PUBLISHED for name in spec.subjects}
    assert subjects == set(demo_content.SUBJECT_ORDER)
    titles = [spec.title for spec in PUBLISHED]
    assert "公正廉洁执法" in titles
    assert any("检察官职业道德基本准则" in t for t in titles)
    assert any("突发事件处置" in t for t in titles)
    slugs = [spec.slug for spec in demo_content.COURSES]
    assert len(set(slugs)) == len(slugs)


def test_every_course_has_two_to_four_lessons_of_real_text():
    for spec in PUBLISHED:
        assert 2 <= len(spec.lessons) <= 4, spec.title
        assert len({lesson.slug for lesson in spec.lessons}) == len(spec.lessons)
        assert any(lesson.required for lesson in spec.lessons)
        for lesson in spec.lessons:
            # A few paragraphs, not a placeholder; the quiz lesson only
            # introduces its quiz.
            paragraphs = lesson.body.count("<p>")
            minimum = 1 if lesson.quiz else 2
            assert paragraphs >= minimum, lesson.title
            assert _chars(lesson.body) >= (40 if lesson.quiz else 120), lesson.title


def test_special_lessons_and_settings_are_all_there():
    lessons = [lesson for spec in PUBLISHED for lesson in spec.lessons]
    assert sum(lesson.video for lesson in lessons) == 1
    assert sum(lesson.handout for lesson in lessons) == 1
    assert sum(lesson.quiz for lesson in lessons) == 1
    assert any(not lesson.required for lesson in lessons)

    # Durations spread over every catalogue band and every credit value.
    def band(minutes: int) -> str:
        if minutes < 15:
            return "lt15"
        if minutes < 30:
            return "15to30"
        return "30to60" if minutes < 60 else "gte60"

    assert {band(spec.minutes) for spec in PUBLISHED} == set(DURATION_BANDS)
    credits = {credit_hours_for_minutes(spec.minutes) for spec in PUBLISHED}
    assert credits == {Decimal("0.25"), Decimal("0.50"), Decimal("1.00")}
    overridden = [spec for spec in PUBLISHED if spec.credit_override]
    assert overridden and all(spec.override_reason for spec in overridden)
    assert any(not spec.self_enrol for spec in PUBLISHED)
    assert sum(spec.self_enrol for spec in PUBLISHED) > len(PUBLISHED) / 2


def test_audience_hints_use_the_person_choice_values():
    valid = (
        {v for v, _ in CATEGORY_CHOICES},
        {v for v, _ in GRADE_CHOICES},
        {v for v, _ in LEADERSHIP_CHOICES},
    )
    for spec in demo_content.COURSES:
        for values, allowed in zip(
            (spec.categories, spec.grades, spec.leadership), valid, strict=True
        ):
            assert set(values) <= allowed, spec.title


def test_the_demo_video_is_small_and_committed():
    path = demo.MEDIA_DIR / demo_content.VIDEO_FILENAME
    assert path.exists()
    assert path.stat().st_size <= 300 * 1024
    assert path.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file


# --- the seeding function on the small test tree --------------------------------------


@pytest.fixture
def seeded(people, coordinator, superuser, learner):
    af.quiz(title=demo.LESSON_QUIZ_TITLE)
    unit_users = [people[code].user for code in ("CITY-A", "A1", "A2")]
    out = io.StringIO()
    counts = demo.seed(
        editor=superuser,
        publisher=superuser,
        coordinator=coordinator,
        learner=learner,
        unit_label="甲市人民检察院（含下级单位）",
        unit_users=unit_users,
        colleagues=[people["A2"].user],
        stdout=out,
    )
    return counts, out.getvalue()


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            CoursePage,
            LessonPage,
            Assignment,
            Enrollment,
            LessonProgress,
            get_document_model(),
        )
    }


@pytest.mark.django_db
def test_seed_publishes_the_courses_with_their_blocks(seeded):
    counts, out = seeded
    assert counts.courses == len(demo_content.COURSES)
    assert "Courses: 10 published" in out
    live = CoursePage.objects.live()
    assert live.count() == len(PUBLISHED)
    assert all(c.first_published_at and c.live_revision_id for c in live)
    assert all(c.cover_image_id for c in live)
    for spec in PUBLISHED:
        course = live.get(slug=spec.slug)
        assert set(course.subjects.values_list("name", flat=True)) == set(spec.subjects)
        assert [lesson.slug for lesson in course.lessons()] == [
            lesson.slug for lesson in spec.lessons
        ]
    override = live.get(slug=demo.ROTATION)
    assert override.credit_hours == Decimal("2.00") and override.override_reason

    video = LessonPage.objects.get(kind=LessonPage.Kind.VIDEO)
    assert video.video_seconds == demo_content.VIDEO_SECONDS
    block = next(b for b in video.body if b.block_type == "video")
    assert block.value["video_file"].file.name.endswith(".webm")

    quiz_lesson = LessonPage.objects.get(kind=LessonPage.Kind.QUIZ)
    assert quiz_lesson.quiz.title == demo.LESSON_QUIZ_TITLE

    handout = next(
        b
        for lesson in LessonPage.objects.filter(slug="zhunze-youlai")
        for b in lesson.body
        if b.block_type == "document"
    )
    document = handout.value["document"]
    assert document.file_extension == "pdf"
    with document.file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


@pytest.mark.django_db
def test_seed_leaves_one_draft_in_the_review_workflow(seeded):
    draft = CoursePage.objects.get(slug="weichengnianren-jiancha-shiwu")
    assert not draft.live
    assert draft.workflow_in_progress
    assert draft.current_workflow_state.workflow.name == "课程审核"
    assert not LessonPage.objects.child_of(draft).live().exists()


@pytest.mark.django_db
def test_seed_gives_the_learner_one_of_every_state(seeded, learner):
    overview = learning_overview(user=learner)
    assigned = overview["assigned"]
    assert [e.course.slug for e in assigned] == [demo.SUPERVISION, demo.ROTATION]
    overdue, due_soon = assigned
    assert overdue.is_overdue and not due_soon.is_overdue
    assert overdue.assigned_by.username == "coord-a"
    assert overdue.reason == demo.PEOPLE_ASSIGNMENT_REASON
    assert 0 < due_soon.progress_percent < 100
    [in_progress] = overview["in_progress"]
    assert in_progress.course.slug == demo.CODE
    # The first lesson was read and the passed quiz's lesson is NOT credited here:
    # the factory quiz has no passed attempt by the learner.
    assert in_progress.last_lesson.slug == "zhongcheng-yu-weimin"
    assert [e.course.slug for e in overview["not_started"]] == [demo.EMERGENCY]
    completed = overview["completed"]
    assert {e.course.slug for e in completed} == {demo.CLEAN, demo.IT}
    assert overview["credit_hours_year"] in (
        Decimal("0.75"),
        Decimal("0.50"),
        Decimal("0.25"),
        Decimal("0"),
    )  # the completions lie 9 and 14 days back, maybe in last year
    assert all(e.credit_hours for e in completed)
    watched = LessonProgress.objects.get(user=learner, lesson__kind="video")
    assert watched.completed_at is not None
    assert watched.watched_seconds <= demo_content.VIDEO_SECONDS


@pytest.mark.django_db
def test_seed_assignments_ran_and_others_have_progress(seeded, people):
    unit = Assignment.objects.get(course__slug=demo.ROTATION)
    assert unit.target_kind == Assignment.TargetKind.UNIT
    assert (unit.status, unit.total, unit.created) == ("done", 3, 3)
    people_assignment = Assignment.objects.get(course__slug=demo.SUPERVISION)
    assert people_assignment.target_kind == Assignment.TargetKind.PEOPLE
    assert people_assignment.total == 2
    others = [people["CITY-A"].user, people["A2"].user]
    assert LessonProgress.objects.filter(user__in=others).exists()
    assert Enrollment.objects.filter(
        user__in=others, completed_at__isnull=False
    ).exists()
    # A half-watched video resumes where it stopped, with no more credit than
    # the time that passed.
    partial = LessonProgress.objects.filter(
        lesson__kind="video", completed_at__isnull=True
    )
    for progress in partial:
        assert progress.position_seconds == progress.watched_seconds > 0


@pytest.mark.django_db
def test_seed_twice_creates_nothing_more(seeded, people, coordinator, superuser):
    first = _counts()
    again = demo.seed(
        editor=superuser,
        publisher=superuser,
        coordinator=coordinator,
        learner=people["A1"].user,
        unit_label="甲市人民检察院（含下级单位）",
        unit_users=[people[code].user for code in ("CITY-A", "A1", "A2")],
        colleagues=[people["A2"].user],
        stdout=io.StringIO(),
    )
    assert (again.courses, again.lessons, again.media, again.assignments) == (
        0,
        0,
        0,
        0,
    )
    assert again.enrolments == 0
    assert _counts() == first


@pytest.mark.django_db
def test_seed_cannot_assign_outside_the_coordinators_scope(
    people, coordinator_b, superuser, learner
):
    with pytest.raises(PermissionDenied):
        demo.seed(
            editor=superuser,
            publisher=superuser,
            coordinator=coordinator_b,  # CITY-B may not assign CITY-A people
            learner=learner,
            unit_label="甲市人民检察院（含下级单位）",
            unit_users=[people["A1"].user, people["A2"].user],
            stdout=io.StringIO(),
        )


# --- seed_demo end to end -------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_builds_courses_for_the_demo_logins(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Courses: 10 published" in out.getvalue()
    learner = get_user_model().objects.get(username="learner")
    overview = learning_overview(user=learner)
    assert len(overview["assigned"]) == 2 and overview["assigned"][0].is_overdue
    assert overview["in_progress"] and overview["not_started"]
    assert len(overview["completed"]) == 2
    # The learner passed the lesson quiz in the assessments seed: its lesson counts.
    code = Enrollment.objects.get(user=learner, course__slug=demo.CODE)
    assert code.progress_percent == 50
    unit = Assignment.objects.get(course__slug=demo.ROTATION)
    assert unit.created_by.username == "coordinator" and unit.total >= 8
    assert (
        Enrollment.objects.filter(
            course__slug=demo.ROTATION, completed_at__isnull=False
        )
        .exclude(user=learner)
        .exists()
    )
