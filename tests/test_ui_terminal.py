"""Width, colour and live-display decisions for the human output (PRODUCT.md §13)."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import sys
import termios
from collections.abc import Iterator

import pytest

from cekura_cli import ui
from cekura_cli.ui import DEFAULT_WIDTH, live_allowed, make_ui, output_width


@pytest.fixture
def tty() -> Iterator[tuple[io.TextIOWrapper, int]]:
    """A pseudo-terminal 83 columns wide: (a text stream on its slave end, the master fd)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 83, 0, 0))
    stream = os.fdopen(slave, "w", encoding="utf-8")
    try:
        yield stream, master
    finally:
        stream.close()
        os.close(master)


@pytest.fixture
def no_session_tty(monkeypatch):
    """As in CI: none of the standard streams is a terminal."""
    monkeypatch.setattr(ui, "_session_fds", lambda: ())


def test_columns_wins(tty, no_session_tty):
    stream, _ = tty
    assert output_width({"COLUMNS": "200"}, stream) == 200
    assert output_width({"COLUMNS": "200"}, io.StringIO()) == 200


def test_a_terminal_is_measured(tty, no_session_tty):
    stream, _ = tty
    assert output_width({}, stream) == 83


def test_a_pipe_in_a_terminal_session_is_read_at_the_terminal_width(tty, monkeypatch):
    """``cekura run 2>&1 | tee log`` in an 83-column terminal: stderr is a pipe, stdin is not."""
    stream, _ = tty
    monkeypatch.setattr(ui, "_session_fds", lambda: (stream.fileno(),))
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as piped:
        assert output_width({}, piped) == 83
    os.close(read_end)


def test_no_terminal_anywhere_means_100_not_80(no_session_tty):
    assert output_width({}, io.StringIO()) == DEFAULT_WIDTH == 100
    assert output_width({"COLUMNS": "garbage"}, io.StringIO()) == 100
    assert output_width({"COLUMNS": "0"}, io.StringIO()) == 100


def test_live_only_on_a_real_terminal_outside_ci(tty):
    stream, _ = tty
    assert live_allowed({}, stream)
    assert not live_allowed({"CI": "true"}, stream)
    assert live_allowed({"CI": "false"}, stream)
    assert not live_allowed({"TERM": "dumb"}, stream)
    assert not live_allowed({}, io.StringIO())


def test_forced_colour_into_a_file_colours_but_does_not_repaint(tmp_path, no_session_tty):
    with open(tmp_path / "err.log", "w", encoding="utf-8") as log:
        made = make_ui({"FORCE_COLOR": "1", "TERM": "xterm-256color"}, stream=log)
        assert made.live is False
        assert made.console.width == 100  # not rich's 80 for a forced terminal
        made.console.print("[red]x[/red]")
    assert "\x1b[" in (tmp_path / "err.log").read_text(encoding="utf-8")


def test_no_color_is_honoured_on_a_terminal(tty):
    stream, master = tty
    made = make_ui({"NO_COLOR": "1", "TERM": "xterm-256color"}, stream=stream)
    assert made.live is True  # still a terminal: the bar may repaint, without colour
    made.console.print("[red]red[/red] [green]green[/green]")
    stream.flush()
    written = os.read(master, 4096).decode()
    assert "red green" in written
    assert "\x1b[31m" not in written and "\x1b[32m" not in written


def test_make_ui_defaults_to_stderr():
    assert make_ui({}).console.file is sys.stderr


def test_scenario_tables_show_service_text_as_text():
    from rich.console import Console

    from cekura_cli.api.models import Scenario
    from cekura_cli.plan import render_scenarios

    out = io.StringIO()
    scenario = Scenario.model_validate(
        {"id": 7, "name": "[bold]x[/bold] \x1b[31mred", "tags": ["[link=y]t[/link]"]}
    )
    render_scenarios([scenario], Console(file=out, width=100), title="1 [red]scenario")
    text = out.getvalue()
    assert "[bold]x[/bold]" in text and "[link=y]t[/link]" in text and "1 [red]scenario" in text
    assert "\x1b" not in text
