"""The WebSocket glue: websockets.asyncio connections in, protocol core and agents out.

Per connection: the handler is the *reader* (it parses every frame as it arrives and
queues tester turns), and one *turn worker* task asks the agent and sends its
answers, one tester turn at a time, in order, never dropping one. So a greeting and
a first tester message may cross, the reader sees an ``end_call`` while the agent
thinks, and the event loop keeps answering pings however slow the agent is.

Everything websockets-specific (close codes, exceptions) stays here or in :mod:`.gate`
(secret check, HTTP routes); :mod:`.protocol`, :mod:`.session`, :mod:`.transcript` are pure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _encode_str
from typing import TYPE_CHECKING, Any

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State

from cekura_cli.shim.adapters.base import Agent, AgentSession
from cekura_cli.shim.diagnostics import close_reason, failure_detail, header_text, label
from cekura_cli.shim.gate import SECRET_HEADER, UNAUTHORIZED, SecretCheck, http_route
from cekura_cli.shim.protocol import FrameKind, parse_client_frame, plan_turn
from cekura_cli.shim.session import Conversation, EndedBy
from cekura_cli.shim.store import TranscriptStore

if TYPE_CHECKING:
    from websockets.asyncio.server import Server, ServerConnection

log = logging.getLogger("cekura_cli.shim")

RUN_ID_HEADER = "x-vocera-run-id"
SCENARIO_ID_HEADER = "x-vocera-scenario-id"
RESULT_ID_HEADER = "x-vocera-result-id"

FALLBACK_REPLY = "Sorry, I need a little more time. Could you say that again?"
"""Sent when the agent misses the per-turn timeout: better than silence."""

DRAIN_POLL_S = 0.01
AGENT_CLOSE_TIMEOUT_S = 5.0
FLUSH_TIMEOUT_S = 5.0

if sys.version_info >= (3, 11):

    async def _bounded(awaitable: Awaitable[Any], timeout_s: float) -> Any:
        async with asyncio.timeout(timeout_s):  # no extra task per turn
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def _bounded(awaitable: Awaitable[Any], timeout_s: float) -> Any:
        return await asyncio.wait_for(awaitable, timeout_s)


def _encode(message: dict[str, Any]) -> str:
    """``json.dumps(message)``, with a shortcut for the common plain content message."""
    if len(message) == 1:
        text = message.get("content")
        if type(text) is str:
            return '{"content": ' + _encode_str(text) + "}"
    return json.dumps(message)


@dataclass(eq=False)
class Live:
    """One open conversation: its connection, state, turn queue and worker."""

    ws: ServerConnection
    conv: Conversation
    session: AgentSession
    # tester turns waiting for the worker; a deque and a bare future are lighter on
    # the per-turn path than asyncio.Queue
    pending: deque[str] = field(default_factory=deque)
    wakeup: asyncio.Future[None] | None = None  # set while the worker waits for a turn
    busy: bool = True  # a turn (or the greeting) is in flight or queued
    worker: asyncio.Task[None] | None = None
    save_begun: bool = False
    saved: asyncio.Future[Any] | None = None  # the transcript writer's, once queued
    turn_deadline: float | None = None  # loop time; set only while the agent is awaited
    turn_task: asyncio.Task[Any] | None = None  # the task awaiting the agent
    timed_out: bool = False  # the watchdog cancelled the agent call


class ShimServer:
    """Serves one agent to many conversations; owns auth, limits, drain and /calls."""

    def __init__(
        self,
        agent: Agent,
        store: TranscriptStore,
        *,
        secret: str | None,
        max_conversations: int,
        turn_timeout_s: float,
    ) -> None:
        self.agent = agent
        self.store = store
        self.check = SecretCheck(secret)
        self.max_conversations = max_conversations
        self.turn_timeout_s = turn_timeout_s
        self.live: dict[str, Live] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self.closing = False
        self.drain_timeout_s: float | None = None  # set by ShimHandle.stop(timeout_s)
        self._loop_time = asyncio.get_running_loop().time

    # -- HTTP: /healthz and /calls ------------------------------------------------
    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        return http_route(request, check=self.check, health=self._health, calls=self.store.calls)

    def _health(self) -> dict[str, Any]:
        return {"status": "draining" if self.closing else "ok", "conversations": len(self.live)}

    # -- WebSocket conversations -------------------------------------------------
    async def handler(self, ws: ServerConnection) -> None:
        headers = ws.request.headers if ws.request is not None else Headers()
        if not self.check.websocket_ok(headers):
            log.warning("connection refused: missing, wrong or repeated %s", SECRET_HEADER)
            await ws.close(CloseCode.POLICY_VIOLATION, UNAUTHORIZED)
            return
        if self.closing:
            await ws.close(CloseCode.GOING_AWAY, "server shutting down")
            return
        if len(self.live) >= self.max_conversations:
            log.warning("connection refused: %d conversations open", len(self.live))
            await ws.close(CloseCode.TRY_AGAIN_LATER, "too many conversations")
            return
        x_headers: dict[str, str] = {}
        for name, value in headers.raw_items():
            lower = name.lower()
            if lower.startswith("x-") and lower != "x-vocera-secret":
                x_headers.setdefault(lower, header_text(value))
        conv = Conversation(
            clock=self._loop_time,
            started_wall=time.time(),
            run_id=x_headers.get(RUN_ID_HEADER),
            scenario_id=x_headers.get(SCENARIO_ID_HEADER),
            result_id=x_headers.get(RESULT_ID_HEADER),
            headers=x_headers,
        )
        try:
            session = self.agent.open(conv.context)
        except Exception as exc:
            detail = failure_detail(exc)
            log.error("%s: agent could not open a conversation: %s", label(conv), detail)
            conv.end(EndedBy.AGENT, f"agent error: {detail}")
            await _flushed(conv, self._begin_save(conv))
            await ws.close(CloseCode.INTERNAL_ERROR, close_reason(f"agent error: {detail}"))
            return
        live = Live(ws, conv, session)
        self.live[conv.id] = live
        # An instant session (pure, never suspends: the built-ins) needs no turn worker:
        # its greeting and every turn are answered right here, in order.
        instant = getattr(session, "instant", False) is True
        if not instant:
            live.worker = asyncio.create_task(self._work(live))
        self._start_watchdog()
        try:
            if instant:
                await self._agent_turn(live, session.on_start(conv.context), fallback=None)
                live.busy = False
            await self._read(live)
        except ConnectionClosed:
            pass
        finally:
            await self._finish(live)

    async def _read(self, live: Live) -> None:
        conv, pending, session = live.conv, live.pending, live.session
        # An instant session (pure, never suspends: the built-ins) is answered right here
        # when the worker is idle: no hand-off, same order, nothing to time out.
        instant = getattr(session, "instant", False) is True
        turn = FrameKind.TURN
        try:
            async for data in live.ws:
                frame = parse_client_frame(data)
                if conv.ended:
                    continue  # e.g. after the agent's end_call, until the close completes
                if live.ws.state is not State.OPEN:
                    # Closing (e.g. 1009 after an oversized frame): frames still buffered
                    # are recorded, but an answer could never arrive; sending one would
                    # only wait for the close to finish.
                    if frame.kind is turn:
                        conv.tester_said(frame.content)  # type: ignore[arg-type]
                    continue
                if frame.kind is turn:
                    text: str = frame.content  # type: ignore[assignment]
                    arrived = conv.tester_said(text)
                    if instant and not pending and (live.worker is None or live.wakeup is not None):
                        await self._answer_inline(live, text, arrived)
                        continue
                    pending.append(text)
                    live.busy = True
                    wakeup = live.wakeup
                    if wakeup is not None:
                        live.wakeup = None
                        if not wakeup.done():
                            wakeup.set_result(None)
                elif frame.kind is FrameKind.END_CALL:
                    if frame.content:
                        conv.tester_said(frame.content)
                    conv.end(EndedBy.TESTER, "end_call")
                    return  # the service closes by itself; we must not answer
                else:
                    log.debug("%s: ignored a frame (%s)", label(conv), frame.reason)
        except ConnectionClosed:
            pass
        if not conv.ended:
            by, reason = _why_closed(live.ws)
            conv.end(by, reason)

    async def _work(self, live: Live) -> None:
        conv, pending, session = live.conv, live.pending, live.session
        context = conv.context
        create_future = asyncio.get_running_loop().create_future
        try:
            await self._agent_turn(live, session.on_start(context), fallback=None)
            while not conv.ended:
                if not pending:
                    live.busy = False
                    live.wakeup = create_future()
                    await live.wakeup
                    continue
                text = pending.popleft()
                conv.tester_turn_taken(text)
                await self._agent_turn(live, session.on_message(text, context), FALLBACK_REPLY)
        except ConnectionClosed:
            pass
        except Exception as exc:  # a bug on our side of a turn must not leave the call mute
            await self._agent_failed(live, exc)
        finally:
            live.busy = False

    # One watchdog per server instead of a timer per turn: arming a deadline is a float
    # store, while asyncio.timeout() costs a timer-heap push and cancel on every turn.
    def _start_watchdog(self) -> None:
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.ensure_future(self._watch_turns())

    async def _watch_turns(self) -> None:
        interval = min(1.0, max(0.005, self.turn_timeout_s / 10))
        while self.live:
            await asyncio.sleep(interval)
            now = self._loop_time()
            for live in list(self.live.values()):
                deadline = live.turn_deadline
                if deadline is not None and now >= deadline and not live.timed_out:
                    live.timed_out = True
                    if live.turn_task is not None:
                        live.turn_task.cancel()  # lands inside the agent await (see below)

    async def _agent_turn(self, live: Live, answer: Awaitable[Any], fallback: str | None) -> None:
        """Await one agent answer, bounded by the turn timeout, and send it."""
        conv = live.conv
        started = conv.now()
        # The deadline is set only while this coroutine is suspended in `await answer`,
        # so a watchdog cancel can only interrupt the agent, never a send.
        live.turn_deadline = conv.started_loop + started + self.turn_timeout_s
        live.turn_task = asyncio.current_task()
        try:
            raw = await answer
        except asyncio.CancelledError:
            if not live.timed_out:
                raise
            live.timed_out = False
            task = asyncio.current_task()
            if task is not None and hasattr(task, "uncancel"):
                task.uncancel()
            log.warning("%s: agent missed the %gs turn timeout", label(conv), self.turn_timeout_s)
            if fallback is None:
                return
            raw = fallback
        except Exception as exc:  # AgentError, or a bug in user code: end this call only
            await self._agent_failed(live, exc)
            return
        finally:
            live.turn_deadline = live.turn_task = None
        await self._send_turn(live, raw, started)

    async def _answer_inline(self, live: Live, text: str, arrived: float) -> None:
        """An instant agent's turn, in the reader: no hand-off, no deadline to arm, and
        the usual reply (one plain text) goes out without building a turn plan."""
        conv = live.conv
        conv.tester_turn_taken(text)
        try:
            raw = await live.session.on_message(text, conv.context)
        except Exception as exc:
            await self._agent_failed(live, exc)
            return
        if type(raw) is dict and len(raw) == 1:
            reply = raw.get("content")
            if type(reply) is str:
                await live.ws.send('{"content": ' + _encode_str(reply) + "}")
                conv.agent_said(reply, arrived, conv.now())
                return
        await self._send_turn(live, raw, arrived)

    async def _send_turn(self, live: Live, raw: Any, started: float) -> None:
        """Send an agent's answer in protocol order, record it, honour its end_call."""
        conv, ws = live.conv, live.ws
        try:
            plan = plan_turn(raw)
            frames = [_encode(message) for message in plan.messages]
        except Exception as exc:  # an answer we cannot plan or encode is the agent's error
            await self._agent_failed(live, exc)
            return
        for problem in plan.problems:
            log.warning("%s: %s", label(conv), problem)
        if conv.ended or not frames or ws.state is not State.OPEN:
            return  # the tester hung up meanwhile: never answer after end_call
        for frame in frames:
            await ws.send(frame)
        conv.agent_sent(plan.messages, started, conv.now())
        if plan.ends_call:
            await self._save_once(live, flush=True)  # on disk first, then close normally
            await ws.close(CloseCode.NORMAL_CLOSURE)

    async def _agent_failed(self, live: Live, exc: Exception) -> None:
        """The agent raised: end this conversation only (recorded as the agent's doing).

        The cause goes everywhere the tester and the user look: the transcript's
        ``reason``, the log line (with the run id) and the 1011 close reason, which the
        service (and the sandbox) shows as the run's reason.
        """
        conv = live.conv
        detail = failure_detail(exc)
        log.error("%s: agent failed: %s", label(conv), detail)
        if conv.end(EndedBy.AGENT, f"agent error: {detail}"):
            await self._save_once(live, flush=True)
            await live.ws.close(CloseCode.INTERNAL_ERROR, close_reason(f"agent error: {detail}"))

    async def _finish(self, live: Live) -> None:
        """After the reader stopped: stop the worker, flush the transcript, close the agent."""
        worker = live.worker
        if worker is not None and not worker.done():
            # the connection is closed: nothing the worker still does can reach the
            # tester, and the transcript save it may be in is shielded and shared
            worker.cancel()
            await asyncio.wait([worker])
        try:
            await self._save_once(live)
        finally:
            self.live.pop(live.conv.id, None)  # a failed write must not pin the slot
        try:
            await _bounded(live.session.close(), AGENT_CLOSE_TIMEOUT_S)
        except Exception as exc:
            log.warning("%s: agent close failed: %s", label(live.conv), failure_detail(exc))
        # the agent is done with it; the kept transcript does not need it
        live.conv.context.history = []

    async def _save_once(self, live: Live, *, flush: bool = False) -> None:
        """Record the conversation and queue its transcript (once).

        Only ``flush`` (the agent ends the call, or failed) waits for the file, bounded,
        before the close: otherwise a slow disk would hold every finishing conversation
        (and its slot). Queued files are written in order; shutdown waits for them all.
        """
        if not live.save_begun:
            live.save_begun = True
            live.saved = self._begin_save(live.conv)
        if flush:
            await _flushed(live.conv, live.saved)

    def _begin_save(self, conv: Conversation) -> asyncio.Future[Any] | None:
        """Record ``conv`` and queue its file; the future settles once it is written."""
        if not conv.ended:
            conv.end(EndedBy.DISCONNECT, "closed")
        if log.isEnabledFor(logging.INFO):
            log.info("%s ended by %s (%s)", label(conv), conv.ended_by, conv.end_reason)
        try:
            return self.store.save_async(conv)
        except Exception as exc:  # e.g. a document we cannot encode: keep serving, say so
            log.error("%s: transcript not written: %s", label(conv), failure_detail(exc))
            return None

    # -- shutdown -----------------------------------------------------------------
    async def drain(self, server: Server, timeout_s: float) -> None:
        """Stop accepting, let in-flight turns finish, close the rest, flush transcripts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout_s)
        self.closing = True
        server.close(close_connections=False)  # stop listening; new handshakes get 503
        settle_by = loop.time() + min(timeout_s / 2, self.turn_timeout_s)
        while loop.time() < settle_by and any(live.busy for live in self.live.values()):
            await asyncio.sleep(DRAIN_POLL_S)  # shutdown only: polling keeps turns cheap
        closing = []
        for live in list(self.live.values()):
            live.conv.end(EndedBy.SERVER_SHUTDOWN, "server shutting down")
            closing.append(
                asyncio.ensure_future(live.ws.close(CloseCode.GOING_AWAY, "server shutting down"))
            )
        remaining = max(0.1, deadline - loop.time())
        if closing:
            await asyncio.wait(closing, timeout=remaining)
        try:
            await _bounded(server.wait_closed(), max(0.1, deadline - loop.time()))
        except asyncio.TimeoutError:
            log.warning("shutdown: some conversations did not close in time")
        if self._watchdog is not None:
            self._watchdog.cancel()
        for live in list(self.live.values()):  # last resort: never lose a transcript
            if not live.save_begun:
                live.save_begun = True
                self.store.save(live.conv)


async def _flushed(conv: Conversation, saved: asyncio.Future[Any] | None) -> None:
    """Wait (at most FLUSH_TIMEOUT_S) until the writer has put ``conv``'s file on disk."""
    if saved is None or saved.done():
        return
    try:
        await _bounded(asyncio.shield(saved), FLUSH_TIMEOUT_S)  # a timeout never cancels it
    except asyncio.TimeoutError:
        log.warning("%s: transcript not written yet after %gs", label(conv), FLUSH_TIMEOUT_S)


def _why_closed(ws: ServerConnection) -> tuple[EndedBy, str]:
    """Who ended a conversation that closed without an end_call, and why."""
    protocol = ws.protocol
    sent, rcvd = protocol.close_sent, protocol.close_rcvd
    if rcvd is not None and (sent is None or protocol.close_rcvd_then_sent):
        return EndedBy.DISCONNECT, f"closed by the tester ({rcvd.code})"
    if sent is not None:
        if sent.code == CloseCode.MESSAGE_TOO_BIG:
            return EndedBy.DISCONNECT, f"frame too large ({sent.code})"
        if sent.code == CloseCode.INTERNAL_ERROR and "keepalive" in sent.reason:
            return EndedBy.TIMEOUT, "keepalive ping timeout"
        return EndedBy.DISCONNECT, f"closed by the shim ({sent.code} {sent.reason})".strip()
    return EndedBy.DISCONNECT, "connection lost"
