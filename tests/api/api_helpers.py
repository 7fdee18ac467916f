"""Shared constants and fakes for the API client tests."""

from __future__ import annotations

BASE = "http://api.test.invalid"
API_KEY = "sk_test_0123456789abcdefSECRET"
MASKED = "****CRET"


class FakeTime:
    """A monotonic clock that only moves when the client sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds
