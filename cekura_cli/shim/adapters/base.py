"""The one small interface every agent adapter implements.

An :class:`Agent` is loaded once per shim from a TARGET; it opens one
:class:`AgentSession` per conversation. A session answers the connection opening
(``on_start``: a greeting, or nothing) and each tester message (``on_message``).
Answers are raw :data:`AgentReply` values (a string, a message dict, a list of
them, or ``None``); the server turns them into protocol-ordered wire messages with
:func:`cekura_cli.shim.protocol.plan_turn`, so adapters stay thin.

Adapters raise :class:`AgentError` for a failure of the agent itself (an HTTP 500,
a crashed process); the server ends that conversation and keeps serving the others.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from cekura_cli.shim.session import SessionContext

AgentReply = Any
"""``str`` | message ``dict`` | ``list`` of those | ``None`` (see ``plan_turn``)."""


class AgentError(Exception):
    """The agent failed to answer (not the shim, not the tester)."""


@runtime_checkable
class AgentSession(Protocol):
    """One agent conversation.

    A session may set a class attribute ``instant = True`` when ``on_message`` is pure
    computation that never suspends (the built-in demo agents): the server then answers
    it inline in the connection's reader, skipping the hand-off to the turn worker.
    """

    async def on_start(self, context: SessionContext) -> AgentReply:
        """Called once when the connection opens; return a greeting or ``None``."""
        ...

    async def on_message(self, text: str, context: SessionContext) -> AgentReply:
        """Called once per tester message, in order; ``context.history`` ends with it."""
        ...

    async def close(self) -> None:
        """Called once when the conversation is over, however it ended."""
        ...


@runtime_checkable
class Agent(Protocol):
    """A loaded TARGET: a factory of sessions."""

    name: str

    def open(self, context: SessionContext) -> AgentSession:
        """Start one conversation; cheap and non-blocking (do slow work in on_start)."""
        ...

    async def shutdown(self) -> None:
        """Release shared resources (HTTP clients) when the shim stops."""
        ...


class StatelessAgentBase:
    """Shared defaults: nothing to release at shutdown."""

    name = "agent"

    async def shutdown(self) -> None:
        return None


class SessionBase:
    """Shared defaults: no greeting, nothing to close."""

    async def on_start(self, context: SessionContext) -> AgentReply:
        return None

    async def close(self) -> None:
        return None


# -- the JSON both out-of-process adapters (HTTP and exec) exchange ---------------
EVENT_START = "start"
EVENT_MESSAGE = "message"
EVENT_END = "end"


def turn_request(event: str, context: SessionContext, content: str | None = None) -> dict:
    """One request to an out-of-process agent (documented in docs/shim.md)."""
    request: dict[str, Any] = {"event": event}
    if content is not None:
        request["content"] = content
    request.update(context.as_json())
    return request


def reply_from_json(obj: Any) -> AgentReply:
    """Accept a list of messages, ``{"messages": [...]}``, one message, a string or null."""
    if isinstance(obj, dict) and "messages" in obj:
        messages = obj["messages"]
        return messages if isinstance(messages, list) else [messages]
    return obj
