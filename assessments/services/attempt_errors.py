"""The refusals the attempt services raise: a message the learner reads and a
``code`` that stays stable for the API."""

from __future__ import annotations


class AttemptError(Exception):
    """A refusal the learner should read; ``code`` is stable for the API."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class QuizUnavailable(AttemptError):
    code = "unavailable"


class AttemptClosed(AttemptError):
    code = "closed"


class StaleAnswer(AttemptError):
    code = "stale"
    # The seq the server holds, when known: a retried save that had in fact landed
    # meets its own seq here and can tell the learner it is saved.
    saved_seq: int | None = None
