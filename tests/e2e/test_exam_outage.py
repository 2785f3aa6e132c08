"""The exam page through a database outage: the server answers 503 (as
``cms.middleware.DatabaseOutageMiddleware`` does while PostgreSQL restarts) to the
autosave and then to the submit; the page keeps the answers, retries with backoff,
and everything typed ends up in the database, submitted once."""

from __future__ import annotations

import re

import pytest

from assessments.models import Attempt, AttemptItem
from tests.e2e.test_exam import exam, saved, sign_in, start_exam

pytestmark = pytest.mark.e2e

__all__ = ["exam"]  # the fixture, shared with test_exam.py

OUTAGE = {
    "status": 503,
    "headers": {"Retry-After": "5"},
    "content_type": "application/json",
    "body": '{"error": "database_unavailable", "message": "..."}',
}


def fail_first(page, pattern: str, times: int) -> list[str]:
    """Answer the first ``times`` requests to ``pattern`` with a 503, then let
    them through; returns the log of what happened."""
    log: list[str] = []

    def handle(route):
        if len(log) < times:
            log.append("503")
            route.fulfill(**OUTAGE)
        else:
            log.append("passed")
            route.continue_()

    page.route(pattern, handle)
    return log


def test_autosave_and_submit_survive_503s(page, exam):
    sign_in(page)
    start_exam(page, exam)
    page.on("dialog", lambda dialog: dialog.accept())

    saves = fail_first(page, "**/answer", 2)
    page.check("#q-1 input[value=A]")
    page.locator("#save-1 .failed").wait_for()
    # Kept in localStorage, keyed by the attempt, while the server is down.
    attempt_id = page.get_attribute("#attempt-form", "data-attempt")
    drafts = page.evaluate(
        "p => Object.keys(localStorage).filter(k => k.startsWith(p))",
        f"exam-answer:{attempt_id}:1:",
    )
    assert drafts == [f"exam-answer:{attempt_id}:1:1"]
    saved(page, 1)
    assert saves[:3] == ["503", "503", "passed"]
    assert AttemptItem.objects.get(position=1).response == "A"

    page.fill("#q-4-1", "公正")
    saved(page, 4)

    submits = fail_first(page, "**/submit", 2)
    page.check("#q-5 input[value=B]")  # typed just before submitting
    page.click("#submit-attempt")
    page.click("#submit-confirm")
    page.wait_for_url(re.compile(r"/attempts/[0-9a-f-]+/review/$"), timeout=60_000)
    assert submits == ["503", "503", "passed"]

    attempt = Attempt.objects.get()
    assert attempt.status != Attempt.Status.IN_PROGRESS
    answers = dict(attempt.items.values_list("position", "response"))
    assert answers[1] == "A"
    assert answers[4] == ["公正"]
    assert answers[5] == "B"
    # Nothing left behind to resend: the drafts went with the submit.
    assert page.evaluate("Object.keys(localStorage).length") == 0
