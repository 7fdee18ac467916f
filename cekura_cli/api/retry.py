"""When to repeat a failed request, and how long to wait first.

The loop itself is tenacity's; this module only supplies the decisions:

- :class:`RetryPolicy` — the budget (attempts, backoff bounds, the ``Retry-After`` cap);
- :class:`TransientFailure` — what one failed attempt raises when repeating it may help.
  ``request_unprocessed`` says the server certainly did not act on the request (the
  connection was never made, or it answered 429), which is the only case in which a
  non-idempotent request such as the start POST may be repeated;
- :class:`RetrySchedule` — exponential backoff with jitter, ``Retry-After`` honoured,
  and a stop that never lets a sleep run past the caller's deadline;
- :func:`build_retrying` — puts the pieces into a :class:`tenacity.Retrying`.

Nothing here does I/O: the clock and the sleep are injected, so tests run instantly.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import NoReturn

import tenacity
from tenacity import RetryCallState

__all__ = [
    "RetryPolicy",
    "RetrySchedule",
    "TransientFailure",
    "build_retrying",
    "parse_retry_after",
]

logger = logging.getLogger("cekura_cli.api")


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget of one request (all durations in seconds).

    With the defaults a request is tried at most six times over roughly 15 s of
    backoff, unless the server asks for longer with ``Retry-After`` (honoured up to
    ``max_retry_after_s``) or the caller's deadline comes first.
    """

    max_attempts: int = 6
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 10.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        for name in ("initial_backoff_s", "max_backoff_s", "max_retry_after_s"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0")

    def backoff_bound_s(self, attempt_number: int) -> float:
        """The upper bound of the wait after failed attempt ``attempt_number`` (1-based)."""
        exponent = min(max(attempt_number - 1, 0), 60)  # no float overflow on long runs
        return min(self.max_backoff_s, self.initial_backoff_s * 2.0**exponent)


class TransientFailure(Exception):
    """One attempt failed in a way that repeating the request may fix.

    Internal to the API layer: the client turns it into a :class:`ServiceError`
    subclass once it decides not to (or can no longer) retry.
    """

    def __init__(
        self,
        problem: str,
        *,
        request_unprocessed: bool = False,
        malformed: bool = False,
        retry_after_s: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.request_unprocessed = request_unprocessed
        self.malformed = malformed
        self.retry_after_s = retry_after_s
        self.status_code = status_code


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or None when absent or unreadable.

    Accepts delta-seconds (``"120"``, tolerating ``"1.5"``) and an HTTP-date, which is
    compared with ``now`` (wall-clock epoch seconds). A date in the past means "now": 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds):
            return max(seconds, 0.0)
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:  # HTTP-dates are GMT; a naive one is not HTTP
        return None
    return max(when.timestamp() - now, 0.0)


class RetrySchedule:
    """Waits and the stop decision for one request, bounded by ``deadline``.

    The wait after a failure is the server's ``Retry-After`` when it sent one (capped),
    otherwise "equal jitter" exponential backoff: half the bound plus a random share of
    the other half, so that clients started together do not retry in lock-step.

    tenacity asks for the wait and the stop decision separately (and, depending on its
    version, in either order), so the wait for each attempt is computed once and cached:
    the stop sees exactly the sleep that would follow.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        deadline: float | None,
        clock: Callable[[], float],
    ) -> None:
        self.policy = policy
        self.deadline = deadline
        self._clock = clock
        self._waits: dict[int, float] = {}
        self.stopped_by_deadline = False
        half_initial = policy.initial_backoff_s / 2
        half_max = policy.max_backoff_s / 2
        self._backoff = tenacity.wait_exponential(
            multiplier=half_initial, max=half_max, exp_base=2
        ) + tenacity.wait_random_exponential(multiplier=half_initial, max=half_max, exp_base=2)

    def wait(self, retry_state: RetryCallState) -> float:
        attempt = retry_state.attempt_number
        if attempt not in self._waits:
            self._waits[attempt] = self._compute_wait(retry_state)
        return self._waits[attempt]

    def _compute_wait(self, retry_state: RetryCallState) -> float:
        failure = _failure_of(retry_state)
        if failure is not None and failure.retry_after_s is not None:
            return min(failure.retry_after_s, self.policy.max_retry_after_s)
        return min(float(self._backoff(retry_state)), self.policy.max_backoff_s)

    def stop(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        if self.deadline is not None and self._clock() + self.wait(retry_state) > self.deadline:
            self.stopped_by_deadline = True
            return True
        return False


def _failure_of(retry_state: RetryCallState) -> TransientFailure | None:
    outcome = retry_state.outcome
    if outcome is None or not outcome.failed:
        return None
    exc = outcome.exception()
    return exc if isinstance(exc, TransientFailure) else None


def build_retrying(
    schedule: RetrySchedule,
    *,
    sleep: Callable[[float], None],
    should_retry: Callable[[TransientFailure], bool],
    on_exhausted: Callable[[RetryCallState], NoReturn],
    describe: str,
) -> tenacity.Retrying:
    """A :class:`tenacity.Retrying` that repeats only the :class:`TransientFailure` s
    ``should_retry`` accepts, sleeps with the injected ``sleep``, and hands the last
    failure to ``on_exhausted`` (which raises) when the schedule says stop.

    Any other exception (an :class:`AuthError`, a failure that must not be repeated)
    propagates unchanged from the first attempt that raised it.
    """

    def retry_predicate(exc: BaseException) -> bool:
        return isinstance(exc, TransientFailure) and should_retry(exc)

    def log_before_sleep(retry_state: RetryCallState) -> None:
        failure = _failure_of(retry_state)
        logger.debug(
            "%s: %s; retrying in %.2f s (attempt %d of %d)",
            describe,
            failure.problem if failure else "failed",
            schedule.wait(retry_state),
            retry_state.attempt_number + 1,
            schedule.policy.max_attempts,
        )

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(retry_predicate),
        stop=schedule.stop,
        wait=schedule.wait,
        sleep=sleep,
        before_sleep=log_before_sleep,
        retry_error_callback=on_exhausted,
        reraise=True,
    )
