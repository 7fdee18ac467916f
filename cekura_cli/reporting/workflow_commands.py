"""Keep text from agents, scenarios and the service from becoming a GitHub Actions command.

The Actions runner reads every line a step prints (stdout and stderr alike) and treats
as a workflow command a line whose trimmed start is ``::`` (``::error::…``,
``::add-mask::…``) and any line containing ``##[`` (the old form, ``##[error]…``). A
reply such as ``##[stop-commands]x`` would even silence every annotation printed
after it. PRODUCT.md §13, under ``GITHUB_ACTIONS=true``:

- all human output is printed inside a ``::stop-commands::TOKEN`` … ``::TOKEN::``
  block with a fresh random token, which the runner obeys for both forms and which
  hostile text cannot end because it cannot know the token;
- cekura's own annotations are printed outside it (:func:`outside_fence`), each
  suspending the block and opening a new one with a new token;
- besides, ``##[`` and a line-initial ``::`` are neutralised everywhere (a zero-width
  space), so even output read without the block (stdout on its own, a thread writing
  late) is inert.

:class:`FencedStream` wraps ``sys.stderr`` for the whole command (see
:func:`fenced_stderr`), and ``sys.stdout`` without a block of its own: the runner keeps
one command state for both streams. ``--json -`` stays byte-exact: the JSON writers
escape ``##[`` inside strings themselves (:func:`inert_json`) and no JSON line starts
with ``::``. Standard library only; the CLI boundary imports it under Actions only.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

NEUTRAL_MARK = "##\u200b["
"""What ``##[`` becomes: looks the same in the log, is no longer a command."""


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


_COMMAND_START = re.compile(r"(?m)^([^\S\r\n]*)::")
_COMMAND_AFTER_CR = re.compile(r"\r([^\S\r\n]*)::")
"""``::`` after a line's leading whitespace; the runner reads lines as .NET's ReadLine
does, so a lone ``\r`` starts a line too (a second pattern: one alternation costs 3x)."""


def neutralise(text: str, *, line_starts: bool = True) -> str:
    """``text`` with every ``##[`` and every line-initial ``::`` broken (a zero-width
    space, which .NET's ``TrimStart`` keeps), so the runner reads no command in it.

    ``line_starts=False`` for text that goes inside one of cekura's own commands (an
    annotation's message or title): it starts no line, only ``##[`` matters there.
    """
    if "##[" in text:
        text = text.replace("##[", NEUTRAL_MARK)
    if line_starts and "::" in text:
        text = _COMMAND_START.sub("\\1\u200b::", text)
        if "\r" in text:
            text = _COMMAND_AFTER_CR.sub("\r\\1\u200b::", text)
    return text


def inert_json(text: str) -> str:
    """JSON text for stdout: ``##[`` (which cekura's JSON holds only inside strings) as
    ``#\\u0023[``, the same value to a JSON reader and no command to the runner."""
    return text.replace("##[", "#\\u0023[")


def new_token() -> str:
    """A stop-commands token nobody can guess (and that is no command's name)."""
    return f"cekura-{secrets.token_hex(16)}"


class FencedStream:
    """A text stream whose lines are neutralised and kept inside a stop-commands block.

    Writes are passed on line by line (an incomplete line waits for its end or a flush,
    so ``##`` and ``[`` written separately are still caught). Thread-safe: the shim's
    threads log to the same stream.
    """

    def __init__(self, inner: TextIO, *, token: Callable[[], str] = new_token) -> None:
        self._inner = inner
        self._new_token = token
        self._lock = threading.RLock()
        self._pending = ""
        self._token: str | None = None
        self._mid_line = False  # the last text passed on did not end its line

    # -- the block ---------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The token of the open block, or None while no block is open."""
        return self._token

    def open_fence(self) -> None:
        with self._lock:
            if self._token is None:
                self._token = self._new_token()
                self._inner.write(f"::stop-commands::{self._token}\n")
                self._inner.flush()

    def close_fence(self) -> None:
        with self._lock:
            self._drain(final=True, everything=True)
            if self._mid_line:  # the resume must start its own line to be read
                self._inner.write("\n")
                self._mid_line = False
            if self._token is not None:
                self._inner.write(f"::{self._token}::\n")
                self._token = None
            self._inner.flush()

    @contextmanager
    def commands(self) -> Iterator[TextIO]:
        """Suspend the block; what is written to the yielded stream is read as commands.

        Only cekura's own workflow commands belong there, already escaped. A new block
        (new token) opens afterwards.
        """
        with self._lock:
            was_open = self._token is not None
            self.close_fence()
            try:
                yield self._inner
                self._inner.flush()
            finally:
                if was_open:
                    self.open_fence()

    # -- the TextIO surface rich, logging and print use --------------------------------

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            self._drain(final=False)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._drain(final=True)
            self._inner.flush()

    def _drain(self, *, final: bool, everything: bool = False) -> None:
        """Pass on complete lines; with ``final`` also a partial line, but for what could
        still become a command with the next write (a trailing ``##``, a line holding
        only spaces and colons so far); with ``everything`` the rest too."""
        pending = self._pending
        if not pending:
            return
        if everything:
            cut = len(pending)
        elif final:
            line_start = max(pending.rfind("\n"), pending.rfind("\r")) + 1
            if not pending[line_start:].strip(" \t:#"):
                cut = line_start  # a line begun with only spaces, ":" or "#" so far: wait
            else:  # a trailing "#"/"##" waits for what follows it
                cut = len(pending) - min(len(pending) - len(pending.rstrip("#")), 2)
        else:
            cut = pending.rfind("\n") + 1
        if cut <= 0:
            return
        chunk = pending[:cut]
        self._inner.write(neutralise(chunk))
        self._mid_line = not chunk.endswith(("\n", "\r"))
        self._pending = pending[cut:]

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return getattr(self._inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:
        return getattr(self._inner, "errors", None)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@contextmanager
def outside_fence(stream: TextIO) -> Iterator[TextIO]:
    """The stream to print cekura's own workflow commands on (annotations, warnings)."""
    if isinstance(stream, FencedStream):
        with stream.commands() as inner:
            yield inner
    else:
        yield stream


@contextmanager
def fenced_stderr(environ: Mapping[str, str]) -> Iterator[FencedStream | None]:
    """Under GitHub Actions, run the block with ``sys.stderr`` inside the fence."""
    if not in_github_actions(environ) or sys.stderr is None or isinstance(sys.stderr, FencedStream):
        yield None
        return
    original, original_stdout = sys.stderr, sys.stdout
    sys.stdout.flush()
    fenced = FencedStream(original)
    fenced.open_fence()
    sys.stderr = fenced  # type: ignore[assignment]
    # stdout is in the same block, and neutralised as well: a reader that takes stdout
    # on its own (the runner reads the two pipes separately) still finds no command.
    # cekura's JSON passes unchanged: no line starts with "::" and "##[" is escaped.
    neutral_stdout = FencedStream(original_stdout) if original_stdout is not None else None
    if neutral_stdout is not None:
        sys.stdout = neutral_stdout  # type: ignore[assignment]
    try:
        yield fenced
    finally:
        if neutral_stdout is not None:
            neutral_stdout.close_fence()  # no block was opened: this only drains
            sys.stdout = original_stdout
        fenced.close_fence()
        sys.stderr = original
