"""``cekura suite validate FILE...`` and ``cekura suite init``: suite files (tests as code).

``validate`` is the pre-commit hook: offline (no API key, no network), every problem of
every file at once as ``FILE:LINE: location: message`` on stderr, exit 2 if any.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cekura_cli.exit_codes import ExitCode

STARTER_FILE = "cekura-suite.yaml"

app = typer.Typer(
    help="Check and create suite files: test cases kept in the repository (tests as code).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("validate")
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Suite files (JSON or YAML).", show_default=False),
    ],
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print problems only, not the valid files.")
    ] = False,
) -> ExitCode:
    """Check suite files offline against the service's v1 schema and the rules it cannot say.

    Unique keys and names, 1-200 test cases, and the local: blocks a --local run plays.
    Every problem is printed as FILE:LINE: location: message; exit 2 when there is any.
    No API key or network needed: use it as a pre-commit hook.
    """
    from cekura_cli.suite.validate import validate_files

    return validate_files(files, quiet=quiet)


@app.command("init")
def init(
    path: Annotated[
        Path,
        typer.Argument(metavar="FILE", help=f"Where to write it (default {STARTER_FILE})."),
    ] = Path(STARTER_FILE),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> ExitCode:
    """Write a commented starter suite: two test cases, one with a local: block.

    It validates, runs offline against the bundled demo agent (cekura run --local --suite
    FILE: one case passes, the service-only one is skipped) and against the service.
    """
    from importlib import resources

    from cekura_cli.errors import UsageError

    if path.is_dir():
        raise UsageError(f"{path} is a directory; name the file to write")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    text = (resources.files("cekura_cli.suite") / "starter.yaml").read_text(encoding="utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    sys.stderr.write(
        f"cekura: wrote {path}\n"
        f"cekura: next: cekura suite validate {path} && cekura run --local --suite {path}\n"
    )
    return ExitCode.OK
