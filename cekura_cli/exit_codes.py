"""The process exit codes: PRODUCT.md §3, in one place.

Every command returns one of these; only the CLI boundary turns it into a process exit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Every selected run passed (or the pass rate reached ``--min-pass-rate``)."""
    TEST_FAILURES = 1
    """Test failures: the pass rate is below the threshold."""
    USAGE = 2
    """Usage or configuration error (bad flag, missing API key or agent)."""
    SERVICE = 3
    """Service or network error: authentication rejected, retries exhausted, malformed response."""
    TIMEOUT = 4
    """Timed out waiting; the remote calls were ended."""
    NO_SCENARIOS = 5
    """The selection matched no scenarios."""
    INTERRUPTED = 130
    """Interrupted (SIGINT/SIGTERM); the remote calls were ended."""

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "every selected run passed (or pass rate >= --min-pass-rate)",
    ExitCode.TEST_FAILURES: "test failures: the pass rate is below the threshold",
    ExitCode.USAGE: "usage or configuration error (bad flag, missing API key or agent)",
    ExitCode.SERVICE: "service or network error: key rejected, retries exhausted, bad response",
    ExitCode.TIMEOUT: "timed out waiting; the remote calls were ended",
    ExitCode.NO_SCENARIOS: "the selection matched no scenarios",
    ExitCode.INTERRUPTED: "interrupted (SIGINT/SIGTERM); the remote calls were ended",
}


def exit_code_table(
    codes: Iterable[ExitCode] | None = None, meanings: Mapping[ExitCode, str] | None = None
) -> str:
    """The exit-code table as plain text, for ``--help`` epilogs.

    ``codes`` limits it to what a command can return; ``meanings`` words a code for a
    command where the general wording does not fit (a server's 0 is "stopped").
    """
    chosen = list(ExitCode) if codes is None else sorted(codes)
    words = {**_MEANINGS, **(meanings or {})}
    return "\n".join(f"{int(code):>3}  {words[code]}" for code in chosen)


def exit_code_epilog(
    codes: Iterable[ExitCode] | None = None, meanings: Mapping[ExitCode, str] | None = None
) -> str:
    """``Exit codes:`` and the table, kept as lines by click's ``\\b`` marker."""
    return "\b\nExit codes:\n" + exit_code_table(codes, meanings)
