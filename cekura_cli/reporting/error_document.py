"""``--json`` gets a document on every exit once the flags are parsed (PRODUCT.md §13).

When a result exists the full report is written (exit 3 after the start included; see
:func:`cekura_cli.runner.wait_and_report`). Otherwise, whatever ended the command (a
usage error, an empty selection, the service failing before the start, an interrupt,
a bug), the JSON destination gets::

    {"schema_version": 1, "exit_code": N, "error": {"kind": "...", "message": "..."}}

``kind`` is one of :data:`KINDS`. A pipeline reading ``cekura run --json - | jq`` thus
always has something to parse, and ``exit_code`` matches the process's.

An exception that already carries a written report says so with
``report_written = True`` (see :func:`mark_report_written`): it is not overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from cekura_cli.errors import (
    AuthError,
    CekuraError,
    ConfigError,
    Interrupted,
    NoScenariosError,
    NotFoundError,
    ServiceError,
    UsageError,
    WaitTimeout,
)
from cekura_cli.exit_codes import ExitCode

SCHEMA_VERSION = 1
KINDS = (
    "usage",
    "config",
    "auth",
    "not_found",
    "service",
    "timeout",
    "no_scenarios",
    "interrupted",
    "internal",
)

# Most specific first: the first class the error is an instance of names its kind.
_KIND_BY_TYPE: tuple[tuple[type[BaseException], str], ...] = (
    (ConfigError, "config"),
    (UsageError, "usage"),
    (AuthError, "auth"),
    (NotFoundError, "not_found"),
    (ServiceError, "service"),
    (WaitTimeout, "timeout"),
    (NoScenariosError, "no_scenarios"),
    (Interrupted, "interrupted"),
    (KeyboardInterrupt, "interrupted"),
)


def classify(exc: BaseException) -> tuple[int, str, str]:
    """(exit code, kind, message) for an exception leaving a command."""
    kind = next((name for cls, name in _KIND_BY_TYPE if isinstance(exc, cls)), "internal")
    if isinstance(exc, CekuraError):
        return int(exc.exit_code), kind, exc.message
    if isinstance(exc, KeyboardInterrupt):
        return int(ExitCode.INTERRUPTED), kind, "interrupted"
    return int(ExitCode.SERVICE), kind, f"{type(exc).__name__}: {exc}"


def error_document(exit_code: int, kind: str, message: str) -> dict[str, Any]:
    from cekura_cli.reporting._text import clean

    return {
        "schema_version": SCHEMA_VERSION,
        "exit_code": int(exit_code),
        "error": {"kind": kind, "message": clean(message)},
    }


def write_error_document(
    destination: str, document: dict[str, Any], *, stdout: TextIO | None = None
) -> None:
    """Write ``document`` to ``destination`` (``-``: stdout) like the JSON report."""
    import json
    import sys

    from cekura_cli.reporting._files import STDOUT, report_file
    from cekura_cli.reporting.workflow_commands import inert_json

    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if destination == STDOUT:
        out = sys.stdout if stdout is None else stdout
        encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "")
        if encoding != "utf8":
            text = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
        out.write(inert_json(text))
        out.flush()
        return
    with report_file(destination, what="JSON report") as stream:
        stream.write(text)


def mark_report_written(exc: BaseException) -> BaseException:
    """Tell :func:`document_on_error` that ``exc`` leaves a full report behind."""
    exc.report_written = True  # type: ignore[attr-defined]
    return exc


@contextmanager
def document_on_error(json_path: str | None, *, stdout: TextIO | None = None) -> Iterator[None]:
    """Around a command: if it ends with an exception, ``json_path`` gets the error
    document (unless a full report was written). The exception goes on unchanged."""
    try:
        yield
    except (Exception, KeyboardInterrupt) as exc:
        if json_path and not getattr(exc, "report_written", False):
            exit_code, kind, message = classify(exc)
            # the error itself is what the user must see; a second one would hide it
            with suppress(Exception):
                write_error_document(
                    json_path, error_document(exit_code, kind, message), stdout=stdout
                )
        raise
