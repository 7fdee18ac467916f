"""Where human output goes, and how signals become interrupts.

Human output goes to stderr; stdout carries only what was asked for (``--json -``,
``--no-wait``'s result id, ``scenarios list``). The live display is used only on a
terminal with ``CI`` unset; otherwise reporters print plain lines.
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


CI_LOG_WIDTH = 140


@dataclass
class Ui:
    console: Console
    """Human output (stderr)."""
    live: bool
    """True on an interactive terminal outside CI: live progress and colour."""
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def info(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, soft_wrap=True)


def make_ui(environ: Mapping[str, str] | None = None) -> Ui:
    from rich.console import Console

    env = dict(os.environ if environ is None else environ)
    console = Console(stderr=True, highlight=False)
    if not console.is_terminal and "COLUMNS" not in env:
        # CI logs are wide; rich's 80-column default for pipes squeezes the reasons.
        console = Console(stderr=True, highlight=False, width=CI_LOG_WIDTH)
    in_ci = env.get("CI", "").strip().lower() not in ("", "0", "false")
    return Ui(console=console, live=console.is_terminal and not in_ci, environ=env)


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
