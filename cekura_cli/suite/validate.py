"""``cekura suite validate FILE...``: the check itself, and its fast path past typer.

The pre-commit hook runs this on every commit, so its latency matters. With typer 0.29
any subcommand invocation builds pydantic adapters for its parameters, importing
pydantic: about half of the process's start-up, for a command whose whole job is a
JSON Schema check. :func:`fast_path` therefore answers the plain form
(``suite validate [-q|--quiet] FILE...``) directly; any other form (``--help``, an
unknown option, ``--``, no file) returns None and goes through typer as usual. Both
forms call :func:`validate_files`, so they print and exit identically (a test runs both).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from cekura_cli.exit_codes import ExitCode


def validate_files(
    files: Sequence[Path], *, quiet: bool = False, stream: TextIO | None = None
) -> ExitCode:
    """Check every file; problems (and valid files unless ``quiet``) go to ``stream``."""
    from cekura_cli.suite.loading import check_file

    out = sys.stderr if stream is None else stream
    failed = 0
    for path in files:
        problems = check_file(path)
        if problems:
            failed += 1
            for problem in problems:
                out.write(_line(str(problem)) + "\n")
        elif not quiet:
            out.write(_line(f"{path}: valid") + "\n")
    if failed:
        noun = "file has" if failed == 1 else "files have"
        out.write(f"cekura: {failed} {noun} problems\n")
    out.flush()
    return ExitCode.USAGE if failed else ExitCode.OK


def fast_path(argv: Sequence[str]) -> ExitCode | None:
    """``validate_files`` for ``suite validate [-q|--quiet] FILE...``; None for anything else."""
    if len(argv) < 3 or argv[0] != "suite" or argv[1] != "validate":
        return None
    quiet = False
    files: list[Path] = []
    for arg in argv[2:]:
        if arg in ("-q", "--quiet"):
            quiet = True
        elif arg.startswith("-") and arg != "-":
            return None  # --help, --, unknown options: typer answers
        else:
            files.append(Path(arg))
    if not files:
        return None
    return validate_files(files, quiet=quiet)


# What reporting._text.clean removes (terminal controls, XML-forbidden characters), kept
# here so the hook does not import the reporting package (~20 ms of its start-up).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def _line(text: str) -> str:
    """One line: secrets masked, control characters dropped, whitespace collapsed."""
    from cekura_cli.redact import redact

    return " ".join(_UNSAFE.sub("", redact(text)).split())
