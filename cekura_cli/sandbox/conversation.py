"""What happened in one scripted conversation, as plain data.

The tester (:mod:`cekura_cli.sandbox.tester`) fills a :class:`ConversationRecord` while it
talks to the agent; :mod:`cekura_cli.sandbox.evaluation` turns it into metrics. Both the
record and the transcript renderers are pure, so evaluation is testable from hand-made
records. Transcript entries use Cekura's format: roles ``Testing Agent``, ``Main Agent``,
``Function Call``, ``Function Call Result``; times in seconds from the start of the call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

TESTER = "Testing Agent"
AGENT = "Main Agent"
FUNCTION_CALL = "Function Call"
FUNCTION_RESULT = "Function Call Result"


class EndedBy(str, Enum):
    """Who ended the conversation, and how."""

    TESTER = "tester"  # the script ran out: the tester sent end_call
    AGENT_END_CALL = "agent_end_call"  # the agent sent {"type": "end_call"}
    AGENT_CLOSE = "agent_close"  # the agent closed the socket
    CANCELLED = "cancelled"  # end_calls stopped it
    ERROR = "error"  # connection failure, 1008, turn timeout


@dataclass
class ToolCall:
    id: str | None
    name: str | None
    arguments: str | None  # a JSON string, as the protocol sends it
    at_s: float


@dataclass
class TurnRecord:
    index: int  # 1-based
    say: str
    sent_at_s: float
    reply: str | None = None
    reply_at_s: float | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latency_s(self) -> float | None:
        if self.reply_at_s is None:
            return None
        return self.reply_at_s - self.sent_at_s


@dataclass
class ConversationRecord:
    first_speaker: str = "agent"
    greeting: str | None = None
    greeting_at_s: float | None = None
    greeting_timeout_s: float | None = None
    turns: list[TurnRecord] = field(default_factory=list)
    ended_by: EndedBy | None = None
    ended_after_turn: int = 0  # turns sent when the conversation ended
    end_content: str | None = None  # what the agent said with its end_call
    error: str | None = None
    close_detail: str | None = None  # "1011 agent error: …" when the agent closed with one
    metadata: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def agent_ended_call(self) -> bool:
        return self.ended_by in (EndedBy.AGENT_END_CALL, EndedBy.AGENT_CLOSE)

    def add(self, role: str, content: str, at_s: float, data: Any = None) -> None:
        entry: dict[str, Any] = {
            "role": role,
            "content": content,
            "start_time": round(at_s, 3),
            "end_time": round(at_s, 3),
        }
        if data is not None:
            entry["data"] = data
        self.entries.append(entry)


def render_transcript(entries: list[dict[str, Any]]) -> str:
    """The ``transcript`` string: ``[MM:SS] Role: text`` lines, tool calls included."""
    lines = []
    for entry in entries:
        seconds = int(entry.get("start_time") or 0)
        stamp = f"[{seconds // 60:02d}:{seconds % 60:02d}]"
        role = entry.get("role", "")
        data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
        if role == FUNCTION_CALL:
            text = f"{data.get('name')}({data.get('arguments') or ''})"
        elif role == FUNCTION_RESULT:
            text = f"{data.get('name')} -> {data.get('result') or ''}"
        else:
            text = str(entry.get("content", ""))
        lines.append(f"{stamp} {role}: {text}")
    return "\n".join(lines)


def record_transcript(record: ConversationRecord) -> str:
    """The run's ``transcript`` string: :func:`render_transcript` of its entries, plus how
    the agent's server closed the connection when it said why (``1011 agent error: …``)."""
    text = render_transcript(record.entries)
    if record.close_detail:
        seconds = int(record.duration_s)
        stamp = f"[{seconds // 60:02d}:{seconds % 60:02d}]"
        text += f"\n{stamp} (the agent closed the connection: {record.close_detail})"
    return text


def parse_arguments(arguments: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(arguments as a dict, problem); the protocol sends arguments as a JSON string."""
    if isinstance(arguments, dict):
        return arguments, None
    if arguments is None or arguments == "":
        return {}, None
    if not isinstance(arguments, str):
        return None, f"arguments were {type(arguments).__name__}, not a JSON string"
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError as exc:
        return None, f"arguments were not valid JSON ({exc.msg}): {arguments[:80]!r}"
    if not isinstance(value, dict):
        return None, f"arguments were not a JSON object: {arguments[:80]!r}"
    return value, None
