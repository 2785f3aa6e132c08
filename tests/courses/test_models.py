from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courses.audience import CATEGORY_CHOICES, GRADE_CHOICES, LEADERSHIP_CHOICES
from courses.models import CourseIndexPage, LessonPage, credit_hours_for_minutes
from tests.courses.conftest import make_course, make_lesson, quiz_block, video_block
from tests.factories import assessments as qa
from training.org.models import Person


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [
        ("1", "0.25"),
        ("14.99", "0.25"),
        ("15", "0.50"),
        ("29.99", "0.50"),
        ("30", "1.00"),
        ("240", "1.00"),
    ],
)
def test_credit_hours_rule_boundaries(minutes, hours):
    assert credit_hours_for_minutes(Decimal(minutes)) == Decimal(hours)


def test_course_credit_hours_from_duration_or_override(catalogue_index):
    course = make_course(catalogue_index, estimated_minutes=20)
    assert course.credit_hours == Decimal("0.50")
    course.credit_hours_override = Decimal("2")
    course.override_reason = "含线下研讨"
    assert course.credit_hours == Decimal("2")


def test_override_needs_a_reason(catalogue_index):
    course = make_course(catalogue_index)
    course.credit_hours_override = Decimal("2")
    with pytest.raises(ValidationError) as excinfo:
        course.full_clean()
    assert "override_reason" in excinfo.value.message_dict
    course.override_reason = "专题讲座另计"
    course.full_clean()


def test_catalogue_exists_after_migrate_with_workflow(catalogue_index):
    assert isinstance(catalogue_index, CourseIndexPage)
    assert catalogue_index.url_path.endswith("/courses/")
    workflow = catalogue_index.get_workflow()
    assert workflow is not None and workflow.name == "课程审核"
    perms = set(
        catalogue_index.group_permissions.values_list(
            "group__name", "permission__codename"
        )
    )
    assert ("课程编辑", "add_page") in perms
    assert ("课程编辑", "publish_page") not in perms
    assert ("课程审核员", "publish_page") in perms


def test_lesson_kind_and_durations_are_derived(course):
    quiz = qa.quiz([qa.question()])
    text = make_lesson(course, "阅读")
    video = make_lesson(course, "视频", blocks=[video_block(300)])
    with_quiz = make_lesson(course, "测验", blocks=[quiz_block(quiz)])
    assert text.kind == LessonPage.Kind.TEXT
    assert text.reading_seconds > 0
    assert video.kind == LessonPage.Kind.VIDEO and video.video_seconds == 300
    assert with_quiz.kind == LessonPage.Kind.QUIZ and with_quiz.quiz == quiz


def test_audience_choices_mirror_training():
    def values(choices):
        return [value for value, _label in choices]

    assert values(CATEGORY_CHOICES) == values(Person.Category.choices)
    assert values(GRADE_CHOICES) == values(Person.Grade.choices)
    assert values(LEADERSHIP_CHOICES) == [
        v for v in values(Person.LeadershipLevel.choices) if v
    ]


def test_admin_screens_render(superuser, course, video_lesson, client):
    client.force_login(superuser)
    for url in (
        f"/admin/pages/{course.pk}/edit/",
        f"/admin/pages/{video_lesson.pk}/edit/",
        f"/admin/pages/add/courses/lessonpage/{course.pk}/",
        "/admin/enrolments/",
        "/admin/assignments/",
        "/admin/course_quiz_chooser/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_lesson_preview_renders_body(superuser, video_lesson, client):
    client.force_login(superuser)
    response = client.get(f"/admin/pages/{video_lesson.pk}/view_draft/")
    assert response.status_code == 200
    assert b"data-lesson-video" in response.content
