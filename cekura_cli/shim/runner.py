"""Run the shim: as a coroutine (``cekura shim serve``) or in a background thread
(``cekura run --serve/--local``).

``serve_shim`` binds, calls ``ready(url)`` once listening, serves until ``stop`` is
set, then drains (in-flight turns finish, open conversations are closed with 1001,
every transcript is flushed) and returns. ``start_shim_in_thread`` runs the same
coroutine on its own event loop in a daemon thread and returns a :class:`ShimHandle`
once the port is bound. Both raise :class:`UsageError` for a bad TARGET, a port in
use or an unusable transcripts directory.
"""

from __future__ import annotations

import asyncio
import errno
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cekura_cli.errors import UsageError
from cekura_cli.redact import register_secret
from cekura_cli.shim.adapters import Agent, load_agent
from cekura_cli.shim.store import TranscriptStore

START_TIMEOUT_S = 30.0
DEFAULT_MAX_CONVERSATIONS = 2000
"""Enough for PRODUCT.md §7's 1,000 idle conversations with room to spare (~66 MiB RSS
at 1,000); past it a new connection is closed with 1013 (try again later)."""
DEFAULT_TURN_TIMEOUT_S = 20.0
"""Below the tester's own 30 s turn timeout (the sandbox's, and what the service
allows), so an agent that misses it gets the fallback reply sent before the tester
gives up on the turn."""


@dataclass
class ShimConfig:
    """Everything ``cekura shim serve`` takes; ``port=0`` picks a free port."""

    target: str
    host: str = "127.0.0.1"
    port: int = 8765
    secret: str | None = None
    transcripts_dir: Path | None = None
    max_conversations: int = DEFAULT_MAX_CONVERSATIONS
    turn_timeout_s: float = DEFAULT_TURN_TIMEOUT_S
    max_frame_bytes: int = 1 << 20
    drain_timeout_s: float = 10.0
    ping_interval_s: float | None = 20.0
    ping_timeout_s: float | None = 20.0
    close_timeout_s: float = 10.0  # how long a closing handshake may take before abort


def _raise_open_files_limit(conversations: int) -> None:
    """Lift the soft open-files limit towards the hard one, so that the default
    ``max_conversations`` holds on a stock ``ulimit -n 1024`` (one socket each, plus
    transcripts and agent processes). Best effort; nothing to do off Unix."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    want = conversations + 256
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < want:
            new = want if hard == resource.RLIM_INFINITY else min(want, hard)
            if new > soft:
                resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    except (OSError, ValueError):
        pass


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"ws://{shown}:{port}"


def _bind_error(config: ShimConfig, exc: OSError) -> UsageError:
    where = f"{config.host}:{config.port}"
    if exc.errno == errno.EADDRINUSE:
        return UsageError(
            f"port {config.port} on {config.host} is already in use",
            hint="pick another with --port (or 0 for any free port)",
        )
    return UsageError(f"cannot listen on {where}: {exc.strerror or exc}")


async def serve_shim(
    config: ShimConfig,
    *,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
    agent: Agent | None = None,
    on_server: Callable[[Any], None] | None = None,
) -> None:
    """Serve ``config.target`` until ``stop`` is set, then drain and return."""
    from websockets.asyncio.server import serve

    from cekura_cli.shim.server import ShimServer

    if agent is None:
        agent = load_agent(config.target)
    register_secret(config.secret)
    _raise_open_files_limit(config.max_conversations)
    store = TranscriptStore(config.transcripts_dir)
    try:
        store.prepare()
    except OSError as exc:
        raise UsageError(
            f"cannot use transcripts directory {config.transcripts_dir}: {exc.strerror or exc}"
        ) from exc
    shim = ShimServer(
        agent,
        store,
        secret=config.secret,
        max_conversations=config.max_conversations,
        turn_timeout_s=config.turn_timeout_s,
    )
    if stop is None:
        stop = asyncio.Event()
    try:
        server = await serve(
            shim.handler,
            config.host,
            config.port,
            process_request=shim.process_request,
            max_size=config.max_frame_bytes,
            compression=None,  # short JSON chat frames: deflate costs CPU and ~100 KB/conn
            ping_interval=config.ping_interval_s,
            ping_timeout=config.ping_timeout_s,
            close_timeout=config.close_timeout_s,
        )
    except OSError as exc:
        await agent.shutdown()
        raise _bind_error(config, exc) from exc
    port = server.sockets[0].getsockname()[1]
    if on_server is not None:
        on_server(shim)
    try:
        if ready is not None:
            ready(_url(config.host, port))
        await stop.wait()
    finally:
        budget = shim.drain_timeout_s
        try:
            await shim.drain(server, config.drain_timeout_s if budget is None else budget)
        finally:
            await asyncio.to_thread(store.close)  # every queued transcript is on disk
            await agent.shutdown()


class ShimHandle:
    """A shim running in a background thread. Context manager; ``stop()`` is idempotent."""

    def __init__(
        self,
        url: str,
        port: int,
        thread: threading.Thread,
        loop: asyncio.AbstractEventLoop,
        stop_event: asyncio.Event,
        shim: Any,
    ) -> None:
        self.url = url
        self.port = port
        self._thread = thread
        self._loop = loop
        self._stop_event = stop_event
        self._shim = shim
        self._stopped = False

    def stop(self, timeout_s: float = 10.0) -> None:
        """Drain open conversations, flush their transcripts, and stop the thread."""
        if self._stopped:
            return
        self._stopped = True

        def begin() -> None:
            self._shim.drain_timeout_s = timeout_s
            self._stop_event.set()

        try:
            self._loop.call_soon_threadsafe(begin)
        except RuntimeError:
            return  # the loop already ended
        self._thread.join(timeout_s + 1.0)

    def note_numbers(self, numbers: dict[str, str]) -> None:
        """Customer numbers by run id (``customer.number`` of ``/calls``)."""
        self._shim.store.note_numbers(numbers)

    def calls(self) -> list[dict]:
        """Finished conversations in the Custom transcript provider format, oldest first."""
        return self._shim.store.calls()

    @property
    def active_conversations(self) -> int:
        return len(self._shim.live)

    def __enter__(self) -> ShimHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_shim_in_thread(config: ShimConfig) -> ShimHandle:
    """Start the shim on its own loop in a daemon thread; return once it listens."""
    agent = load_agent(config.target)  # a bad TARGET fails here, in the caller's thread
    started = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        box["loop"] = asyncio.get_running_loop()
        box["stop"] = asyncio.Event()

        def ready(url: str) -> None:
            box["url"] = url
            started.set()

        await serve_shim(
            config,
            ready=ready,
            stop=box["stop"],
            agent=agent,
            on_server=lambda shim: box.__setitem__("shim", shim),
        )

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the caller if it happens at start-up
            box["error"] = exc
        finally:
            started.set()

    thread = threading.Thread(target=run, name="cekura-shim", daemon=True)
    thread.start()
    if not started.wait(START_TIMEOUT_S):
        raise UsageError("the shim did not start listening in time")
    if "url" not in box:
        error = box.get("error")
        if isinstance(error, Exception):
            raise error
        raise UsageError("the shim stopped before it started listening")
    url: str = box["url"]
    return ShimHandle(
        url, int(url.rsplit(":", 1)[1]), thread, box["loop"], box["stop"], box["shim"]
    )
