"""I/O helpers for the reliability suite (and benchmarks/soak_faults.py): start the
in-process sandbox and shims, run the real CLI process against them, watch it, signal it.

Every wait here is bounded, so a bug can stall one case for at most its timeout,
never the whole suite.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reliability_matrix import FaultCase, check_case, expected_outcome

API_KEY = "sk_test_R3liab1lity_9f8e7d6c5b4a3210_key"
"""Distinctive, so that a leak of any long piece of it is found (see :func:`leaks`)."""
WEBSOCKET_SECRET = "wss_S3cr3t_Reliab1lity_0a1b2c3d4e5f6789"

CLI_TIMEOUT_S = 90.0
SANDBOX_CLOSE_DELAY_S = 0.2
"""The tester's wait after end_call (1 s in the sandbox by default): shorter runs."""

POST_RUN = "POST /test_framework/v1/scenarios/run_scenarios_text/"
GET_RESULT = "GET /test_framework/v1/results/{id}/"
POST_END_CALLS = "POST /test_framework/v1/results/{id}/end_calls/"
UNFINISHED_RUN_STATUSES = frozenset({"pending", "in_progress", "evaluating"})


# --- servers -----------------------------------------------------------------------------


def start_sandbox(
    *,
    agent_url: str,
    faults: Sequence[str] = (),
    seed: int = 7,
    api_key: str | None = API_KEY,
    websocket_secret: str | None = None,
    suite_path: Path | None = None,
) -> Any:
    """A running sandbox (a SandboxHandle: ``.url``, ``.stats()``, ``.stop()``)."""
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
    from cekura_cli.sandbox.faults import parse_fault_specs

    return start_sandbox_in_thread(
        SandboxConfig(
            suite=load_suite(suite_path),
            api_key=api_key,
            agent_websocket_url=agent_url,
            websocket_secret=websocket_secret,
            faults=parse_fault_specs(list(faults), seed=seed),
            close_delay_s=SANDBOX_CLOSE_DELAY_S,
        )
    )


@contextlib.contextmanager
def running_shims(*targets: str) -> Iterator[dict[str, str]]:
    """In-process shims for the demo agents: ``{target: ws_url}``."""
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    handles = []
    try:
        for target in targets:
            handles.append(start_shim_in_thread(ShimConfig(target=target, port=0)))
        yield {target: h.url for target, h in zip(targets, handles, strict=True)}
    finally:
        for handle in handles:
            handle.stop()


def scenario_counts(tags: Sequence[str | None]) -> dict[str | None, int]:
    """How many scenarios of the bundled suite each tag selects (None: all of them)."""
    from cekura_cli.sandbox import load_suite

    scenarios = load_suite(None).scenarios
    return {tag: sum(1 for s in scenarios if tag is None or tag in s.tags) for tag in tags}


def free_port() -> int:
    """A port that was free a moment ago (for flags that cannot take 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def requests_to(handle: Any, route: str) -> int:
    return int(handle.stats()["requests"].get(route, 0))


def unfinished_runs(handle: Any) -> int:
    by_status = handle.stats()["runs_by_status"]
    return sum(n for status, n in by_status.items() if status in UNFINISHED_RUN_STATUSES)


# --- the CLI process ---------------------------------------------------------------------


def cli_environment(sandbox_url: str, *, api_key: str = API_KEY, **extra: str) -> dict[str, str]:
    """The CLI's environment: the outer CEKURA_/CI variables removed, the sandbox set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CEKURA_", "GITHUB_", "GITLAB_", "CI_"))
        and k not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    env.update(
        {
            "CEKURA_API_KEY": api_key,
            "CEKURA_API_URL": sandbox_url,
            "CEKURA_AGENT_ID": "1",
            "CI": "true",
            "COLUMNS": "160",
        }
    )
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str], env: Mapping[str, str], cwd: Path, timeout_s: float = CLI_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
    )


