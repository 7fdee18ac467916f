"""The polling schedule for waiting on a result: pure arithmetic, no clock, no sleep.

The target (PRODUCT.md §7): with default settings the CLI notices a finished result
within 2 s (median) and never polls more than once per second.

The schedule starts at ``initial_interval_s`` and grows by ``growth`` per poll up to
``max_interval_s``; it is floored at ``min_interval_s`` whatever the other settings
say. Intervals are measured from the *start* of one poll to the start of the next
(the waiter subtracts the time the fetch itself took), so the period is the interval
and a slow fetch does not stretch it.

Why the defaults meet the target. With defaults the intervals are
1.0, 1.25, 1.5625, 1.95…, then 2.0 s for good. A result finishes at a moment that is
unrelated to our schedule, so the wait until the next poll is spread evenly over the
current period ``P``: its median is ``P / 2`` and its maximum ``P``. With ``P <= 2 s``
the median detection delay is at most 1.0 s plus one fetch round trip (typically
0.1-0.5 s), i.e. comfortably under 2 s; the worst case is 2 s plus one round trip.
The floor of 1.0 s keeps us at no more than one poll per second. The price is about
1,800 small GETs per hour of waiting; polling every 5 s instead would put the median
at 2.5 s and miss the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PollPolicy:
    """When to poll next. ``poll_index`` counts polls already made, from 0."""

    initial_interval_s: float = 1.0
    max_interval_s: float = 2.0
    growth: float = 1.25
    min_interval_s: float = 1.0
    """Never poll more than once per this many seconds (PRODUCT.md §7: one per second)."""

    def __post_init__(self) -> None:
        for name in ("initial_interval_s", "max_interval_s", "min_interval_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"PollPolicy.{name} must be a positive number, got {value!r}")
        if not (math.isfinite(self.growth) and self.growth >= 1.0):
            raise ValueError(f"PollPolicy.growth must be >= 1, got {self.growth!r}")

    def interval(self, poll_index: int) -> float:
        """Seconds between the start of poll ``poll_index`` and the start of the next one.

        ``initial * growth**poll_index``, capped at ``max_interval_s`` and never below
        ``min_interval_s`` (the floor wins if the settings contradict each other).
        """
        index = max(0, poll_index)
        try:
            raw = self.initial_interval_s * self.growth**index
        except OverflowError:  # huge index with growth > 1: long since at the cap
            raw = math.inf
        return max(self.min_interval_s, min(self.max_interval_s, raw))

    def delay(self, poll_index: int, *, remaining_s: float, spent_s: float = 0.0) -> float:
        """How long to sleep after poll ``poll_index`` before the next one.

        ``spent_s`` is how long that poll already took (its fetch), so the time between
        poll starts stays ``interval(poll_index)``. The delay is clipped to
        ``remaining_s`` (the time left before the deadline) so a timeout fires on time
        rather than up to one interval late; it is never negative.
        """
        wanted = self.interval(poll_index) - max(0.0, spent_s)
        return max(0.0, min(wanted, remaining_s))
