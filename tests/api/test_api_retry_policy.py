"""The retry decisions, without any network: Retry-After parsing, backoff, the deadline stop."""

from __future__ import annotations

import email.utils

import pytest
import tenacity
from api_helpers import FakeTime

from cekura_cli.api.retry import RetryPolicy, RetrySchedule, TransientFailure, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        (email.utils.formatdate(NOW + 30, usegmt=True), 30.0),
        (email.utils.formatdate(NOW - 30, usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00", None),  # no zone: not an HTTP-date
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff_s=-1)
    with pytest.raises(ValueError):
        RetryPolicy(max_backoff_s=float("inf"))


def test_backoff_bound_doubles_up_to_the_maximum() -> None:
    policy = RetryPolicy(initial_backoff_s=0.5, max_backoff_s=3.0)
    assert [policy.backoff_bound_s(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff_bound_s(10_000) == 3.0


def _state_after(attempt_number: int, exc: BaseException) -> tenacity.RetryCallState:
    state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt_number
    state.set_exception((type(exc), exc, None))
    return state


def test_backoff_has_equal_jitter_within_bounds() -> None:
    policy = RetryPolicy(initial_backoff_s=1.0, max_backoff_s=8.0)
    for attempt in range(1, 7):
        bound = policy.backoff_bound_s(attempt)
        waits = {
            RetrySchedule(policy, deadline=None, clock=FakeTime().clock).wait(
                _state_after(attempt, TransientFailure("HTTP 503"))
            )
            for _ in range(50)
        }
        assert all(bound / 2 <= wait <= bound for wait in waits), (attempt, waits)
        assert len(waits) > 1  # jittered, not lock-step


def test_retry_after_replaces_backoff_and_is_capped() -> None:
    policy = RetryPolicy(max_retry_after_s=20.0)
    schedule = RetrySchedule(policy, deadline=None, clock=FakeTime().clock)
    assert schedule.wait(_state_after(1, TransientFailure("429", retry_after_s=7.0))) == 7.0
    assert schedule.wait(_state_after(2, TransientFailure("429", retry_after_s=500.0))) == 20.0


def test_wait_is_computed_once_per_attempt() -> None:
    schedule = RetrySchedule(RetryPolicy(), deadline=None, clock=FakeTime().clock)
    state = _state_after(3, TransientFailure("HTTP 502"))
    assert len({schedule.wait(state) for _ in range(20)}) == 1


def test_stop_after_max_attempts() -> None:
    schedule = RetrySchedule(RetryPolicy(max_attempts=3), deadline=None, clock=FakeTime().clock)
    assert not schedule.stop(_state_after(2, TransientFailure("x")))
    assert schedule.stop(_state_after(3, TransientFailure("x")))
    assert not schedule.stopped_by_deadline


def test_stop_when_the_next_sleep_would_pass_the_deadline() -> None:
    fake = FakeTime()
    schedule = RetrySchedule(RetryPolicy(), deadline=fake.now + 5.0, clock=fake.clock)
    assert not schedule.stop(_state_after(1, TransientFailure("429", retry_after_s=5.0)))
    assert schedule.stop(_state_after(2, TransientFailure("429", retry_after_s=5.5)))
    assert schedule.stopped_by_deadline
