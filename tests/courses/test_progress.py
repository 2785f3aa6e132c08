"""Heartbeats, reading time and resume: the server credits only what it can prove."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import LessonProgress
from courses.services import (
    ProgressError,
    enrollment_create,
    lesson_open,
    progress_beat,
    progress_read,
)
from tests.courses.conftest import make_lesson, rewind, video_block


def beat_url(lesson):
    return reverse("courses:beat", args=[lesson.pk])


def post_beat(client, lesson, **payload):
    return client.post(beat_url(lesson), payload, content_type="application/json")


@pytest.fixture
def watching(learner, course, video_lesson):
    enrollment_create(user=learner, course=course)
    lesson_open(user=learner, lesson=video_lesson)
    return video_lesson


@pytest.fixture
def learner_client(learner):
    client = Client()
    client.force_login(learner)
    return client


def progress_of(user, lesson):
    return LessonProgress.objects.get(user=user, lesson=lesson)


def test_credit_never_exceeds_elapsed_wall_time(learner, watching):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    rewind(learner, watching, 10)
    result = progress_beat(user=learner, lesson_id=watching.pk, position=12, seq=2)
    assert result.credited <= Decimal("10.1")
    assert result.credited >= Decimal("9.9")
    assert not result.seek


def test_credit_is_capped_per_beat(learner, watching):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    rewind(learner, watching, 600)  # a sleeping tab, then one beat
    result = progress_beat(user=learner, lesson_id=watching.pk, position=35, seq=2)
    assert result.credited <= Decimal("40")


def test_no_credit_after_a_paused_beat(learner, watching):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1, playing=False)
    rewind(learner, watching, 20)
    result = progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=2)
    assert result.credited == 0


def test_seek_past_unwatched_part_is_not_credited(learner, watching):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    rewind(learner, watching, 20)
    result = progress_beat(user=learner, lesson_id=watching.pk, position=95, seq=2)
    assert result.seek and result.credited == 0
    # Watching on from the far end earns nothing: the gap was never watched.
    rewind(learner, watching, 5)
    result = progress_beat(user=learner, lesson_id=watching.pk, position=100, seq=3)
    assert result.credited == 0 and not result.completed
    progress = progress_of(learner, watching)
    assert progress.position_seconds == Decimal("100")  # still the resume point
    assert progress.furthest_seconds == 0 and progress.watched_seconds == 0


def test_rewatching_earns_nothing_new(learner, watching):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    rewind(learner, watching, 20)
    progress_beat(user=learner, lesson_id=watching.pk, position=20, seq=2)
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=3)  # back
    rewind(learner, watching, 20)
    result = progress_beat(user=learner, lesson_id=watching.pk, position=20, seq=4)
    assert result.credited == 0
    assert progress_of(learner, watching).watched_seconds == Decimal("20")


def test_resume_position_is_stored_for_any_device(learner, watching, learner_client):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    rewind(learner, watching, 20)
    progress_beat(user=learner, lesson_id=watching.pk, position=19.5, seq=2)
    response = learner_client.get(watching.url)
    assert response.status_code == 200
    assert b'data-position="19.50"' in response.content


def test_watching_to_ninety_percent_completes_the_lesson(learner, watching):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    seq = 1
    for position in range(20, 101, 20):
        rewind(learner, watching, 20)
        seq += 1
        result = progress_beat(
            user=learner, lesson_id=watching.pk, position=position, seq=seq
        )
    assert result.completed
    assert progress_of(learner, watching).completed_at is not None


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"position": -1, "seq": 1}, "bad_position"),
        ({"position": 500, "seq": 1}, "bad_position"),
        ({"position": "10", "seq": 1}, "bad_position"),
        ({"position": True, "seq": 1}, "bad_position"),
        ({"position": 10}, "bad_seq"),
        ({"position": 10, "seq": 0}, "bad_seq"),
        ({"position": 10, "seq": 1.5}, "bad_seq"),
        ({"position": 10, "seq": 1, "playing": "yes"}, "bad_playing"),
        # Huge numbers: a 400, not a Decimal overflow or an integer column overflow.
        ({"position": 1e300, "seq": 1}, "bad_position"),
        ({"position": 10**30, "seq": 1}, "bad_position"),
        ({"position": 10, "seq": 2**31}, "bad_seq"),
        ({"position": 10, "seq": 10**24}, "bad_seq"),
    ],
)
def test_forged_or_malformed_beats_are_rejected(
    learner_client, watching, payload, code
):
    response = post_beat(learner_client, watching, **payload)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_non_json_and_non_object_bodies_are_400(learner_client, watching):
    url = beat_url(watching)
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        response = learner_client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"] == "bad_json"


def test_nan_position_is_rejected(learner_client, watching):
    response = learner_client.post(
        beat_url(watching),
        b'{"position": NaN, "seq": 1}',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_replayed_sequence_number_is_rejected(learner_client, watching):
    assert post_beat(learner_client, watching, position=0, seq=5).status_code == 200
    response = post_beat(learner_client, watching, position=1, seq=5)
    assert response.status_code == 409
    assert response.json()["error"] == "stale_seq"


def test_beat_without_enrolment_is_refused(learner_client, video_lesson):
    response = post_beat(learner_client, video_lesson, position=0, seq=1)
    assert response.status_code == 403
    assert response.json()["error"] == "not_enrolled"


def test_beat_on_unpublished_lesson_is_refused(learner, course, learner_client):
    enrollment_create(user=learner, course=course)
    draft = make_lesson(course, "草稿", blocks=[video_block(60)], live=False)
    response = post_beat(learner_client, draft, position=0, seq=1)
    assert response.status_code == 404


def test_beat_on_text_lesson_is_400(learner, course, text_lesson, learner_client):
    enrollment_create(user=learner, course=course)
    response = post_beat(learner_client, text_lesson, position=0, seq=1)
    assert response.status_code == 400
    assert response.json()["error"] == "not_video"


def test_anonymous_beat_is_refused(client, video_lesson):
    assert post_beat(client, video_lesson, position=0, seq=1).status_code == 401
    assert client.get(beat_url(video_lesson)).status_code == 405


def test_beats_only_ever_touch_the_senders_own_progress(
    learner, people, coordinator, watching
):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    before = progress_of(learner, watching)
    for other in (coordinator, people["B1"].user):
        client = Client()
        client.force_login(other)
        response = post_beat(client, watching, position=50, seq=99)
        assert response.status_code == 403
        response = client.post(reverse("courses:read", args=[watching.pk]))
        assert response.status_code == 403
    after = progress_of(learner, watching)
    assert (after.seq, after.position_seconds) == (before.seq, before.position_seconds)
    assert not LessonProgress.objects.exclude(user=learner).exists()


def test_heartbeat_service_queries(
    learner, watching, learner_client, django_assert_max_num_queries
):
    progress_beat(user=learner, lesson_id=watching.pk, position=0, seq=1)
    rewind(learner, watching, 20)
    with django_assert_max_num_queries(2):
        progress_beat(user=learner, lesson_id=watching.pk, position=20, seq=2)
    rewind(learner, watching, 20)
    # The whole request adds the session and the user row (database sessions).
    with django_assert_max_num_queries(4):
        response = post_beat(learner_client, watching, position=40, seq=3)
    assert response.status_code == 200
    assert response.json()["watched"] == pytest.approx(40, abs=0.5)


def test_text_lesson_completes_after_minimum_reading_time(learner, course, text_lesson):
    enrollment_create(user=learner, course=course)
    lesson_open(user=learner, lesson=text_lesson)
    with pytest.raises(ProgressError) as excinfo:
        progress_read(user=learner, lesson_id=text_lesson.pk)
    assert excinfo.value.code == "too_soon"
    assert 0 < excinfo.value.extra["remaining"] <= 60
    rewind(learner, text_lesson, 61)
    progress, _course_done = progress_read(user=learner, lesson_id=text_lesson.pk)
    assert progress.completed_at is not None


def test_read_endpoint_too_soon_is_400(learner, course, text_lesson, learner_client):
    enrollment_create(user=learner, course=course)
    assert learner_client.get(text_lesson.url).status_code == 200
    response = learner_client.post(reverse("courses:read", args=[text_lesson.pk]))
    assert response.status_code == 400
    assert response.json()["error"] == "too_soon"


def test_two_videos_playing_at_once_earn_the_wall_time_once(learner, course, watching):
    second = make_lesson(course, "第二个视频", blocks=[video_block(100)])
    lesson_open(user=learner, lesson=second)
    for lesson in (watching, second):
        progress_beat(user=learner, lesson_id=lesson.pk, position=0, seq=1)
        rewind(learner, lesson, 20)
    first = progress_beat(user=learner, lesson_id=watching.pk, position=20, seq=2)
    other = progress_beat(user=learner, lesson_id=second.pk, position=20, seq=2)
    assert first.credited >= Decimal("19.9")
    # The same 20 seconds were already credited to the first tab.
    assert other.credited <= Decimal("0.5")
    assert not other.seek
