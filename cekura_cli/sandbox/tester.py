"""The scripted tester: plays one scenario against the agent over the real protocol.

It behaves like the service's testing agent (``websocket-protocol.md``): it is the
WebSocket client, sends ``X-VOCERA-SECRET`` (only when a secret is configured),
``X-VOCERA-SCENARIO-ID``, ``X-VOCERA-RESULT-ID``, ``X-VOCERA-RUN-ID`` and the test
profile's ``X-`` headers, pings every 30 s (10 s pong timeout), sends one content frame
per scripted turn, and at the end sends ``{"type": "end_call"}`` and closes after
``close_delay_s`` unless the agent closes first.

Who speaks first:

- ``agent``: the tester waits (``greeting_timeout_s``) for the agent's first content
  frame and records it as the greeting. No greeting in time: the tester goes on with
  turn 1 and the "agent speaks first" check fails.
- ``tester``: the tester pings once and drains what arrived before the pong, then sends
  turn 1. Anything the agent said before the tester's first message was sent is
  recorded as a greeting, never as the answer to turn 1. (An agent that greets later
  than one round trip *and* answers will be mis-read; such agents want ``agent``.)

Per turn the tester collects Function Call / Function Call Result frames and metadata
until one content frame, an ``end_call`` from the agent (its content is the reply), or
the socket closing (the agent hung up) — bounded by ``turn_timeout_s``. Errors that mean
the conversation could not be held (connection refused, HTTP rejection, close code 1008,
a turn timeout) end it with ``record.error`` set; the run then fails as an
infrastructure error. Foreign (websockets/OS) exceptions are translated here.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import (
    ConnectionClosed,
)

from cekura_cli.sandbox.conversation import (
    AGENT,
    FUNCTION_CALL,
    FUNCTION_RESULT,
    TESTER,
    ConversationRecord,
    EndedBy,
    ToolCall,
    TurnRecord,
    record_transcript,
)
from cekura_cli.sandbox.handshake import (  # noqa: F401 - re-exported
    OPEN_TIMEOUT_S,
    PING_INTERVAL_S,
    PING_TIMEOUT_S,
    _open,
    _OpenFailed,
    not_json_error,
    vocera_headers,
)

NOT_JSON_GRACE_S = 2.0
"""After a text frame that is not JSON, how long a turn still waits for a real reply."""
_TIMEOUTS = (asyncio.TimeoutError, TimeoutError)


@dataclass(frozen=True)
class ConversationPlan:
    """Everything the tester needs for one run."""

    url: str
    turns: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()
    first_speaker: str = "agent"
    greeting_timeout_s: float = 5.0
    turn_timeout_s: float = 30.0
    close_delay_s: float = 1.0
    end_call_content: str | None = None  # said with the tester's end_call, if any


@dataclass
class CallControl:
    """Lets ``end_calls`` stop a conversation from outside the tester."""

    ws: ClientConnection | None = None
    stopped: bool = False
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_call_sent: bool = False
    release: Callable[[], None] | None = None
    """Called once the tester has said its last word (frees the concurrency slot)."""

    def last_word(self) -> None:
        if self.release is not None:
            self.release()

    async def end(self, close_delay_s: float) -> None:
        """Send end_call, wait ``close_delay_s`` (or for the close), then close."""
        self.stopped = True
        self.ended.set()
        ws = self.ws
        if ws is None:
            return
        try:
            if not self.end_call_sent:
                self.end_call_sent = True
                await ws.send(json.dumps({"type": "end_call"}))
            await asyncio.wait_for(ws.wait_closed(), close_delay_s)
        except _TIMEOUTS:
            pass
        except ConnectionClosed:
            return
        await ws.close()


if sys.version_info >= (3, 11):

    async def _recv(ws: ClientConnection, timeout_s: float) -> str | bytes:
        async with asyncio.timeout(timeout_s):  # no task per frame, unlike wait_for
            return await ws.recv()

else:  # pragma: no cover - Python 3.10

    async def _recv(ws: ClientConnection, timeout_s: float) -> str | bytes:
        return await asyncio.wait_for(ws.recv(), timeout_s)


class _Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class _Conversation:
    def __init__(
        self, plan: ConversationPlan, control: CallControl, clock: Callable[[], float]
    ) -> None:
        self.plan = plan
        self.control = control
        self.clock = clock
        self.record = ConversationRecord(first_speaker=plan.first_speaker)
        self.t0 = clock()
        self.not_json: str | None = None  # the first non-JSON text frame of this turn

    def now(self) -> float:
        return self.clock() - self.t0

    async def frame(self, ws: ClientConnection, timeout_s: float) -> dict[str, Any] | None:
        """The next JSON object frame; None on timeout; _Closed when the socket closed."""
        deadline = self.clock() + timeout_s
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return None
            try:
                raw = await _recv(ws, remaining)
            except _TIMEOUTS:
                return None
            except ConnectionClosed as exc:
                close = exc.rcvd
                raise _Closed(close.code if close else None, close.reason if close else "") from exc
            if isinstance(raw, bytes):
                continue  # binary frames are not part of the protocol
            try:
                message = json.loads(raw)
            except ValueError:
                # Ignored, as the service does, but remembered: a plain-text "reply" is
                # the likely reason none comes, so the turn waits only a grace period
                # more and its error says what arrived instead.
                if self.not_json is None:
                    self.not_json = raw
                deadline = min(deadline, self.clock() + NOT_JSON_GRACE_S)
                continue
            except RecursionError:
                continue
            if isinstance(message, dict):
                return message

    def absorb(self, message: dict[str, Any], target: TurnRecord | str | None) -> str | None:
        """Record one agent frame; returns "content" / "end_call" when it ends the turn.

        ``target`` is the turn being answered, ``"greeting"`` before the first turn, or
        None after the last word (the frame is only recorded in the transcript).
        """
        at = self.now()
        turn = target if isinstance(target, TurnRecord) else None
        metadata = message.get("metadata")
        if isinstance(metadata, dict):
            self.record.metadata.update(metadata)
        if message.get("type") == "end_call":
            content = message.get("content")
            if isinstance(content, str) and content:
                self.record.add(AGENT, content, at)
                self.record.end_content = content
                if turn is not None:
                    turn.reply, turn.reply_at_s = content, at
            return "end_call"
        role = str(message.get("role", "")).strip().lower().replace("_", " ")
        data = message.get("data") if isinstance(message.get("data"), dict) else {}
        if role == "function call":
            self.record.add(FUNCTION_CALL, "", at, data)
            if turn is not None:
                call = ToolCall(data.get("id"), data.get("name"), data.get("arguments"), at)
                turn.tool_calls.append(call)
            return None
        if role == "function call result":
            self.record.add(FUNCTION_RESULT, "", at, data)
            if turn is not None:
                turn.tool_results.append(data)
            return None
        content = message.get("content")
        if isinstance(content, str):
            self.record.add(AGENT, content, at)
            if turn is not None:
                turn.reply, turn.reply_at_s = content, at
            elif target == "greeting" and self.record.greeting is None:
                self.record.greeting, self.record.greeting_at_s = content, at
            return "content"
        return None

    async def greeting(self, ws: ClientConnection) -> str | None:
        plan = self.plan
        if plan.first_speaker == "agent":
            self.record.greeting_timeout_s = plan.greeting_timeout_s
            deadline = self.clock() + plan.greeting_timeout_s
            while True:
                message = await self.frame(ws, deadline - self.clock())
                if message is None:
                    return None
                ended = self.absorb(message, "greeting")
                if ended is not None:
                    return ended
        # tester first: whatever arrives before our first message is a greeting
        try:
            pong = await ws.ping()
            await asyncio.wait_for(asyncio.shield(pong), min(plan.greeting_timeout_s, 5.0))
        except _TIMEOUTS:
            pass
        while True:
            message = await self.frame(ws, 0.001)
            if message is None:
                return None
            if self.absorb(message, "greeting") == "end_call":
                return "end_call"

    async def turns(self, ws: ClientConnection) -> None:
        for index, say in enumerate(self.plan.turns, start=1):
            if self.control.stopped:
                return
            self.not_json = None
            turn = TurnRecord(index=index, say=say, sent_at_s=self.now())
            self.record.turns.append(turn)
            self.record.add(TESTER, say, turn.sent_at_s)
            await ws.send(json.dumps({"content": say}))
            while True:
                message = await self.frame(ws, self.plan.turn_timeout_s)
                if message is None:
                    self.record.error = (
                        f"the agent did not reply to turn {index} ({say[:60]!r}) within "
                        f"{self.plan.turn_timeout_s:g} s"
                    )
                    if self.not_json is not None:
                        self.record.error = not_json_error(index, say, self.not_json)
                    self.record.ended_by = EndedBy.ERROR
                    return
                ended = self.absorb(message, turn)
                if ended == "end_call":
                    self.record.ended_by = EndedBy.AGENT_END_CALL
                    return
                if ended == "content":
                    break

    async def run(self) -> ConversationRecord:
        plan, record = self.plan, self.record
        try:
            ws = await _open(plan)
        except _OpenFailed as exc:
            record.error, record.ended_by = str(exc), EndedBy.ERROR
            return self.finish()
        self.control.ws = ws
        self.t0 = self.clock()
        try:
            if self.control.stopped:
                raise _Closed(None, "")
            if await self.greeting(ws) == "end_call":
                record.ended_by = EndedBy.AGENT_END_CALL
            else:
                await self.turns(ws)
            if not record.agent_ended_call and not self.control.stopped:
                # the script ran out (or a turn timed out): the tester hangs up
                record.ended_by = record.ended_by or EndedBy.TESTER
                self.control.end_call_sent = True
                await ws.send(json.dumps(self.end_call_message()))
            self.control.last_word()
            await self.linger(ws)
        except _Closed as closed:
            self.closed(closed)
        except ConnectionClosed as exc:  # from send() or a pong waiter
            close = exc.rcvd
            self.closed(_Closed(close.code if close else None, close.reason if close else ""))
        finally:
            await ws.close()
        return self.finish()

    def end_call_message(self) -> dict[str, str]:
        """``{"type": "end_call"}``, with the scenario's closing words when it has some
        (``{"content": "Thank you, goodbye!", "type": "end_call"}``, as the seed page
        documents); those are the tester's last line in the transcript."""
        content = self.plan.end_call_content
        if not content or self.record.ended_by is EndedBy.ERROR:
            return {"type": "end_call"}
        self.record.add(TESTER, content, self.now())
        return {"content": content, "type": "end_call"}

    async def linger(self, ws: ClientConnection) -> None:
        """After the last word: record stray frames until the close or close_delay_s."""
        deadline = self.clock() + self.plan.close_delay_s
        while (remaining := deadline - self.clock()) > 0:
            message = await self.frame(ws, remaining)
            if message is None:
                return
            self.absorb(message, None)

    def closed(self, closed: _Closed) -> None:
        record = self.record
        if self.control.stopped:
            record.ended_by = EndedBy.CANCELLED
        elif closed.code == 1008:
            record.ended_by = EndedBy.ERROR
            reason = f" ({closed.reason})" if closed.reason else ""
            record.error = (
                f"the agent's server closed the connection with 1008 policy violation{reason}: "
                "the X-VOCERA-SECRET header was probably missing or wrong; give the sandbox "
                "the shim's secret (CEKURA_WEBSOCKET_SECRET)"
            )
        elif record.ended_by is None:
            record.ended_by = EndedBy.AGENT_CLOSE
            if closed.code not in (None, 1000, 1001) or closed.reason:
                # the agent's server said why (the shim does: "agent error: exited with
                # code 3"): keep it for the run's reason and transcript
                detail = f"{closed.code} {closed.reason}".strip() if closed.code else closed.reason
                record.close_detail = " ".join(detail.split())[:200]

    def finish(self) -> ConversationRecord:
        record = self.record
        record.ended_after_turn = len(record.turns)
        record.duration_s = max(0.0, self.now())
        return record


async def run_conversation(
    plan: ConversationPlan,
    control: CallControl | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> ConversationRecord:
    """Hold one scripted conversation; never raises for anything the agent does."""
    conversation = _Conversation(plan, control or CallControl(), clock)
    return await conversation.run()


def transcript_of(record: ConversationRecord) -> str:
    return record_transcript(record)
