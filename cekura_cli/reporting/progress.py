"""Progress while waiting for a result: a live bar on a terminal, plain lines in CI.

- Live (a real terminal, ``CI`` unset): rich's :class:`~rich.progress.Progress` — done/total
  bar, passed, failed (red only when there are failures), elapsed. Rich draws it; we
  only feed it snapshots. It is transient: on stop (finished, timed out or Ctrl-C) the
  bar is erased together with the ``^C`` the terminal echoed into it, and the last
  snapshot is printed once as a plain line. The bar is kept narrower than the terminal,
  because a full-width line makes the echoed ``^C`` wrap and the bar be drawn twice.
- Plain (piped, or ``CI`` set): one line per change, e.g.
  ``cekura: result 123: 3/10 done, 2 passed, 1 failed (12s elapsed)``, at most one
  every ``min_interval_s`` (the first change is printed at once, the last one on
  :meth:`stop`), plus a heartbeat every :data:`HEARTBEAT_S` without change so that
  CI systems that kill silent jobs do not kill a long run. No spinners, no cursor
  movement; colour is left to the console.

The clock is injected so the throttling is testable without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from cekura_cli.reporting._text import clean, format_elapsed
from cekura_cli.reporting.model import Progress
from cekura_cli.wording import count

if TYPE_CHECKING:
    from rich.console import Console

HEARTBEAT_S = 60.0


class ProgressDisplay(Protocol):
    """What the waiting loop calls: once :meth:`start`, any number of updates, one stop."""

    def start(self, *, result_id: int, result_url: str, total: int | None) -> None: ...

    def update(self, progress: Progress) -> None: ...

    def stop(self) -> None: ...


def make_progress_display(
    console: Console,
    *,
    live: bool,
    min_interval_s: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> ProgressDisplay:
    """A live display for a terminal, else throttled plain lines."""
    if live:
        return LiveProgressDisplay(console)
    return PlainProgressDisplay(console, min_interval_s=min_interval_s, clock=clock)


def progress_line(progress: Progress) -> str:
    """``cekura: result 123: 3/10 done, 2 passed, 1 failed (12s elapsed)``."""
    return (
        f"cekura: result {progress.result_id}: {progress.done}/{progress.total} done, "
        f"{progress.passed} passed, {progress.failed} failed "
        f"({format_elapsed(progress.elapsed_s)} elapsed)"
    )


def _state(progress: Progress) -> tuple[Any, ...]:
    """What counts as a change: everything but the elapsed time."""
    return (progress.status, progress.total, progress.done, progress.passed, progress.failed)


class PlainProgressDisplay:
    """Throttled plain lines for logs: on change, at most one per ``min_interval_s``."""

    def __init__(
        self,
        console: Console,
        *,
        min_interval_s: float = 5.0,
        heartbeat_s: float | None = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console
        self._min_interval_s = min_interval_s
        self._heartbeat_s = heartbeat_s
        self._clock = clock
        self._printed_state: tuple[Any, ...] | None = None
        self._printed_at: float | None = None
        self._pending: Progress | None = None

    def start(self, *, result_id: int, result_url: str, total: int | None) -> None:
        runs = f" ({count(total, 'run')})" if total is not None else ""
        self._print(f"cekura: waiting for result {result_id}{runs}: {clean(result_url)}")

    def update(self, progress: Progress) -> None:
        now = self._clock()
        changed = _state(progress) != self._printed_state
        if self._printed_at is None:
            due = True  # the first snapshot is always shown
        else:
            since = now - self._printed_at
            heartbeat = self._heartbeat_s is not None and since >= self._heartbeat_s
            due = (changed and since >= self._min_interval_s) or heartbeat
        if due:
            self._show(progress, now)
        else:
            self._pending = progress if changed else None

    def stop(self) -> None:
        if self._pending is not None:  # the last change, held back by the throttle
            self._show(self._pending, self._clock())

    def _show(self, progress: Progress, now: float) -> None:
        self._print(progress_line(progress))
        self._printed_state = _state(progress)
        self._printed_at = now
        self._pending = None

    def _print(self, line: str) -> None:
        self._console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


class LiveProgressDisplay:
    """rich's live progress bar: done/total, passed, failed, elapsed; one plain line at stop."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress: Any = None
        self._task: Any = None
        self._last: Progress | None = None

    def start(self, *, result_id: int, result_url: str, total: int | None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._console.print(
            f"cekura: waiting for result {result_id}: {clean(result_url)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        self._progress = Progress(
            TextColumn(f"result {result_id}", markup=False),
            BarColumn(bar_width=bar_width(self._console.width)),
            MofNCompleteColumn(),
            TextColumn("[{task.fields[passed_style]}]{task.fields[passed]} passed"),
            TextColumn("[{task.fields[failed_style]}]{task.fields[failed]} failed"),
            TextColumn("{task.fields[elapsed]} elapsed"),
            console=self._console,
            transient=True,
            expand=False,
        )
        self._task = self._progress.add_task(
            "result", total=total or None, elapsed=format_elapsed(0), **_count_fields(0, 0)
        )
        self._progress.start()

    def update(self, progress: Progress) -> None:
        if self._progress is None:
            return
        self._last = progress
        self._progress.update(
            self._task,
            total=progress.total or None,
            completed=progress.done,
            elapsed=format_elapsed(progress.elapsed_s),
            **_count_fields(progress.passed, progress.failed),
        )

    def stop(self) -> None:
        if self._progress is None:
            return
        self._progress.stop()  # transient: the bar (and an echoed ^C) is erased
        self._progress = None
        if self._last is not None:
            self._console.print(
                progress_line(self._last), markup=False, highlight=False, soft_wrap=True
            )


def bar_width(columns: int) -> int:
    """The bar's width, so that the whole progress line stays shorter than the terminal.

    The text around the bar takes up to about 58 columns (``result 12345 … 999/1000 900
    passed 99 failed 1h02m03s elapsed``); the bar gets the rest, 10 to 40 columns.
    """
    return max(10, min(40, columns - 60))


def _count_fields(passed: int, failed: int) -> dict[str, Any]:
    """Colours that follow meaning: green for passes, red for failures, none for zero."""
    return {
        "passed": passed,
        "failed": failed,
        "passed_style": "green" if passed else "none",
        "failed_style": "red" if failed else "none",
    }
