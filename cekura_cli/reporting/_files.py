"""Report files: the one way every report writer opens its destination.

Two kinds of destination (PRODUCT.md §13):

- a **regular file**, or a path that does not exist yet: written to a temporary file
  beside it and moved into place with :func:`os.replace`, so a reader (or a CI
  artefact upload) never sees half a report. The temporary file is created with mode
  0o666 so that the process umask applies, exactly as for ``open(path, "w")``;
- **anything else** (``/dev/stdout``, ``/dev/null``, ``/dev/fd/N``, a FIFO, a
  symlink): opened and written *in place*. Renaming over it would replace the special
  file itself (as root, ``--junit-xml /dev/null`` replaced ``/dev/null``) or the
  symlink, and the process substitution ``--json >(jq .)`` would never see a byte.

:func:`check_report_path` runs before anything starts, so that a report that could
not be written afterwards never costs a run (a run is never started when its report
cannot be written).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from cekura_cli.errors import UsageError

STDOUT = "-"


class ReportWriteError(UsageError):
    """A report file could not be written (bad path, no permission, disk full)."""


def writes_in_place(path: str | Path) -> bool:
    """True when ``path`` exists and is not a regular file (symlinks are not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True  # let the open report the real problem
    return not stat.S_ISREG(mode)


def check_report_path(value: str | Path | None, *, flag: str) -> None:
    """Fail now (exit 2, one line naming ``flag``) when a report could not be written later.

    ``-`` (stdout) always passes. Special files (devices, FIFOs, symlinks) are checked
    with :func:`os.access` and never opened: opening a FIFO would block or eat its
    reader. The folder of a regular or new file is probed for real (a file
    is replaced through a temporary file, so its folder gets a probe file, removed at
    once), because permission bits lie on read-only mounts and for root.
    """
    if value is None or str(value) == STDOUT:
        return
    path = Path(value)
    where = f"{flag} {str(path)!r}"
    if str(value).strip() == "":
        raise UsageError(f"{flag} got an empty path")
    if path.is_dir():
        raise UsageError(f"cannot write {where}: it is a folder")
    if path.is_symlink() and not path.exists():  # dangling: the target will be created
        check_report_path(os.path.realpath(path), flag=flag)
        return
    if writes_in_place(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"cannot write {where}: permission denied")
        return
    # A new or regular file is written through a temporary file in its folder, so
    # what must be writable is that folder (or the nearest one that exists).
    _probe_folder(path.parent, where)


def _probe_folder(folder: Path, where: str) -> None:
    """``folder``, or the nearest existing folder above it, accepts a new file."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {where}: {str(folder)!r} is not a folder")
    probe = folder / f".cekura-probe.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise UsageError(f"cannot write {where}: {exc.strerror or exc}") from exc
    _remove_quietly(probe)


def check_report_folder(value: str | Path | None, *, flag: str) -> None:
    """Fail now when files could not be written into the folder ``value`` later
    (``--transcripts DIR``): it is a folder, or can be created, and is writable."""
    if value is None:
        return
    path = Path(value)
    where = f"{flag} {str(path)!r}"
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write into {where}: it is not a folder")
    _probe_folder(path, where)


@contextmanager
def report_file(path: str | Path, *, what: str) -> Iterator[TextIO]:
    """Open a UTF-8 text stream for the report at ``path`` (see the module docstring).

    A regular file is replaced only if the block succeeds; a special file is written in
    place. Parent directories of a new file are created. An :class:`OSError` becomes a
    :class:`ReportWriteError` naming ``what`` ("JSON report") and the path.
    """
    if writes_in_place(path):
        with _in_place(Path(path), what=what) as stream:
            yield stream
        return
    with atomic_text_file(path, what=what) as stream:
        yield stream


def _text_stream(fd: int) -> TextIO:
    # 1 MiB buffer: reports are written in many small pieces.
    # backslashreplace: a lone surrogate (broken upstream text) becomes "\udc80",
    # which is still a valid JSON escape, instead of aborting the whole report.
    return open(
        fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n", buffering=1 << 20
    )


@contextmanager
def _in_place(destination: Path, *, what: str) -> Iterator[TextIO]:
    def failed(exc: OSError) -> ReportWriteError:
        return ReportWriteError(f"cannot write the {what} to {destination}: {exc.strerror or exc}")

    try:
        # O_TRUNC empties a symlinked regular file; devices and pipes ignore it.
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except OSError as exc:
        raise failed(exc) from exc
    try:
        with _text_stream(fd) as stream:
            yield stream
    except OSError as exc:
        raise failed(exc) from exc


@contextmanager
def atomic_text_file(path: str | Path, *, what: str) -> Iterator[TextIO]:
    """Open a UTF-8 text stream whose content replaces ``path`` only if the block succeeds.

    Parent directories are created. An :class:`OSError` becomes a
    :class:`ReportWriteError` naming ``what`` ("JSON report") and the path. Prefer
    :func:`report_file`, which also handles special files.
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
        with _text_stream(fd) as stream:
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
