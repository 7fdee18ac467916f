"""Where human output goes, and how signals become interrupts.

Human output goes to stderr; stdout carries only what was asked for (``--json -``,
``--no-wait``'s result id, ``scenarios list``).

Three separate decisions about the stream that shows the output (PRODUCT.md §13):

- **width**: ``COLUMNS``, else the size of the terminal the stream is, else that of the
  terminal the command runs in (``cekura run 2>&1 | tee log`` in an 80-column terminal
  is read at 80 columns), else :data:`DEFAULT_WIDTH` (a CI log). Never rich's 80 by
  accident;
- **colour**: rich's own rules, so ``NO_COLOR`` turns it off and ``FORCE_COLOR`` on, even
  into a file or a pipe;
- **live repainting** (progress bar, cursor hiding): only when the stream really is a
  terminal (``isatty``, not ``FORCE_COLOR``), ``CI`` is unset and ``TERM`` is not ``dumb``.
  Otherwise reporters print plain lines.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


DEFAULT_WIDTH = 100
"""Columns when nothing says how wide the reader is (a CI log viewer, a file)."""
CI_LOG_WIDTH = DEFAULT_WIDTH  # the old name, kept for callers that import it


@dataclass
class Ui:
    console: Console
    """Human output (stderr)."""
    live: bool
    """True on a real interactive terminal outside CI: the live progress display."""
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def info(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, soft_wrap=True)


def make_ui(environ: Mapping[str, str] | None = None, stream: TextIO | None = None) -> Ui:
    """The console for human output on ``stream`` (stderr), with width and live decided."""
    from rich.console import Console

    env = dict(os.environ if environ is None else environ)
    out = sys.stderr if stream is None else stream
    width = output_width(env, out)
    console = Console(file=out, highlight=False, width=width, _environ=env)
    return Ui(console=console, live=live_allowed(env, out), environ=env)


def output_width(environ: Mapping[str, str], stream: TextIO) -> int:
    """``COLUMNS``, else the terminal's width (the stream's, else the session's), else 100."""
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in (_fileno(stream), *_session_fds()):
        width = _tty_columns(fd)
        if width:
            return width
    return DEFAULT_WIDTH


def live_allowed(environ: Mapping[str, str], stream: TextIO) -> bool:
    """Repaint in place only on a real terminal, outside CI, unless ``TERM=dumb``."""
    fd = _fileno(stream)
    if fd is None or not _isatty(fd):
        return False
    if environ.get("TERM", "").strip().lower() == "dumb":
        return False
    return environ.get("CI", "").strip().lower() in ("", "0", "false")


def _session_fds() -> tuple[int | None, ...]:
    """The standard streams: in ``cmd 2>&1 | tee log`` stdin is still the terminal."""
    return tuple(_fileno(s) for s in (sys.stdin, sys.stdout, sys.stderr))


def _fileno(stream: object) -> int | None:
    try:
        return stream.fileno()  # type: ignore[attr-defined, no-any-return]
    except (AttributeError, OSError, ValueError):
        return None


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _tty_columns(fd: int | None) -> int | None:
    if fd is None or not _isatty(fd):
        return None
    try:
        columns = os.get_terminal_size(fd).columns
    except OSError:
        return None
    return columns if columns > 0 else None


@dataclass
class Deferred:
    signalled: bool = False


@contextmanager
def deferred_interrupts() -> Iterator[Deferred]:
    """Hold SIGINT/SIGTERM until the block ends (it must be short and bounded).

    For the start request: once sent, the service may create the result whatever we do,
    so we finish reading its id first; then the caller ends its calls and exits 130.
    """
    pending = Deferred()
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def _remember(signum: int, frame: object) -> None:
        pending.signalled = True

    previous_term = signal.signal(signal.SIGTERM, _remember)
    previous_int = signal.signal(signal.SIGINT, _remember)
    try:
        yield pending
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt like SIGINT does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous_term = signal.signal(signal.SIGTERM, _raise)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
