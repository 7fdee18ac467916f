"""Drive every conversation of an API-chat result, at most N at once, in the background.

:class:`ChatPool` runs its own event loop in a daemon thread (the main thread keeps
waiting for the result with the orchestrator's usual polling), so the agent adapters
(async, like the shim's) and the one shared :class:`~cekura_cli.api.chat.ChatClient`
live on that loop. :meth:`ChatPool.stop` ends every open chat (``end-chat``, in
parallel, bounded) and returns within a few seconds whatever the service does; a run
that never got a slot is ended as well.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cekura_cli.apichat.driver import Ending
from cekura_cli.apichat.io import ChatRun, DriveSettings, Stopper, drive_conversation
from cekura_cli.shim.session import EndedBy

if TYPE_CHECKING:
    import httpx

    from cekura_cli.api.chat import ChatClient
    from cekura_cli.api.models import Run
    from cekura_cli.shim.adapters.base import Agent

log = logging.getLogger("cekura_cli.apichat")

STOP_GRACE_S = 2.0
"""Beyond the end-chat budget, how long :meth:`ChatPool.stop` waits for the thread."""
START_TIMEOUT_S = 10.0
CONVERSATIONS_PER_CLIENT = 4


@dataclass
class PoolConfig:
    base_url: str
    api_key: str
    concurrency: int = 10
    transcripts_dir: Path | None = None
    deadline: float | None = None
    """Monotonic time after which no retry is scheduled (the run's --timeout)."""
    drive: DriveSettings = field(default_factory=DriveSettings)
    wrap_transport: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None
    """For tests and benchmarks: wraps each client's real transport (to count requests)."""


class ChatPool:
    """Every conversation of one result; ``endings`` fills in as they end."""

    def __init__(self, agent: Agent, config: PoolConfig) -> None:
        from cekura_cli.shim.store import TranscriptStore

        self.agent = agent
        self.runs: list[ChatRun] = []
        self.config = config
        self.store = TranscriptStore(config.transcripts_dir)
        self.store.prepare()  # a bad directory fails here, before any chat is driven
        self.endings: dict[int, Ending] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopper: Stopper | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._thread_main, name="cekura-apichat", daemon=True
        )

    # -- control from the main thread --------------------------------------------------
    def start(self, runs: Sequence[ChatRun]) -> None:
        self.runs = list(runs)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):  # pragma: no cover - a stuck thread
            raise RuntimeError("the API-chat driver did not start")

    def stop(self, reason: str = "interrupted") -> None:
        """End every open chat (bounded) and wait for the driver thread."""
        loop, stopper = self._loop, self._stopper
        if loop is not None and stopper is not None and self._thread.is_alive():
            loop.call_soon_threadsafe(stopper.stop, reason)
        self.join(self.config.drive.end_chat_timeout_s + STOP_GRACE_S)

    def join(self, timeout_s: float | None = None) -> bool:
        """True once every conversation has ended (the thread finished)."""
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def done(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def failures(self) -> dict[int, str]:
        """run id -> the cause, for the conversations that failed on our side."""
        return {run_id: e.cause for run_id, e in list(self.endings.items()) if e.cause}

    def amend_runs(self, runs: Sequence[Run]) -> list[Run]:
        """The service's runs with our local failures as their error (reason): the
        service cannot know that the agent raised, hung or exited, so our cause wins
        over whatever it made of the ended chat."""
        failures = self.failures()
        out = []
        for run in runs:
            cause = failures.get(run.id)
            if cause is None:
                out.append(run)
            else:
                out.append(run.model_copy(update={"error_message": cause, "success": False}))
        return out

    def _clients(self) -> list[ChatClient]:
        """One HTTP client per :data:`CONVERSATIONS_PER_CLIENT` conversations driven at
        once: httpcore's pool does O(connections x waiting requests) work per request,
        so one pool of 200 connections costs more CPU than the conversations themselves."""
        import httpx

        from cekura_cli.api.chat import ChatClient, tls_context

        config = self.config
        width = min(max(1, config.concurrency), max(1, len(self.runs)))
        shards = -(-width // CONVERSATIONS_PER_CLIENT)
        verify = tls_context(config.base_url)
        clients = []
        for _ in range(shards):
            transport: httpx.AsyncBaseTransport | None = None
            if config.wrap_transport is not None:
                limits = httpx.Limits(max_connections=CONVERSATIONS_PER_CLIENT * 2)
                transport = config.wrap_transport(
                    httpx.AsyncHTTPTransport(verify=verify, limits=limits)
                )
            chat = ChatClient(
                base_url=config.base_url,
                api_key=config.api_key,
                transport=transport,
                verify=verify,
                max_connections=CONVERSATIONS_PER_CLIENT * 2,
            )
            chat.deadline = config.deadline
            clients.append(chat)
        return clients

    # -- the driver thread ------------------------------------------------------------
    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # pragma: no cover - a bug here must not kill the CLI silently
            log.exception("the API-chat driver crashed")
        finally:
            self._ready.set()

    async def _main(self) -> None:

        self._loop = asyncio.get_running_loop()
        self._stopper = stopper = Stopper()
        clients = self._clients()
        self._ready.set()
        slots = asyncio.Semaphore(max(1, self.config.concurrency))
        try:
            await asyncio.gather(
                *(
                    self._one(run, clients[index % len(clients)], slots, stopper)
                    for index, run in enumerate(self.runs)
                )
            )
        finally:
            for chat in clients:
                await chat.aclose()
            try:
                await asyncio.wait_for(self.agent.shutdown(), 5.0)
            except Exception as exc:
                log.warning("agent shutdown failed: %s", type(exc).__name__)

    async def _one(
        self, run: ChatRun, chat: ChatClient, slots: asyncio.Semaphore, stopper: Stopper
    ) -> None:
        acquire = asyncio.ensure_future(slots.acquire())
        stopped = asyncio.ensure_future(stopper.event.wait())
        await asyncio.wait({acquire, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not acquire.done() or stopper.stopped:
            if acquire.done() and not acquire.cancelled():
                slots.release()
            acquire.cancel()
            # never driven, but open on the service: end it too
            await chat.end_chat(
                run.run_id, stopper.reason, timeout_s=self.config.drive.end_chat_timeout_s
            )
            return
        try:
            self.endings[run.run_id] = await drive_conversation(
                run,
                agent=self.agent,
                chat=chat,
                store=self.store,
                settings=self.config.drive,
                stopper=stopper,
            )
        except Exception as exc:  # a bug in one conversation must not stop the others
            log.exception("run %s: the driver failed", run.run_id)
            cause = f"internal error: {type(exc).__name__}"
            self.endings[run.run_id] = Ending(EndedBy.AGENT, cause, cause=cause)
        finally:
            slots.release()
