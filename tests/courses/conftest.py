"""Course page tree builders for the courses tests.

In non-transactional tests the data migration's home page exists, and the
post_migrate set-up has put the /courses/ index under it; ``catalogue_index``
makes sure of it either way.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.core.cache import cache
from django.db.models import F

from courses import signals
from courses.models import CoursePage, LessonPage, LessonProgress
from courses.services import course_catalogue_ensure
from courses.services.progress import _credit_key
from tests.factories.pages import home_page_ensure

VIDEO_URL = "https://video.example/lesson.mp4"
LESSON_TEXT = "<p>检察官应当忠诚、公正、清廉、文明，严格依法履行法律监督职责。</p>"


def make_course(index, title="公正廉洁执法", *, live=True, **fields) -> CoursePage:
    fields.setdefault("estimated_minutes", 30)
    course = CoursePage(title=title, live=live, **fields)
    index.add_child(instance=course)
    return course


def make_lesson(course, title="第一课", *, blocks=None, live=True, **fields):
    if blocks is None:
        blocks = [{"type": "paragraph", "value": LESSON_TEXT}]
    lesson = LessonPage(title=title, live=live, body=json.dumps(blocks), **fields)
    course.add_child(instance=lesson)
    return lesson


def video_block(duration=100):
    return {
        "type": "video",
        "value": {
            "video_file": None,
            "stream_url": VIDEO_URL,
            "duration_seconds": duration,
            "poster": None,
            "caption": "",
        },
    }


def quiz_block(quiz):
    return {"type": "quiz", "value": {"quiz": quiz.pk, "intro": ""}}


def rewind(user, lesson, seconds: float) -> None:
    """Pretend ``seconds`` of wall time passed since the last beat / opening."""
    delta = dt.timedelta(seconds=seconds)
    LessonProgress.objects.filter(user=user, lesson=lesson).update(
        last_beat_at=F("last_beat_at") - delta, started_at=F("started_at") - delta
    )
    # The learner's "credited until" mark moves back with the clock it came from.
    key = _credit_key(user)
    credited_until = cache.get(key)
    if credited_until is not None:
        cache.set(key, credited_until - delta)


@pytest.fixture
def catalogue_index(db):
    # A transactional test run earlier may have flushed the page tree.
    home_page_ensure()
    return course_catalogue_ensure()


@pytest.fixture
def course(catalogue_index):
    return make_course(catalogue_index)


@pytest.fixture
def video_lesson(course):
    return make_lesson(course, "视频课", blocks=[video_block(100)])


@pytest.fixture
def text_lesson(course):
    return make_lesson(course, "阅读课", min_reading_seconds=60)


class CompletionLog:
    def __init__(self):
        self.sent: list[dict] = []
        self._lock = threading.Lock()
        signals.course_completed.connect(self.receive, weak=False)

    def receive(self, sender, **kwargs):
        kwargs.pop("signal", None)
        with self._lock:
            self.sent.append(kwargs)

    def disconnect(self):
        signals.course_completed.disconnect(self.receive)


@pytest.fixture
def completions():
    log = CompletionLog()
    yield log
    log.disconnect()
