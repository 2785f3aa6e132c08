"""A database outage answers 503 with Retry-After, never a 500: JSON for the
autosave and the API, a short page otherwise, whether the error came from a view
or from a middleware (the session written after the view)."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db.utils import OperationalError
from django.urls import reverse

from assessments.models import Quiz
from assessments.services import attempt_start
from tests.factories import assessments as af

pytestmark = pytest.mark.urls("tests.ops.outage_urls")


@pytest.fixture
def client_503(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("path", ["/outage/operational", "/outage/interface"])
def test_page_gets_a_short_503_page(db, client_503, path):
    response = client_503.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "<h1>" in body
    assert "服务暂时不可用" in body or "briefly unavailable" in body


def test_json_caller_gets_json(db, client_503):
    response = client_503.get("/outage/operational", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "database_unavailable"


def test_other_errors_stay_500(db, client_503):
    assert client_503.get("/outage/other").status_code == 500


def test_failure_in_a_middleware_is_a_503_too(db, client_503, monkeypatch):
    def down(self, must_create=False):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "save", down)
    response = client_503.get("/outage/session")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_autosave_during_an_outage_is_a_json_503_and_nothing_is_lost(
    learner, client_503, monkeypatch
):
    """The exam's autosave endpoint, through the real view: the service fails as it
    does while PostgreSQL restarts; the client gets JSON it retries on."""
    exam = af.quiz([af.question(), af.question()], kind=Quiz.Kind.EXAM)
    attempt = attempt_start(quiz=exam, user=learner)
    client_503.force_login(learner)
    url = reverse("assessments:answer", args=[attempt.public_id])
    payload = json.dumps({"position": 1, "response": "A", "seq": 1})

    from assessments.views import learner as views

    real = views.attempt_answer_save

    def down(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(views, "attempt_answer_save", down)
    response = client_503.post(
        url, payload, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 503
    assert response.json()["error"] == "database_unavailable"
    assert response["Retry-After"]

    # The database is back: the same save (same seq) goes through.
    monkeypatch.setattr(views, "attempt_answer_save", real)
    response = client_503.post(
        url, payload, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json()["seq"] == 1
    item = attempt.items.get(position=1)
    assert (item.response, item.seq) == ("A", 1)
