"""Atomic report files: a reader (or a CI artefact upload) never sees half a report.

The report is written to a temporary file beside the destination and moved into
place with :func:`os.replace`, which is atomic on POSIX and Windows. The temporary
file is created with mode 0o666 so that the process umask applies, exactly as for a
plain ``open(path, "w")``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from cekura_cli.errors import UsageError


class ReportWriteError(UsageError):
    """A report file could not be written (bad path, no permission, disk full)."""


@contextmanager
def atomic_text_file(path: str | Path, *, what: str) -> Iterator[TextIO]:
    """Open a UTF-8 text stream whose content replaces ``path`` only if the block succeeds.

    Parent directories are created. An :class:`OSError` becomes a
    :class:`ReportWriteError` naming ``what`` ("JSON report") and the path.
    """
    destination = Path(path)
    temporary = destination.with_name(
        f".{destination.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    )
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ReportWriteError(
            f"cannot write the {what} to {destination}: {exc.strerror or exc}"
        ) from exc
    try:
        # 1 MiB buffer: reports are written in many small pieces.
        # backslashreplace: a lone surrogate (broken upstream text) becomes "\udc80",
        # which is still a valid JSON escape, instead of aborting the whole report.
        with open(
            fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n", buffering=1 << 20
        ) as stream:
            yield stream
        os.replace(temporary, destination)
    except OSError as exc:
        _remove_quietly(temporary)
        raise ReportWriteError(
            f"cannot write the {what} to {destination}: {exc.strerror or exc}"
        ) from exc
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(path: Path) -> None:
    with suppress(OSError):
        path.unlink()
