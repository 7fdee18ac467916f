"""In-process servers for ``cekura run --local`` and ``cekura run --serve``.

``--local`` starts the sandbox (an emulation of the service) on an ephemeral loopback
port and, unless ``--websocket-url`` points elsewhere, the shim with the agent TARGET
(default: the bundled ``booking`` demo agent). The orchestrator then runs unchanged
against the sandbox's URL with a throw-away API key.

``--serve TARGET --public-url wss://…`` (against the real service) starts only the
shim; the service reaches it through the user's tunnel at the public URL.
Both stop their servers on the way out, whatever happened.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cekura_cli.errors import UsageError
from cekura_cli.ui import Ui

if TYPE_CHECKING:
    from cekura_cli.sandbox.scenario_file import Suite

DEFAULT_LOCAL_AGENT = "booking"
SHIM_TURN_TIMEOUT_S = 20.0  # cekura_cli.shim.runner.DEFAULT_TURN_TIMEOUT_S
TESTER_TURN_TIMEOUT_S = 30.0  # the sandbox tester's (and the service's) default
DEFAULT_SCENARIO_FILE = "cekura-scenarios.yaml"
BUNDLED_SUITE_NOTE = (
    "cekura: note: the bundled example suite is written for the 'booking' demo agent; "
    "for yours pass --scenarios FILE (e.g. examples/ci-agent-scenarios.yaml)"
)


@dataclass(frozen=True)
class LocalService:
    api_url: str
    api_key: str
    agent_id: int
    dashboard_url: str


def scenario_file(explicit: Path | None, directory: Path) -> Path | None:
    """``--scenarios FILE``, else ``./cekura-scenarios.yaml``, else None (the bundled suite)."""
    if explicit is not None:
        return explicit
    candidate = directory / DEFAULT_SCENARIO_FILE
    return candidate if candidate.is_file() else None


def check_turn_timeouts(
    shim_s: float | None, tester_s: float | None, *, local: bool, serve: bool
) -> None:
    """Usage errors for turn-timeout flags that cannot work (exit 2)."""
    if shim_s is not None and not (local or serve):
        raise UsageError("--turn-timeout is for --serve or --local runs (it is the shim's)")
    if tester_s is not None and not local:
        raise UsageError("--tester-turn-timeout is for --local runs (it is the sandbox's)")
    if shim_s is not None and tester_s is not None and shim_s >= tester_s:
        raise UsageError(
            f"--turn-timeout {shim_s:g} must be below --tester-turn-timeout {tester_s:g}",
            hint="otherwise the tester gives up before the shim's fallback reply is sent",
        )


def turn_timeouts(shim_s: float | None, tester_s: float | None) -> tuple[float, float]:
    """(shim, tester) turn timeouts for a local run: the shim's always below the tester's,
    so that an agent missing its deadline gets the fallback reply to the tester in time."""
    if shim_s is None and tester_s is None:
        return SHIM_TURN_TIMEOUT_S, TESTER_TURN_TIMEOUT_S
    if shim_s is None:
        assert tester_s is not None
        return min(SHIM_TURN_TIMEOUT_S, tester_s * 2 / 3), tester_s
    if tester_s is None:
        return shim_s, max(TESTER_TURN_TIMEOUT_S, shim_s * 1.5)
    return shim_s, tester_s


@contextmanager
def serve_agent(
    target: str,
    *,
    port: int = 0,
    secret: str | None,
    transcripts_dir: Path | None = None,
    ui: Ui,
    turn_timeout_s: float | None = None,
) -> Iterator[str]:
    """Run the shim with ``target`` on loopback (``port`` 0: a free one); yields its ws:// URL."""
    from cekura_cli.errors import UsageError
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    config = ShimConfig(target=target, port=port, secret=secret, transcripts_dir=transcripts_dir)
    if turn_timeout_s is not None:
        config.turn_timeout_s = turn_timeout_s
    try:
        handle = start_shim_in_thread(config)
    except UsageError as exc:  # name the flag: the TARGET came from --serve
        exc.message = f"--serve {target}: {exc.message}"
        raise
    try:
        ui.info(f"cekura: shim serving {target} on {handle.url}")
        yield handle.url
    finally:
        handle.stop()


@contextmanager
def local_service(
    *,
    scenarios: Path | None,
    target: str | None,
    websocket_url: str | None,
    secret: str | None,
    transcripts_dir: Path | None,
    ui: Ui,
    start_shim: bool = True,
    turn_timeout_s: float | None = None,
    tester_turn_timeout_s: float | None = None,
    suite: Suite | None = None,
    source: str | None = None,
) -> Iterator[LocalService]:
    """Sandbox (+ shim unless ``websocket_url``, or ``start_shim`` is False: API chat,
    where the CLI plays the agent itself) for the lifetime of the block.

    ``suite`` (already loaded, e.g. a suite file's ``local:`` blocks) replaces ``scenarios``;
    ``source`` names it in the start-up line.
    """
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread

    if suite is None:
        suite = load_suite(scenarios)  # a bad file fails here, before anything starts
    shim_timeout_s, tester_timeout_s = turn_timeouts(turn_timeout_s, tester_turn_timeout_s)
    with ExitStack() as stack:
        if websocket_url is None and start_shim:
            websocket_url = stack.enter_context(
                serve_agent(
                    target or DEFAULT_LOCAL_AGENT,
                    secret=secret,
                    transcripts_dir=transcripts_dir,
                    ui=ui,
                    turn_timeout_s=shim_timeout_s,
                )
            )
        api_key = "local_" + secrets.token_urlsafe(24)
        _mask_the_environments_key()
        sandbox = stack.enter_context(
            start_sandbox_in_thread(
                SandboxConfig(
                    suite=suite,
                    api_key=api_key,
                    agent_websocket_url=websocket_url,
                    websocket_secret=secret,
                    turn_timeout_s=tester_timeout_s,
                )
            )
        )
        source = source or (str(scenarios) if scenarios else "the bundled example suite")
        ui.info(f"cekura: local sandbox on {sandbox.url} with {source}")
        if scenarios is None and target not in (None, DEFAULT_LOCAL_AGENT):
            ui.info(BUNDLED_SUITE_NOTE)
        yield LocalService(
            api_url=sandbox.url,
            api_key=api_key,
            agent_id=sandbox.agent_id,
            dashboard_url=sandbox.url,
        )


@contextmanager
def local_sandbox(scenarios: Path | None) -> Iterator[LocalService]:
    """The sandbox alone, with no agent behind it: ``cekura scenarios list --local``."""
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread

    suite = load_suite(scenarios)  # a bad file fails here, before anything starts
    api_key = "local_" + secrets.token_urlsafe(24)
    with start_sandbox_in_thread(SandboxConfig(suite=suite, api_key=api_key)) as sandbox:
        yield LocalService(
            api_url=sandbox.url,
            api_key=api_key,
            agent_id=sandbox.agent_id,
            dashboard_url=sandbox.url,
        )


def _mask_the_environments_key() -> None:
    """The run uses a throw-away key, but the agent's environment still holds the real one:
    mask it too, in case the agent quotes it."""
    import os

    from cekura_cli.redact import register_secret

    register_secret(os.environ.get("CEKURA_API_KEY"))
