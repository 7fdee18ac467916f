"""``cekura sandbox serve``: run the local emulation of the Cekura service standalone.

Only typer and the standard library at import time; the sandbox (pydantic, yaml,
websockets) is imported inside the command so ``cekura --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from cekura_cli.exit_codes import ExitCode, exit_code_epilog

app = typer.Typer(
    help="Run the local sandbox that emulates the Cekura service (offline test runs).",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Run the local sandbox that emulates the Cekura service (offline test runs)."""


DEFAULT_SCENARIO_FILE = "cekura-scenarios.yaml"

FAULT_HELP = (
    "Inject a fault (repeatable; also CEKURA_SANDBOX_FAULTS, ';'-separated), e.g. "
    "'GET results:503:times=2', 'POST run:drop_after_read', 'runs:never_finish', "
    "'results:slow:min_duration=3'. See docs/sandbox.md."
)


EPILOG = exit_code_epilog(
    (ExitCode.OK, ExitCode.USAGE, ExitCode.SERVICE),
    {
        ExitCode.OK: "stopped by SIGTERM/SIGINT",
        ExitCode.USAGE: "usage error: bad scenario file, fault spec or option, port in use",
        ExitCode.SERVICE: "internal error (one line; CEKURA_DEBUG=1 for the traceback)",
    },
)


@app.command("serve", epilog=EPILOG)
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port (0: any free port)."),
    scenarios: Path | None = typer.Option(
        None,
        "--scenarios",
        metavar="FILE",
        help="Scenario file (default: ./cekura-scenarios.yaml if present, else the bundled "
        "example suite).",
    ),
    agent_websocket_url: str | None = typer.Option(
        None,
        "--agent-websocket-url",
        metavar="URL",
        help="The agent's ws:// URL (default: agent.websocket_url from the scenario file; "
        "a start request's websocket_url wins).",
    ),
    secret_env: str | None = typer.Option(
        None,
        "--secret-env",
        metavar="VAR",
        help="Environment variable holding the WebSocket secret the tester sends "
        "(X-VOCERA-SECRET; default CEKURA_WEBSOCKET_SECRET, unset: none is sent; a VAR "
        "named here must be set).",
    ),
    api_key_env: str = typer.Option(
        "CEKURA_API_KEY",
        "--api-key-env",
        metavar="VAR",
        help="Environment variable holding the API key to require; unset: any non-empty "
        "X-CEKURA-API-KEY is accepted.",
    ),
    fault: list[str] = typer.Option(
        [], "--fault", metavar="SPEC", help=FAULT_HELP, show_default=False
    ),
) -> ExitCode:
    """Serve the emulated API until SIGINT/SIGTERM, then exit 0.

    The sandbox answers the endpoints `cekura run` uses (scenarios, run_scenarios_text,
    results, runs/bulk, end_calls, aiagents) and plays each scenario's scripted tester
    against the agent over the Custom WebSocket protocol. GET /_sandbox/stats (no auth)
    shows its counters.
    """
    import contextlib
    import signal
    import threading

    from cekura_cli.redact import register_secret
    from cekura_cli.sandbox.faults import parse_fault_specs, specs_from_env
    from cekura_cli.sandbox.loader import load_suite
    from cekura_cli.sandbox.runner import SandboxConfig, start_sandbox_in_thread

    if scenarios is None and Path(DEFAULT_SCENARIO_FILE).is_file():
        scenarios = Path(DEFAULT_SCENARIO_FILE)
    suite = load_suite(scenarios)
    faults = parse_fault_specs([*fault, *specs_from_env(os.environ)])
    from cekura_cli.orchestration.guards import DEFAULT_SECRET_ENV, secret_from_env

    secret = secret_from_env(os.environ, secret_env)
    secret_env = secret_env or DEFAULT_SECRET_ENV
    api_key = os.environ.get(api_key_env) or None
    register_secret(secret)
    register_secret(api_key)

    handle = start_sandbox_in_thread(
        SandboxConfig(
            suite=suite,
            host=host,
            port=port,
            api_key=api_key,
            agent_websocket_url=agent_websocket_url,
            websocket_secret=secret,
            faults=faults,
        )
    )
    stop = threading.Event()
    previous: dict[int, object] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            # ValueError: not the main thread (embedded use), so the signals are not ours
            with contextlib.suppress(ValueError):
                previous[sig] = signal.signal(sig, lambda *_: stop.set())
        count = len(suite.scenarios)
        sys.stderr.write(
            f"cekura sandbox: serving on {handle.url} "
            f"({count} scenario{'s' if count != 1 else ''})\n"
        )
        sys.stderr.flush()
        while not stop.wait(0.5):
            pass
    finally:
        handle.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
    return ExitCode.OK
