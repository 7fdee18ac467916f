"""One agent turn, independent of the transport that carries it.

The WebSocket server (:mod:`.server`) and the API-chat driver (:mod:`cekura_cli.apichat`)
are two I/O back-ends of one conversation core: :class:`~.session.Conversation` holds
what was said, :func:`~.protocol.plan_turn` orders an agent's answer into protocol
messages, the adapters (:mod:`.adapters`) call the agent, :mod:`.store` writes the
masked transcript. This module is the seam the API-chat back-end calls: ask the agent
for one turn, bounded by the turn timeout, and get back either the planned messages or
the cause of the failure, never an exception (an agent that raises, hangs or exits ends
its own conversation only).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cekura_cli.shim.adapters.base import AgentError, AgentSession
from cekura_cli.shim.protocol import TurnPlan, plan_turn
from cekura_cli.shim.session import SessionContext


@dataclass(frozen=True, slots=True)
class AgentAnswer:
    """What the agent answered (``plan``), or why it could not (``failure``)."""

    plan: TurnPlan | None
    failure: str | None = None


def failure_cause(exc: BaseException) -> str:
    """The reason recorded for an agent that raised: its message for an
    :class:`AgentError` (an adapter's own words), else only the exception's type, so a
    user exception's text (which may quote anything) does not reach the reports."""
    detail = str(exc) if isinstance(exc, AgentError) else type(exc).__name__
    return f"agent error: {detail}"


async def agent_turn(
    session: AgentSession,
    context: SessionContext,
    text: str | None,
    *,
    timeout_s: float,
) -> AgentAnswer:
    """Ask ``session`` for one turn: the opening (``text`` None) or the answer to ``text``.

    The caller has already added ``text`` to ``context.history``
    (:meth:`~.session.Conversation.tester_turn_taken`).
    """
    try:
        answer = session.on_start(context) if text is None else session.on_message(text, context)
        raw = await asyncio.wait_for(answer, timeout_s)
    except asyncio.TimeoutError:
        return AgentAnswer(None, f"the agent did not answer within the {timeout_s:g}s turn timeout")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # an agent bug or a dead process ends this conversation only
        return AgentAnswer(None, failure_cause(exc))
    try:
        return AgentAnswer(plan_turn(raw))
    except Exception as exc:  # an answer that cannot be planned is the agent's error
        return AgentAnswer(None, failure_cause(exc))