class CliProcess:
    """The CLI (or any ``cekura`` command) in the background, its output collected live.

    A context manager: on the way out a process still running is killed, so a failed
    assertion never leaves one behind.
    """

    def __init__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cekura_cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(env),
            cwd=cwd,
        )
        self._lock = threading.Lock()
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            with self._lock:
                sink.append(line)

    @property
    def stdout(self) -> str:
        with self._lock:
            return "".join(self._out)

    @property
    def stderr(self) -> str:
        with self._lock:
            return "".join(self._err)

    def wait_for(self, condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
        """Poll ``condition`` until it holds (True), the process ends or time runs out."""
        return wait_until(lambda: condition() or self.proc.poll() is not None, timeout_s) and (
            condition()
        )

    def wait_for_stderr(self, text: str, timeout_s: float = 30.0) -> bool:
        return self.wait_for(lambda: text in self.stderr, timeout_s)

    def send(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self, timeout_s: float = 30.0) -> int:
        """Wait for the exit code (killing the process if it overstays) and the output."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            self.proc.kill()
            self.proc.wait()
            message = f"the CLI did not exit within {timeout_s} s:\n{self.stderr}"
            raise AssertionError(message) from exc
        for reader in self._readers:
            reader.join(timeout=5.0)
        return code

    def __enter__(self) -> CliProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for reader in self._readers:
            reader.join(timeout=5.0)


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Poll ``condition`` every 20 ms until it holds (True) or ``timeout_s`` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def fault_fired(handle: Any, spec: str) -> Callable[[], bool]:
    """A condition: the sandbox has acted on ``spec`` at least once (a slow one is in flight)."""
    return lambda: handle.stats()["faults_fired"].get(spec, 0) >= 1


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


# --- secrets -------------------------------------------------------------------------------

LEAK_WINDOW = 8
"""A leak is any 8 characters of a secret in a row (a mask shows at most the last 4)."""


def leaks(text: str, secret: str, *, window: int = LEAK_WINDOW) -> list[str]:
    """The pieces of ``secret`` found in ``text``: any ``window``-long run of it, or the
    whole secret base64- or percent-encoded."""
    found = sorted(
        {secret[i : i + window] for i in range(len(secret) - window + 1)}
        & {text[i : i + window] for i in range(len(text) - window + 1)}
    )
    encoded = base64.b64encode(secret.encode()).decode()
    if encoded[:-4] in text:
        found.append(f"base64({secret[:4]}…)")
    return found


def channel_texts(paths: Sequence[Path]) -> dict[str, str]:
    """Every file under ``paths`` (files or directories), read as text, by path."""
    texts: dict[str, str] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                texts[str(file)] = file.read_text(encoding="utf-8", errors="replace")
    return texts


# --- one matrix case ------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRun:
    """What one matrix case did: the CLI's answer and the sandbox's counters."""

    case: FaultCase
    exit_code: int
    stats: dict[str, Any]
    report: dict[str, Any] | None
    stderr: str
    elapsed_s: float
    problems: list[str]

    @property
    def faults_injected(self) -> int:
        return sum(self.stats.get("faults_fired", {}).values())


def run_matrix_case(
    case: FaultCase, *, agent_urls: Mapping[str, str], counts: Mapping[str | None, int], cwd: Path
) -> CaseRun:
    """Start a sandbox with the case's faults, run ``cekura run`` against it, check it."""

    report_path = cwd / f"report-{case.index}.json"
    sandbox = start_sandbox(agent_url=agent_urls[case.agent], faults=case.faults, seed=case.seed)
    with sandbox as handle:
        started = time.monotonic()
        result = run_cli(case.cli_args(str(report_path)), cli_environment(handle.url), cwd)
        elapsed = time.monotonic() - started
        stats = handle.stats()
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    expected = expected_outcome(case, counts[case.tag])
    code, stderr = result.returncode, result.stderr
    problems = check_case(case, expected, exit_code=code, stats=stats, report=report, stderr=stderr)
    return CaseRun(case, code, stats, report, stderr, elapsed, problems)
