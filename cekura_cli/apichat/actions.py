"""The vocabulary of the API-chat driver (:mod:`.driver`): its policy, the actions it asks
the glue to carry out, how a conversation ended, and how an agent turn becomes submits.
Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from cekura_cli.shim.protocol import (
    END_CALL,
    FUNCTION_CALL,
    FUNCTION_CALL_RESULT,
    Message,
    TurnPlan,
)
from cekura_cli.shim.session import EndedBy

AGENT_ENDED_REASON = "main_agent_ended_call"
NO_OPENING = "the agent has no opening line"


@dataclass(frozen=True)
class ChatPolicy:
    """Timing and patience of one conversation (seconds)."""

    poll_delays_s: tuple[float, ...] = (0.05, 0.1, 0.15, 0.25)
    """Waits before the 1st, 2nd, … poll of a turn; the last one repeats."""
    early_s: float = 0.1
    """Once replies have been timed, the first poll comes this long before the quickest
    of the last few replies would be ready (so most turns take one or two polls)."""
    start_delays_s: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)
    """Waits between polls of a run that is still starting (404/409 on turn 0)."""
    max_start_polls: int = 300
    max_poll_attempts: int = 2400
    """Polls of one turn before it is given up (~10 min at the last delay)."""
    probe_attempts: int = 3
    probe_delay_s: float = 0.5
    max_409_retries: int = 20

    def poll_delay(self, attempt: int) -> float:
        return self.poll_delays_s[min(attempt, len(self.poll_delays_s) - 1)]

    def start_delay(self, attempt: int) -> float:
        return self.start_delays_s[min(attempt, len(self.start_delays_s) - 1)]


# -- actions (what the glue does next) -------------------------------------------------


@dataclass(frozen=True)
class PollTurn:
    turn_id: int


@dataclass(frozen=True)
class Submit:
    body: dict[str, Any]
    """The ``ApiChatTurn`` body: ``content``/``metadata``, or ``role`` + ``data``."""


@dataclass(frozen=True)
class AskAgent:
    text: str | None
    """The simulated user's line to answer; None for the agent's opening."""


@dataclass(frozen=True)
class EndChat:
    reason: str


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Done:
    ending: Ending


Action = PollTurn | Submit | AskAgent | EndChat | Sleep | Done


@dataclass(frozen=True)
class Ending:
    """How the conversation ended. ``cause`` set: it failed on our side (run reported
    ``error`` with it as the reason); None: it ended normally (the service's verdict)."""

    ended_by: EndedBy
    reason: str | None
    cause: str | None = None


class Phase(str, Enum):
    OPENING = "opening"  # polling turn 0
    AGENT = "agent"  # waiting for the agent's answer
    SUBMITTING = "submitting"  # sending the turn's messages, one at a time
    POLLING = "polling"  # waiting for the simulated user's reply
    PROBING = "probing"  # after an ambiguous submit: was it recorded?
    CHECKING = "checking"  # after a 409 on a submit: starting, or ended?
    ENDING = "ending"  # end-chat sent or to be sent
    DONE = "done"


def submits_of(plan: TurnPlan) -> list[tuple[Message, bool]]:
    """The API-chat bodies of one planned turn, in order, each with "expects a reply"."""
    out: list[tuple[Message, bool]] = []
    for message in plan.messages:
        role = message.get("role")
        if role in (FUNCTION_CALL, FUNCTION_CALL_RESULT):
            out.append(({"role": role, "data": message["data"]}, False))
            continue
        body: dict[str, Any] = {}
        if isinstance(message.get("content"), str):
            body["content"] = message["content"]
        if message.get("metadata"):
            body["metadata"] = message["metadata"]
        if body:
            ends = message.get("type") == END_CALL
            out.append((body, "content" in body and not ends))
    return out
