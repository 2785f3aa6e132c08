"""Course completion: recorded once, with the time and the 学时, and signalled once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from courses.models import CoursePage, Enrollment, LessonProgress
from courses.services import (
    enrollment_create,
    lesson_complete_by_quiz,
    lesson_open,
    progress_beat,
    progress_read,
)
from tests.courses.conftest import (
    make_course,
    make_lesson,
    quiz_block,
    rewind,
    video_block,
)
from tests.factories import assessments as qa


def finish_video(user, lesson, seq=1):
    """Watch a 40-second video through with honest beats; returns the last result."""
    progress_beat(user=user, lesson_id=lesson.pk, position=0, seq=seq)
    rewind(user, lesson, 20)
    progress_beat(user=user, lesson_id=lesson.pk, position=20, seq=seq + 1)
    rewind(user, lesson, 20)
    return progress_beat(user=user, lesson_id=lesson.pk, position=40, seq=seq + 2)


def test_course_completes_once_with_signal(learner, catalogue_index, completions):
    course = make_course(catalogue_index, estimated_minutes=20)
    video = make_lesson(course, "视频", blocks=[video_block(40)])
    reading = make_lesson(course, "阅读", min_reading_seconds=30)
    make_lesson(course, "选读", required=False)
    enrollment = enrollment_create(user=learner, course=course)
    for lesson in (video, reading):
        lesson_open(user=learner, lesson=lesson)

    result = finish_video(learner, video)
    assert result.completed and not result.course_completed
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 50 and enrollment.completed_at is None

    rewind(learner, reading, 31)
    _progress, done = progress_read(user=learner, lesson_id=reading.pk)
    assert done
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    assert enrollment.credit_hours == Decimal("0.50")
    assert enrollment.progress_percent == 100
    assert len(completions.sent) == 1
    sent = completions.sent[0]
    assert sent["user_id"] == learner.pk and sent["credit_hours"] == Decimal("0.50")
    assert sent["completed_at"] == enrollment.completed_at

    # Reading again or more beats change nothing.
    progress_read(user=learner, lesson_id=reading.pk)
    rewind(learner, video, 20)
    progress_beat(user=learner, lesson_id=video.pk, position=40, seq=10)
    assert len(completions.sent) == 1


def test_all_lessons_rule_counts_optional_lessons(
    learner, catalogue_index, completions
):
    course = make_course(
        catalogue_index, completion_rule=CoursePage.CompletionRule.ALL_LESSONS
    )
    required = make_lesson(course, "必读", min_reading_seconds=0)
    optional = make_lesson(course, "选读", required=False, min_reading_seconds=0)
    enrollment_create(user=learner, course=course)
    for lesson in (required, optional):
        lesson_open(user=learner, lesson=lesson)
    assert progress_read(user=learner, lesson_id=required.pk)[1] is False
    assert progress_read(user=learner, lesson_id=optional.pk)[1] is True
    assert len(completions.sent) == 1


def test_passing_the_quiz_completes_the_quiz_lesson(
    learner, catalogue_index, completions
):
    quiz = qa.quiz([qa.question()])
    course = make_course(catalogue_index, estimated_minutes=10)
    make_lesson(course, "测验", blocks=[quiz_block(quiz)])
    enrollment = enrollment_create(user=learner, course=course)
    assert lesson_complete_by_quiz(user_id=learner.pk, quiz=quiz) == 1
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    assert enrollment.credit_hours == Decimal("0.25")
    assert lesson_complete_by_quiz(user_id=learner.pk, quiz=quiz) == 0
    assert len(completions.sent) == 1


def test_quiz_passed_signal_reaches_courses(learner, catalogue_index, completions):
    from assessments.models import Attempt
    from assessments.signals import quiz_passed

    quiz = qa.quiz([qa.question()])
    course = make_course(catalogue_index)
    lesson = make_lesson(course, "测验", blocks=[quiz_block(quiz)])
    enrollment_create(user=learner, course=course)
    quiz_passed.send(sender=Attempt, attempt=None, user_id=learner.pk, quiz=quiz)
    progress = LessonProgress.objects.get(user=learner, lesson=lesson)
    assert progress.completed_at is not None
    assert len(completions.sent) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_last_completions_complete_once(
    learner, catalogue_index, completions
):
    """The video's last beat and the reading lesson's "read" arrive together: both
    lessons complete, the course completes once. (Two videos finishing together
    would be two videos playing at once, which earns the wall time only once.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent transactions (PostgreSQL)")
    course = make_course(catalogue_index)
    video = make_lesson(course, "上", blocks=[video_block(40)])
    reading = make_lesson(course, "下", min_reading_seconds=30)
    enrollment = enrollment_create(user=learner, course=course)
    for lesson in (video, reading):
        lesson_open(user=learner, lesson=lesson)
    progress_beat(user=learner, lesson_id=video.pk, position=0, seq=1)
    rewind(learner, video, 20)
    progress_beat(user=learner, lesson_id=video.pk, position=20, seq=2)
    rewind(learner, video, 20)
    rewind(learner, reading, 31)

    barrier = threading.Barrier(2)
    results, errors = [], []

    def finish(complete):
        try:
            barrier.wait(timeout=10)
            results.append(complete())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def last_beat():
        result = progress_beat(user=learner, lesson_id=video.pk, position=40, seq=3)
        return result.completed, result.course_completed

    def read():
        progress, course_done = progress_read(user=learner, lesson_id=reading.pk)
        return progress.completed_at is not None, course_done

    threads = [threading.Thread(target=finish, args=(f,)) for f in (last_beat, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(lesson_done for lesson_done, _course in results)
    assert sum(course_done for _lesson, course_done in results) == 1
    assert len(completions.sent) == 1
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    assert Enrollment.objects.filter(completed_at__isnull=False).count() == 1
