"""SIGINT and SIGTERM in every phase of ``cekura run``, and ``--timeout`` while the
service misbehaves: the documented exit code (130 or 4), a line saying why, no
traceback, the reports written once a result exists, and no call left running.

tests/e2e already signals the CLI while it sleeps between two polls and times out a
never-finishing run. Here the signal lands while a request is *in flight* (held by a
``slow`` fault: the sandbox counts the fault when the request arrives, so the test
knows the CLI is blocked in it) or while the client waits out a ``Retry-After``, in
each phase: starting (scenario list, agent, start POST), polling, reporting.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    API_KEY,
    GET_RESULT,
    POST_END_CALLS,
    POST_RUN,
    SIGNALS,
    CliProcess,
    cli_environment,
    fault_fired,
    requests_to,
    unfinished_runs,
    wait_until,
)

from cekura_cli.errors import Interrupted
from cekura_cli.exit_codes import ExitCode

SIGNAL_PARAMS = pytest.mark.parametrize("signum", list(SIGNALS.values()), ids=list(SIGNALS))


def interrupt_when(
    handle: Any,
    cwd: Path,
    condition: Callable[[], bool],
    signum: int,
    *,
    args: tuple[str, ...] = ("run", "-t", "critical", "--json", "r.json"),
    settle_s: float = 0.0,
) -> tuple[int, str]:
    """Run the CLI, send ``signum`` once ``condition`` holds; (exit code, stderr)."""
    with CliProcess(args, cli_environment(handle.url), cwd) as cli:
        assert cli.wait_for(condition, timeout_s=30), f"never got there:\n{cli.stderr}"
        time.sleep(settle_s)  # e.g. let the client get into its Retry-After wait
        cli.send(signum)
        code = cli.finish(timeout_s=30)
        return code, cli.stderr


def assert_clean_interrupt(code: int, stderr: str) -> None:
    assert code == ExitCode.INTERRUPTED, stderr
    assert "cekura: interrupted" in stderr
    assert "Traceback" not in stderr


# --- starting ------------------------------------------------------------------------------


@SIGNAL_PARAMS
@pytest.mark.parametrize(
    "held", ["GET scenarios:slow:delay=3:times=1", "GET agent:slow:delay=3:times=1"]
)
def test_signal_while_starting_exits_130_and_starts_nothing(
    sandbox, tmp_path: Path, held: str, signum: int
) -> None:
    handle = sandbox(faults=[held])
    code, stderr = interrupt_when(handle, tmp_path, fault_fired(handle, held), signum)
    assert_clean_interrupt(code, stderr)
    assert requests_to(handle, POST_RUN) == 0
    assert handle.stats()["results_created"] == 0
    # nothing ran, so --json gets the error document (PRODUCT.md §13), not a report
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["exit_code"] == 130 and document["error"]["kind"] == "interrupted"
    assert "result_id" not in document


@SIGNAL_PARAMS
def test_signal_during_the_start_post_ends_the_result_it_created(
    sandbox, tmp_path: Path, signum: int
) -> None:
    held = "POST run:slow:delay=1:times=1"
    handle = sandbox(faults=[held, "runs:never_finish"])
    code, stderr = interrupt_when(handle, tmp_path, fault_fired(handle, held), signum)
    assert_clean_interrupt(code, stderr)
    assert wait_until(lambda: handle.stats()["results_created"] == 1, timeout_s=10)
    assert requests_to(handle, POST_END_CALLS) >= 1
    assert unfinished_runs(handle) == 0
    assert json.loads((tmp_path / "r.json").read_text())["interrupted"] is True


def test_an_interrupt_just_after_the_start_still_ends_the_calls(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal landing right after the start POST answered. Signalling the process when
    it prints 'started result' hits this window most of the time but not always, so the
    signal is simulated in-process: the 'started result' line raises KeyboardInterrupt,
    as the SIGINT handler would at that moment."""
    from rich.console import Console

    from cekura_cli.commands.run import RunArgs, execute
    from cekura_cli.orchestration.selection import Selection
    from cekura_cli.ui import Ui

    class SignalledUi(Ui):
        def info(self, message: str) -> None:
            super().info(message)
            if message.startswith("cekura: started result"):
                raise KeyboardInterrupt

    handle = sandbox(faults=["runs:never_finish"])
    monkeypatch.chdir(tmp_path)  # no cekura.toml of the repository
    settings = {"api_key": API_KEY, "api_url": handle.url, "agent_id": 1}
    args = RunArgs(selection=Selection(tags=("critical",)), settings=settings)
    ui = SignalledUi(console=Console(file=io.StringIO()), live=False, stdout=io.StringIO())
    with contextlib.suppress(KeyboardInterrupt, Interrupted):
        execute(args, ui=ui)
    assert handle.stats()["results_created"] == 1
    assert requests_to(handle, POST_END_CALLS) >= 1
    assert unfinished_runs(handle) == 0


