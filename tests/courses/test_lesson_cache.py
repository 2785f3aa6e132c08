"""The lesson body is rendered once per published revision, never stale."""

import json

import pytest

from courses.services import enrollment_create

pytestmark = pytest.mark.django_db


def test_body_cache_follows_the_published_revision(client, learner, text_lesson):
    course = text_lesson.get_parent().specific
    course.self_enrol = True
    course.save_revision().publish()
    enrollment_create(user=learner, course=course)
    text_lesson.save_revision().publish()
    client.force_login(learner)
    assert "严格依法履行法律监督职责" in client.get(text_lesson.url).content.decode()

    revised = [{"type": "paragraph", "value": "<p>修订后的正文</p>"}]
    text_lesson.body = json.dumps(revised)
    text_lesson.save_revision().publish()
    body = client.get(text_lesson.url).content.decode()
    assert "修订后的正文" in body
    assert "严格依法履行法律监督职责" not in body
