"""Fixtures for the assessments tests. Keep this small: builders belong in
tests/factories/assessments.py."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from assessments import signals


class SignalLog:
    """Every send of the assessments signals during a test (thread-safe, so the
    concurrency tests can count sends from several threads)."""

    NAMES = ("attempt_finished", "quiz_passed", "attempt_result_changed")

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self._receivers = {}
        for name in self.NAMES:

            def receiver(sender, _name=name, **kwargs):
                kwargs.pop("signal", None)
                with self._lock:
                    self.sent.append((_name, kwargs))

            self._receivers[name] = receiver
            getattr(signals, name).connect(receiver, weak=False)

    def disconnect(self):
        for name, receiver in self._receivers.items():
            getattr(signals, name).disconnect(receiver)

    def count(self, name: str) -> int:
        return Counter(n for n, _kw in self.sent)[name]

    def of(self, name: str) -> list[dict]:
        return [kw for n, kw in self.sent if n == name]


@pytest.fixture
def signal_log():
    log = SignalLog()
    yield log
    log.disconnect()
