"""Start and stop a whole sandbox in-process: HTTP server + conversation engine.

``start_sandbox_in_thread`` is what ``cekura run --local`` and ``cekura sandbox serve``
call. The HTTP server runs in its own thread (stdlib, one thread per connection); the
conversations run on an asyncio event loop in another daemon thread. The handle is
returned once the server listens (port 0 = an ephemeral port) and is a context manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cekura_cli.errors import UsageError
from cekura_cli.sandbox.agents import agent_chat
from cekura_cli.sandbox.dispatch import Effect
from cekura_cli.sandbox.engine import ConversationEngine, EngineSettings
from cekura_cli.sandbox.faults import FaultPlan, parse_fault_specs, specs_from_env
from cekura_cli.sandbox.scenario_file import Suite
from cekura_cli.sandbox.server import SandboxCore, make_server
from cekura_cli.sandbox.state import SandboxState

DEFAULT_CONCURRENCY = 100
"""Conversations talking at once. A slot is freed when the tester has said its last word,
so the 1 s close delays overlap: a 200-scenario x 5-turn echo suite takes ~1-2 s at 100 or
200 alike on 2 cores (benchmarks/local_run_bench.py); 100 halves the load on the agent."""


@dataclass
class SandboxConfig:
    suite: Suite
    host: str = "127.0.0.1"
    port: int = 0
    api_key: str | None = field(default=None, repr=False)  # None: any non-empty key
    agent_websocket_url: str | None = None
    websocket_secret: str | None = field(default=None, repr=False)  # the X-VOCERA-SECRET
    faults: FaultPlan | None = None  # None: from CEKURA_SANDBOX_FAULTS (if set)
    concurrency: int = DEFAULT_CONCURRENCY
    close_delay_s: float = 1.0  # "end_call then close after 1 s"
    turn_timeout_s: float = 30.0


class SandboxHandle:
    """A running sandbox; ``stop()`` is idempotent. Use as a context manager."""

    def __init__(
        self,
        *,
        url: str,
        agent_id: int,
        core: SandboxCore,
        server: Any,
        loop: asyncio.AbstractEventLoop,
        engine: ConversationEngine,
        threads: Sequence[threading.Thread],
    ) -> None:
        self.url = url
        self.agent_id = agent_id
        self.port = int(url.rsplit(":", 1)[1])
        self.core = core
        self._server = server
        self._loop = loop
        self._engine = engine
        self._threads = list(threads)
        self._stopped = False
        self._lock = threading.Lock()

    def stats(self) -> dict[str, Any]:
        """Counters: results/runs created, runs by status, requests by route, faults fired."""
        return self.core.stats()

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.shutdown()
        self._server.cut_connections()
        self._server.server_close()
        if self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._engine.shutdown(), self._loop)
            with contextlib.suppress(Exception):
                future.result(timeout=5.0)
            self._loop.call_soon_threadsafe(self._loop.stop)
        for thread in self._threads:
            thread.join(timeout=5.0)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _loop_thread() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="cekura-sandbox-loop", daemon=True)
    thread.start()
    ready.wait()
    return loop, thread


def start_sandbox_in_thread(config: SandboxConfig) -> SandboxHandle:
    """Start the sandbox; returns once it listens. UsageError when it cannot bind."""
    faults = config.faults
    if faults is None:
        faults = parse_fault_specs(specs_from_env(os.environ))
    state = SandboxState(config.suite, agent_websocket_url=config.agent_websocket_url)
    state.faults = faults  # API-chat faults act inside dispatch (sandbox/api_chat_routes.py)
    core = SandboxCore(state, api_key=config.api_key, faults=faults)
    loop, loop_thread = _loop_thread()
    agent_chat(state).websocket_secret = config.websocket_secret  # v2 shows it as set
    settings = EngineSettings(
        concurrency=config.concurrency,
        turn_timeout_s=config.turn_timeout_s,
        close_delay_s=config.close_delay_s,
        websocket_secret=config.websocket_secret,
    )

    async def create_engine() -> ConversationEngine:
        return ConversationEngine(core, settings)

    engine = asyncio.run_coroutine_threadsafe(create_engine(), loop).result()

    def on_effects(effects: tuple[Effect, ...]) -> None:
        # A request still being served while the sandbox stops must not crash its thread.
        with contextlib.suppress(RuntimeError):  # "Event loop is closed"
            loop.call_soon_threadsafe(engine.apply, effects)

    try:
        server = make_server(config.host, config.port, core, on_effects)
    except OSError as exc:
        loop.call_soon_threadsafe(loop.stop)
        loop_thread.join(timeout=5.0)
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"the sandbox cannot listen on {config.host}:{config.port}: {reason}",
            hint="pick another --port (0 = any free port)",
        ) from exc
    port = server.server_address[1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    server_thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="cekura-sandbox-http",
        daemon=True,
    )
    server_thread.start()
    return SandboxHandle(
        url=f"http://{host}:{port}",
        agent_id=config.suite.agent.id,
        core=core,
        server=server,
        loop=loop,
        engine=engine,
        threads=[server_thread, loop_thread],
    )


__all__ = ["DEFAULT_CONCURRENCY", "SandboxConfig", "SandboxHandle", "start_sandbox_in_thread"]
