"""Redis down: with the cache pointing at a port nobody listens on, the request
path still works — sign-in state, the leadership dashboard (cached in production),
the learner's pages and starting and answering an exam — because the cache is
configured to ignore its errors (django-redis ``IGNORE_EXCEPTIONS``)."""

from __future__ import annotations

import json
import socket
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.models import Attempt, Quiz
from tests.factories import assessments as af
from tests.factories.training import credit, make_programme


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/9",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    # Really unreachable: a write is silently dropped, a read misses.
    cache.set("probe", 1)
    assert cache.get("probe") is None


def test_dashboard_renders_without_redis(redis_down, client, leader, tree, people):
    programme = make_programme(tree.prov, hours_required=Decimal("90")).programme
    credit(people["A1"], "95")
    client.force_login(leader)
    started = time.monotonic()
    response = client.get(reverse("training:dashboard"))
    assert response.status_code == 200
    assert programme.name in response.content.decode()
    # Twice: the second request cannot be served from the cache either.
    assert client.get(reverse("training:dashboard")).status_code == 200
    assert time.monotonic() - started < 30


def test_exam_starts_and_saves_without_redis(redis_down, client, learner):
    exam = af.quiz([af.question(), af.question()], kind=Quiz.Kind.EXAM)
    client.force_login(learner)
    assert client.get("/learning/").status_code == 200
    assert client.get(reverse("assessments:exam_list")).status_code == 200
    response = client.post(reverse("assessments:start", args=[exam.public_id]))
    assert response.status_code == 303
    attempt = Attempt.objects.get(user=learner, quiz=exam)
    assert client.get(response["Location"]).status_code == 200
    response = client.post(
        reverse("assessments:answer", args=[attempt.public_id]),
        json.dumps({"position": 1, "response": "A", "seq": 1}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert attempt.items.get(position=1).response == "A"
