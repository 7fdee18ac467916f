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

from cekura_cli.ui import Ui

DEFAULT_LOCAL_AGENT = "booking"
DEFAULT_SCENARIO_FILE = "cekura-scenarios.yaml"


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


@contextmanager
def serve_agent(
    target: str,
    *,
    port: int = 0,
    secret: str | None,
    transcripts_dir: Path | None = None,
    ui: Ui,
) -> Iterator[str]:
    """Run the shim with ``target`` on loopback (``port`` 0: a free one); yields its ws:// URL."""
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    handle = start_shim_in_thread(
        ShimConfig(target=target, port=port, secret=secret, transcripts_dir=transcripts_dir)
    )
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
) -> Iterator[LocalService]:
    """Sandbox (+ shim unless ``websocket_url``, or ``start_shim`` is False: API chat,
    where the CLI plays the agent itself) for the lifetime of the block."""
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread

    suite = load_suite(scenarios)  # a bad file fails here, before anything starts
    with ExitStack() as stack:
        if websocket_url is None and start_shim:
            websocket_url = stack.enter_context(
                serve_agent(
                    target or DEFAULT_LOCAL_AGENT,
                    secret=secret,
                    transcripts_dir=transcripts_dir,
                    ui=ui,
                )
            )
        api_key = "local_" + secrets.token_urlsafe(24)
        sandbox = stack.enter_context(
            start_sandbox_in_thread(
                SandboxConfig(
                    suite=suite,
                    api_key=api_key,
                    agent_websocket_url=websocket_url,
                    websocket_secret=secret,
                )
            )
        )
        source = str(scenarios) if scenarios else "the bundled example suite"
        ui.info(f"cekura: local sandbox on {sandbox.url} with {source}")
        yield LocalService(
            api_url=sandbox.url,
            api_key=api_key,
            agent_id=sandbox.agent_id,
            dashboard_url=sandbox.url,
        )
