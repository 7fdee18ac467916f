"""Wait for a result to reach a terminal status. The clock, ``sleep`` and the fetch are
passed in, so this has no I/O of its own and tests drive it with a fake clock.

The loop: fetch, report progress, return if terminal; otherwise sleep until the next
poll is due (:class:`PollPolicy`, measured from the start of the previous poll, so two
polls never start less than ``min_interval_s`` apart) but never past the deadline.
When the deadline arrives we poll one last time if that keeps the minimum spacing
(a result that finished in the final second is still noticed), then raise
:class:`WaitTimeoutWithResult` carrying the last result we saw, so the caller can end
the calls and report what had finished. The first poll always happens, even when the
deadline has already passed.

A fetch that raises propagates unchanged: the API layer owns retries and maps its
failures; an interrupt is the caller's business too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from cekura_cli.errors import WaitTimeout
from cekura_cli.orchestration.polling import PollPolicy
from cekura_cli.reporting.model import Progress

if TYPE_CHECKING:
    from cekura_cli.api.models import Result


class WaitTimeoutWithResult(WaitTimeout):
    """The deadline passed before the result finished (exit code 4)."""

    def __init__(
        self, message: str, *, last_result: Result | None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.last_result = last_result


def progress_of(result: Result, *, elapsed_s: float) -> Progress:
    """A progress snapshot of ``result``.

    From the run statuses when the result lists its runs (done = terminal runs,
    passed = completed with success, failed = terminal and not passed); otherwise from
    the ``*_count`` fields. ``total`` is ``total_runs_count`` or the number of runs
    (the larger, so ``done <= total`` always holds).
    """
    # Importing here keeps this module light: a Result exists, so the models are loaded.
    from cekura_cli.orchestration.outcome import run_passed

    if result.runs:
        done = sum(1 for run in result.runs if run.status.is_terminal)
        passed = sum(1 for run in result.runs if run_passed(run))
        failed = done - passed
        total = max(result.total_runs_count or 0, len(result.runs))
    else:
        passed = max(0, result.success_runs_count or 0)
        if result.failed_runs_count is not None:
            failed = max(0, result.failed_runs_count)
        else:
            failed = max(0, (result.completed_runs_count or 0) - passed)
        done = max(result.completed_runs_count or 0, passed + failed)
        total = max(result.total_runs_count or 0, done)
    return Progress(
        result_id=result.id,
        status=result.status.value,
        total=total,
        done=done,
        passed=passed,
        failed=failed,
        elapsed_s=elapsed_s,
    )


def _timeout(result: Result, *, elapsed_s: float) -> WaitTimeoutWithResult:
    progress = progress_of(result, elapsed_s=elapsed_s)
    return WaitTimeoutWithResult(
        f"result {result.id} did not finish within {elapsed_s:.0f} s "
        f"(status: {progress.status}, {progress.done}/{progress.total} runs done)",
        last_result=result,
        hint=f"raise --timeout, or attach again later with 'cekura wait {result.id}'",
    )


def wait_for_result(
    fetch: Callable[[], Result],
    *,
    # when to give up: absolute readings of ``clock``
    deadline: float,
    started_at: float,
    # the schedule and its I/O
    policy: PollPolicy = PollPolicy(),  # frozen, so sharing the default is safe
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    # reporting
    on_progress: Callable[[Progress], None] | None = None,
) -> Result:
    """Poll ``fetch`` until the result is terminal and return it.

    ``deadline`` and ``started_at`` are readings of ``clock`` (``started_at`` is when
    the run began, for the elapsed time in progress snapshots). ``on_progress`` is
    called after every poll. Raises :class:`WaitTimeoutWithResult` when the deadline
    passes first; whatever ``fetch`` or ``on_progress`` raise propagates unchanged.
    """
    poll_index = 0
    while True:
        poll_started = clock()
        result = fetch()
        if on_progress is not None:
            on_progress(progress_of(result, elapsed_s=clock() - started_at))
        if result.status.is_terminal:
            return result
        now = clock()
        if now >= deadline:
            raise _timeout(result, elapsed_s=now - started_at)
        sleep(policy.delay(poll_index, remaining_s=deadline - now, spent_s=now - poll_started))
        poll_index += 1
        now = clock()
        if now >= deadline and now - poll_started < policy.min_interval_s:
            raise _timeout(result, elapsed_s=now - started_at)