# --- polling -------------------------------------------------------------------------------


@SIGNAL_PARAMS
@pytest.mark.parametrize(
    ("held", "settle_s"),
    [("GET results:slow:delay=3:nth=2", 0.0), ("GET results:429:nth=2:retry_after=5", 0.3)],
    ids=["poll-in-flight", "retry-after-wait"],
)
def test_signal_while_polling_ends_the_calls_and_writes_the_report(
    sandbox, tmp_path: Path, held: str, settle_s: float, signum: int
) -> None:
    handle = sandbox(faults=["runs:never_finish", held])
    code, stderr = interrupt_when(
        handle, tmp_path, fault_fired(handle, held), signum, settle_s=settle_s
    )
    assert_clean_interrupt(code, stderr)
    assert requests_to(handle, POST_END_CALLS) >= 1
    assert unfinished_runs(handle) == 0  # every call of the result was ended
    assert handle.stats()["results_created"] == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] is True and report["exit_code"] == ExitCode.INTERRUPTED
    assert "calls ended" in stderr and "/results/" in stderr.split("interrupted", 1)[1]


def test_a_second_signal_while_the_calls_are_being_ended_still_exits_130(
    sandbox, tmp_path: Path
) -> None:
    held = "POST end_calls:slow:delay=3:times=1"
    handle = sandbox(faults=["runs:never_finish", held])
    with CliProcess(("run", "-t", "critical"), cli_environment(handle.url), tmp_path) as cli:
        polling = lambda: requests_to(handle, GET_RESULT) >= 1  # noqa: E731
        assert cli.wait_for(polling, timeout_s=30), cli.stderr
        cli.send(signal.SIGINT)
        assert cli.wait_for(fault_fired(handle, held), timeout_s=30), cli.stderr
        cli.send(signal.SIGTERM)  # the impatient second Ctrl-C
        code = cli.finish(timeout_s=30)
    assert_clean_interrupt(code, cli.stderr)
    assert "ending the calls" in cli.stderr


# --- reporting -----------------------------------------------------------------------------


@SIGNAL_PARAMS
def test_signal_while_fetching_the_run_details_exits_130_with_the_report(
    sandbox, tmp_path: Path, signum: int
) -> None:
    held = "GET runs_bulk:slow:delay=3:times=1"
    handle = sandbox(faults=[held])
    code, stderr = interrupt_when(handle, tmp_path, fault_fired(handle, held), signum)
    assert_clean_interrupt(code, stderr)
    assert unfinished_runs(handle) == 0  # the result had finished: nothing left running
    assert handle.stats()["results_created"] == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] is True and report["exit_code"] == ExitCode.INTERRUPTED


# --- --timeout -----------------------------------------------------------------------------


def test_timeout_while_a_poll_hangs_ends_the_calls_and_exits_4(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["runs:never_finish", "GET results:slow:delay=10:nth=2"])
    with CliProcess(
        ("run", "-t", "critical", "--timeout", "3", "--json", "r.json"),
        cli_environment(handle.url),
        tmp_path,
    ) as cli:
        code = cli.finish(timeout_s=30)
    assert code == ExitCode.TIMEOUT, cli.stderr
    assert "Traceback" not in cli.stderr
    assert requests_to(handle, POST_END_CALLS) >= 1
    assert unfinished_runs(handle) == 0
    assert json.loads((tmp_path / "r.json").read_text())["timed_out"] is True


def test_timeout_while_the_service_fails_every_poll_ends_the_calls_and_exits_4(
    sandbox, tmp_path: Path
) -> None:
    handle = sandbox(faults=["runs:never_finish", "GET results:503"])
    with CliProcess(
        ("run", "-t", "critical", "--timeout", "3", "--json", "r.json"),
        cli_environment(handle.url),
        tmp_path,
    ) as cli:
        code = cli.finish(timeout_s=60)
    assert code == ExitCode.TIMEOUT, cli.stderr
    assert "Traceback" not in cli.stderr
    assert requests_to(handle, POST_END_CALLS) >= 1
    assert unfinished_runs(handle) == 0, "the calls were left running"
    assert json.loads((tmp_path / "r.json").read_text())["timed_out"] is True
