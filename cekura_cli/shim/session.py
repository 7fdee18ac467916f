"""Conversation state, without I/O: what was said, when, by whom, and how it ended.

One :class:`Conversation` per WebSocket connection. The server glue feeds it events
(a tester turn arrived, an agent turn was sent, the call ended) with times from an
injected monotonic clock; the transcript builders (:mod:`cekura_cli.shim.transcript`)
read it afterwards. The agent sees it through :class:`SessionContext`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from cekura_cli.shim.protocol import END_CALL, FUNCTION_CALL, FUNCTION_CALL_RESULT, Message


class Role(str, Enum):
    """Transcript roles, valued as in Cekura's own transcript format."""

    TESTER = "Testing Agent"
    AGENT = "Main Agent"
    FUNCTION_CALL = FUNCTION_CALL
    FUNCTION_CALL_RESULT = FUNCTION_CALL_RESULT


class EndedBy(str, Enum):
    """Who or what ended a conversation."""

    TESTER = "tester"  # the service sent end_call
    AGENT = "agent"  # the agent sent end_call, or failed (reason says which)
    DISCONNECT = "disconnect"  # the connection closed without an end_call
    TIMEOUT = "timeout"  # the peer stopped answering keepalive pings
    SERVER_SHUTDOWN = "server_shutdown"  # SIGTERM / stop() closed it


@dataclass(slots=True)
class Entry:
    """One transcript line; times are seconds from the start of the conversation."""

    role: Role
    content: str
    start_s: float
    end_s: float
    data: dict[str, Any] | None = None


RawEntry = tuple[str, str, float, float, Any]
"""How a conversation keeps its lines: ``(role value, content, start_s, end_s, data)``.

Plain tuples of strings and floats, not :class:`Entry` objects, because CPython stops
tracking such tuples in the garbage collector: a thousand finished long transcripts
kept for ``/calls`` then add nothing to the full collections that would otherwise
pause every live conversation for tens of milliseconds.
"""


# The history an agent sees uses chat-completion style roles.
HISTORY_ROLES: dict[Role, str] = {
    Role.TESTER: "user",
    Role.AGENT: "assistant",
    Role.FUNCTION_CALL: "function_call",
    Role.FUNCTION_CALL_RESULT: "function_call_result",
}


@dataclass
class SessionContext:
    """What an agent knows about its conversation.

    ``headers`` holds the handshake's ``X-`` headers with lower-cased names and the
    secret removed. ``metadata`` is the agent's own metadata merged so far (last write
    wins). ``history`` is the conversation so far as ``{"role", "content"[, "data"]}``
    dicts with roles ``user``/``assistant``/``function_call``/``function_call_result``;
    the current tester message is its last entry during ``on_message``. Both are live:
    treat them as read-only.
    """

    conversation_id: str
    run_id: str | None = None
    scenario_id: str | None = None
    result_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, *, with_history: bool = True) -> dict[str, Any]:
        """The context as plain JSON (for the HTTP and exec adapters)."""
        out: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "run_id": self.run_id,
            "scenario_id": self.scenario_id,
            "result_id": self.result_id,
            "headers": self.headers,
            "metadata": self.metadata,
        }
        if with_history:
            out["history"] = self.history
        return out


TESTER = Role.TESTER.value
AGENT = Role.AGENT.value


class Conversation:
    """The state of one conversation: entries, merged metadata, and how it ended."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        started_wall: float,
        run_id: str | None = None,
        scenario_id: str | None = None,
        result_id: str | None = None,
        headers: dict[str, str] | None = None,
        conversation_id: str | None = None,
    ) -> None:
        self._clock = clock
        self.started_loop = clock()
        self.started_wall = started_wall
        self.context = SessionContext(
            conversation_id=conversation_id or uuid.uuid4().hex,
            run_id=run_id,
            scenario_id=scenario_id,
            result_id=result_id,
            headers=headers or {},
        )
        self.raw_entries: list[RawEntry] = []
        self.ended_by: EndedBy | None = None
        self.ended = False  # a plain attribute: read several times per turn
        self.end_reason: str | None = None
        self.duration_s: float | None = None

    # -- reading ---------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.context.conversation_id

    @property
    def entries(self) -> list[Entry]:
        """The transcript lines as :class:`Entry` objects (built on each call)."""
        return [Entry(Role(r[0]), r[1], r[2], r[3], r[4]) for r in self.raw_entries]

    @property
    def metadata(self) -> dict[str, Any]:
        return self.context.metadata

    def now(self) -> float:
        """Seconds since the conversation started."""
        return self._clock() - self.started_loop

    # -- events ----------------------------------------------------------------
    def tester_said(self, text: str, at_s: float | None = None) -> float:
        """Record a tester message (when it arrived); returns that time."""
        t = self._clock() - self.started_loop if at_s is None else at_s
        self.raw_entries.append((TESTER, text, t, t, None))
        return t

    def tester_turn_taken(self, text: str) -> None:
        """The agent is about to answer this tester message: add it to its history."""
        self.context.history.append({"role": "user", "content": text})

    def agent_said(self, text: str, started_s: float, sent_s: float) -> None:
        """Record an agent turn that was one plain content message (the common case).

        Agent lines are stamped when they were *sent* (``sent_s``), not when the agent
        was asked (``started_s``): so the gap after the tester's line is the agent's
        latency, and a reply never sorts before the tool calls sent ahead of it.
        """
        self.raw_entries.append((AGENT, text, sent_s, sent_s, None))
        self.context.history.append({"role": "assistant", "content": text})

    def agent_sent(self, messages: list[Message], started_s: float, sent_s: float) -> None:
        """Record one agent turn (already in protocol order) and merge its metadata."""
        history = self.context.history
        for msg in messages:
            meta = msg.get("metadata")
            if meta:
                self.context.metadata.update(meta)
            role = msg.get("role")
            if role in (FUNCTION_CALL, FUNCTION_CALL_RESULT):
                data = msg["data"]
                self.raw_entries.append((role, "", sent_s, sent_s, data))
                history.append({"role": HISTORY_ROLES[Role(role)], "content": "", "data": data})
                continue
            text = msg.get("content")
            if isinstance(text, str):
                self.raw_entries.append((AGENT, text, sent_s, sent_s, None))
                history.append({"role": "assistant", "content": text})
            if msg.get("type") == END_CALL:
                self.end(EndedBy.AGENT, "end_call")

    def end(self, by: EndedBy, reason: str | None = None) -> bool:
        """Mark the conversation ended; the first call wins. True when this call ended it."""
        if self.ended_by is not None:
            return False
        self.ended_by = by
        self.ended = True
        self.end_reason = reason
        self.duration_s = self.now()
        return True
