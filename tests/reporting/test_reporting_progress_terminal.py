"""The live display's terminal habits: one final line, colours that mean something."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cekura_cli.reporting.model import Progress
from cekura_cli.reporting.progress import bar_width, make_progress_display, progress_line

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _progress(done: int, passed: int, failed: int, total: int = 3) -> Progress:
    return Progress(
        result_id=7,
        status="running",
        total=total,
        done=done,
        passed=passed,
        failed=failed,
        elapsed_s=4,
    )


def _live(width: int = 80) -> tuple[object, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system="standard")
    return make_progress_display(console, live=True), out


def _run(display, *snapshots: Progress) -> None:
    display.start(result_id=7, result_url="http://127.0.0.1:1/1/results/7", total=None)
    for snapshot in snapshots:
        display.update(snapshot)
    display.stop()


def test_stop_leaves_the_final_progress_line_once():
    display, out = _live()
    last = _progress(2, 2, 0)
    _run(display, _progress(1, 1, 0), last)
    raw = out.getvalue()
    assert raw.count(progress_line(last)) == 1
    assert raw.rstrip("\n").endswith(progress_line(last))  # after the bar was erased


def test_zero_failures_are_not_red_and_failures_are():
    display, out = _live()
    _run(display, _progress(3, 3, 0))
    assert not re.search(r"\x1b\[31m0 failed", out.getvalue())
    assert re.search(r"\x1b\[32m3 passed", out.getvalue())

    display, out = _live()
    _run(display, _progress(3, 1, 2))
    assert re.search(r"\x1b\[31m2 failed", out.getvalue())


@pytest.mark.parametrize("width", [72, 80, 100, 200])
def test_the_bar_line_is_shorter_than_the_terminal(width):
    """A full-width line makes the ^C the terminal echoes wrap, and the bar be drawn twice."""
    display, out = _live(width)
    display.start(result_id=12345, result_url="http://x/1", total=None)
    display.update(_progress(999, 900, 99, total=1000))
    display._progress.refresh()  # type: ignore[attr-defined]
    frames = [f for f in re.split(r"[\r\n]", ANSI.sub("", out.getvalue())) if "elapsed" in f]
    display.stop()
    assert frames and all(len(line.rstrip()) < width for line in frames)
    assert 10 <= bar_width(width) <= 40


def test_plain_start_line_says_one_run():
    out = io.StringIO()
    display = make_progress_display(Console(file=out, width=120), live=False)
    display.start(result_id=1, result_url="http://x/1", total=1)
    assert "(1 run)" in out.getvalue()
