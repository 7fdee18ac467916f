"""Progress displays: throttled plain lines (fake clock) and the live bar."""

from __future__ import annotations

import io

from rich.console import Console

from cekura_cli.reporting.model import Progress
from cekura_cli.reporting.progress import (
    LiveProgressDisplay,
    PlainProgressDisplay,
    make_progress_display,
    progress_line,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress(done: int, passed: int, failed: int, elapsed_s: float, total: int = 10) -> Progress:
    return Progress(
        result_id=123,
        status="running",
        total=total,
        done=done,
        passed=passed,
        failed=failed,
        elapsed_s=elapsed_s,
    )


def _plain(**kwargs):
    out = io.StringIO()
    clock = FakeClock()
    console = Console(file=out, width=200, no_color=True)
    display = make_progress_display(console, live=False, clock=clock, **kwargs)
    return display, clock, out


def _lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def test_line_format():
    assert progress_line(_progress(3, 2, 1, 12.7)) == (
        "cekura: result 123: 3/10 done, 2 passed, 1 failed (12s elapsed)"
    )
    assert progress_line(_progress(3, 2, 1, 125)).endswith("(2m05s elapsed)")


def test_start_names_the_result_and_its_link():
    display, _, out = _plain()
    display.start(result_id=123, result_url="https://dash/7/results/123", total=10)
    assert _lines(out) == ["cekura: waiting for result 123 (10 runs): https://dash/7/results/123"]


def test_changes_are_throttled_first_and_last_always_shown():
    display, clock, out = _plain(min_interval_s=5.0)
    display.update(_progress(0, 0, 0, 0))  # first: shown
    clock.now = 1.0
    display.update(_progress(1, 1, 0, 1))  # change within 5 s: held back
    clock.now = 2.0
    display.update(_progress(2, 2, 0, 2))  # still held back (replaces the previous)
    clock.now = 5.0
    display.update(_progress(2, 2, 0, 5))  # interval over, changed since last shown
    clock.now = 6.0
    display.update(_progress(3, 2, 1, 6))  # held back
    display.stop()  # last: shown
    assert _lines(out) == [
        "cekura: result 123: 0/10 done, 0 passed, 0 failed (0s elapsed)",
        "cekura: result 123: 2/10 done, 2 passed, 0 failed (5s elapsed)",
        "cekura: result 123: 3/10 done, 2 passed, 1 failed (6s elapsed)",
    ]


def test_nothing_new_is_not_repeated():
    display, clock, out = _plain(min_interval_s=5.0)
    display.update(_progress(1, 1, 0, 0))
    for second in range(1, 40):
        clock.now = float(second)
        display.update(_progress(1, 1, 0, second))
    display.stop()
    assert len(_lines(out)) == 1


def test_stop_does_not_repeat_a_line_already_shown():
    display, clock, out = _plain(min_interval_s=5.0)
    display.update(_progress(1, 1, 0, 0))
    clock.now = 10.0
    display.update(_progress(2, 2, 0, 10))
    display.stop()
    assert len(_lines(out)) == 2


def test_a_change_that_reverts_is_not_shown_at_stop():
    display, clock, out = _plain(min_interval_s=5.0)
    display.update(_progress(1, 1, 0, 0, total=10))
    clock.now = 1.0
    display.update(_progress(1, 1, 0, 1, total=11))
    clock.now = 2.0
    display.update(_progress(1, 1, 0, 2, total=10))
    display.stop()
    assert len(_lines(out)) == 1


def test_heartbeat_when_nothing_changes_for_long():
    out = io.StringIO()
    clock = FakeClock()
    display = PlainProgressDisplay(
        Console(file=out, width=200, no_color=True),
        min_interval_s=5.0,
        heartbeat_s=60.0,
        clock=clock,
    )
    display.update(_progress(1, 1, 0, 0))
    for second in range(1, 125):
        clock.now = float(second)
        display.update(_progress(1, 1, 0, second))
    assert [line.rsplit("(", 1)[1] for line in _lines(out)] == [
        "0s elapsed)",
        "1m00s elapsed)",
        "2m00s elapsed)",
    ]


def test_plain_output_has_no_ansi_even_on_a_terminal_without_colour():
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True, color_system=None)
    display = make_progress_display(console, live=False, clock=FakeClock())
    display.start(result_id=1, result_url="https://x/[bold]y", total=None)
    display.update(_progress(1, 1, 0, 1))
    display.stop()
    assert "\x1b" not in out.getvalue()
    assert "https://x/[bold]y" in out.getvalue()


def test_live_display_draws_a_bar_and_final_counts():
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=True, color_system=None)
    display = make_progress_display(console, live=True)
    assert isinstance(display, LiveProgressDisplay)
    display.start(result_id=123, result_url="https://dash/7/results/123", total=None)
    display.update(_progress(4, 3, 1, 65))
    display.update(_progress(10, 8, 2, 70))
    display.stop()
    text = out.getvalue()
    assert "waiting for result 123" in text
    assert "10/10" in text
    assert "8 passed" in text and "2 failed" in text and "1m10s elapsed" in text


def test_live_display_tolerates_update_and_stop_without_start():
    out = io.StringIO()
    display = make_progress_display(Console(file=out), live=True)
    display.update(_progress(1, 1, 0, 1))
    display.stop()
    assert out.getvalue() == ""
