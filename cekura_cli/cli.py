"""The Typer app: registers the commands and wraps them in the one error boundary.

Command modules live in :mod:`cekura_cli.commands` and are the only layer that
imports typer. They must stay cheap to import (typer + stdlib + the light modules of
this package): anything heavy (httpx, pydantic, websockets, rich tables) is imported
inside the command function, so that ``cekura --help`` starts fast.

The boundary (:func:`run_cli`) maps every outcome to an :class:`ExitCode`:
a command's return value, a :class:`CekuraError`, a click usage error (2), an
interrupt (130), or an unexpected exception (3, one line, traceback only with
``CEKURA_DEBUG=1``). Every message passes through :func:`redact` on the way out.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import typer

from cekura_cli import __version__
from cekura_cli.commands import agent as agent_command
from cekura_cli.commands import doctor as doctor_command
from cekura_cli.commands import report as report_command
from cekura_cli.commands import run as run_command
from cekura_cli.commands import sandbox as sandbox_command
from cekura_cli.commands import scenarios as scenarios_command
from cekura_cli.commands import shim as shim_command
from cekura_cli.commands import suite as suite_command
from cekura_cli.commands import wait as wait_command
from cekura_cli.errors import CekuraError, Interrupted
from cekura_cli.exit_codes import ExitCode, exit_code_table

EPILOG = "\b\nExit codes:\n" + exit_code_table()

app = typer.Typer(
    name="cekura",
    help=(
        "Run Cekura chat-mode agent tests from CI, expose a local agent over the "
        "Custom WebSocket protocol, and run it all offline with --local."
    ),
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (typer's, via click)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help renderer alone costs ~100 ms of start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cekura {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log HTTP requests and decisions to stderr (secrets masked)."
    ),
) -> None:
    if verbose:
        _enable_debug_logging()


def _enable_debug_logging() -> None:
    import logging

    from cekura_cli.redact import RedactingFilter

    root = logging.getLogger("cekura_cli")
    if any(getattr(h, "_cekura_verbose", False) for h in root.handlers):
        return  # -v given twice (before and after the subcommand)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("cekura: %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._cekura_verbose = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


def _interrupt_as_error(func: Callable[..., Any]) -> Callable[..., Any]:
    """Let an interrupt reach the boundary as :class:`Interrupted`, not as click's Abort.

    A command with a ``--json`` destination (``json_out``) that ends with an error gets
    the error document there (:mod:`cekura_cli.reporting.error_document`).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from cekura_cli.reporting.error_document import document_on_error

        try:
            with document_on_error(kwargs.get("json_out")):
                return func(*args, **kwargs)
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None

    return wrapper


app.command("run", epilog=EPILOG, short_help="Run the selected scenarios, wait, report, exit.")(
    run_command.run
)
app.command("wait", epilog=EPILOG, short_help="Attach to an existing result, wait, report, exit.")(
    wait_command.wait
)
app.add_typer(scenarios_command.app, name="scenarios")
app.add_typer(shim_command.app, name="shim")
app.add_typer(sandbox_command.app, name="sandbox")
app.add_typer(report_command.app, name="report")
app.add_typer(agent_command.app, name="agent")
app.command("doctor", epilog=EPILOG, short_help="Check everything a chat test run needs.")(
    doctor_command.doctor
)
app.add_typer(suite_command.app, name="suite")


def _wrap_commands(group: typer.Typer) -> None:
    for command in group.registered_commands:
        if command.callback is not None:
            command.callback = _interrupt_as_error(command.callback)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _wrap_commands(sub.typer_instance)


_wrap_commands(app)


def _click_exception_types() -> tuple[type[BaseException], type[BaseException]]:
    """(ClickException, Abort), wherever this typer version keeps click."""
    click_exception = next(
        cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
    )
    abort = typer.Abort
    return click_exception, abort


def _fail(message: str) -> None:
    from cekura_cli.redact import redact

    sys.stderr.write(redact(message).rstrip("\n") + "\n")


def run_cli(argv: Sequence[str] | None = None) -> int:
    """Run the app on ``argv`` and return the exit code; never raises (but SystemExit).

    Under GitHub Actions everything printed, error lines included, is fenced against
    workflow-command injection (:mod:`cekura_cli.reporting.workflow_commands`).
    """
    if os.environ.get("GITHUB_ACTIONS") != "true":  # keep `cekura --help` import-light
        return _run_cli(argv)
    from cekura_cli.reporting.workflow_commands import fenced_stderr

    with fenced_stderr(os.environ):
        return _run_cli(argv)


def _run_cli(argv: Sequence[str] | None = None) -> int:
    click_exception, abort = _click_exception_types()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from cekura_cli.suite.validate import fast_path  # the pre-commit hook skips typer

        fast = fast_path(args)
        if fast is not None:
            return int(fast)
        from cekura_cli.cli_tree import build_command

        command = build_command(app, epilog=EPILOG, on_verbose=_enable_debug_logging)
        rv = command.main(args=args, prog_name="cekura", standalone_mode=False)
    except Interrupted:
        _fail("cekura: interrupted")
        return int(ExitCode.INTERRUPTED)
    except CekuraError as exc:
        _fail(f"cekura: error: {exc.message}")
        if exc.hint:
            _fail(f"cekura: hint: {exc.hint}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _fail("cekura: interrupted")
        return int(ExitCode.INTERRUPTED)
    except abort:
        _fail("cekura: interrupted")
        return int(ExitCode.INTERRUPTED)
    except click_exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `cekura` (or a group): help, 0
            sys.stdout.write(exc.ctx.get_help() + "\n")  # type: ignore[attr-defined]
            return int(ExitCode.OK)
        _fail(f"cekura: error: {exc.format_message()}")  # type: ignore[attr-defined]
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "cekura"
        _fail(f"cekura: hint: see '{command} --help'")
        return int(ExitCode.USAGE)
    except Exception as exc:  # the last guard: one line, never a traceback by default
        if os.environ.get("CEKURA_DEBUG"):
            import traceback

            _fail("".join(traceback.format_exception(exc)))
        _fail(f"cekura: internal error: {type(exc).__name__}: {exc}")
        _fail("cekura: hint: set CEKURA_DEBUG=1 for the traceback, and please report it")
        return int(ExitCode.SERVICE)
    if rv is None:
        return int(ExitCode.OK)
    return int(rv)


def main() -> NoReturn:
    sys.exit(run_cli())
