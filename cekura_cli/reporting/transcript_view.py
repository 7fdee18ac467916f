"""A report's transcript text split into turns, so the HTML report can show tool calls
and their results as such. Pure: text in, turns out.

Transcripts reach the report as text (``RunReport.transcript``) in one of the shapes
the tool produces or reads:

- the sandbox's and the service's ``[MM:SS] Role: text`` lines;
- ``Role: text`` lines built from ``transcript_object``, where a tool call reads
  ``Function Call: name(arguments)`` and its result ``Function Call Result: name -> result``.

A line that does not start with a known role continues the turn before it (a message
may span lines). When no line starts with a known role, any ``Word words: `` prefix is
taken as the role, so an unfamiliar service format still splits into turns.
"""

from __future__ import annotations

import functools
import json
import re
from enum import Enum
from typing import NamedTuple


class TurnKind(str, Enum):
    TESTER = "tester"
    AGENT = "agent"
    TOOL_CALL = "call"
    TOOL_RESULT = "result"
    OTHER = "other"


class Turn(NamedTuple):
    kind: TurnKind
    role: str
    """The role as written in the transcript (``Main Agent``, ``Function Call``, …)."""
    text: str
    """The message; for a tool call its arguments, for a tool result the result."""
    stamp: str | None = None
    """``MM:SS`` when the transcript had one."""
    tool: str | None = None
    """The tool's name, for calls and results."""


KNOWN_ROLES: dict[str, TurnKind] = {
    "testing agent": TurnKind.TESTER,
    "tester": TurnKind.TESTER,
    "user": TurnKind.TESTER,
    "customer": TurnKind.TESTER,
    "caller": TurnKind.TESTER,
    "main agent": TurnKind.AGENT,
    "agent": TurnKind.AGENT,
    "assistant": TurnKind.AGENT,
    "bot": TurnKind.AGENT,
    "function call": TurnKind.TOOL_CALL,
    "function_call": TurnKind.TOOL_CALL,
    "tool call": TurnKind.TOOL_CALL,
    "tool_call": TurnKind.TOOL_CALL,
    "function call result": TurnKind.TOOL_RESULT,
    "function_call_result": TurnKind.TOOL_RESULT,
    "function result": TurnKind.TOOL_RESULT,
    "tool result": TurnKind.TOOL_RESULT,
    "tool_result": TurnKind.TOOL_RESULT,
    "tool": TurnKind.TOOL_RESULT,
    "system": TurnKind.OTHER,
}

_STAMP = r"^(?:\[(\d{1,3}:\d{2}(?::\d{2})?)\]\s*)?"
# Longest names first, so "Function Call Result" is not read as "Function Call".
_KNOWN_NAMES = "|".join(re.escape(name) for name in sorted(KNOWN_ROLES, key=len, reverse=True))
_KNOWN_LINE = re.compile(_STAMP + f"({_KNOWN_NAMES}) ?:(?: |$)(.*)$", re.IGNORECASE | re.DOTALL)
_ANY_LINE = re.compile(_STAMP + r"([A-Za-z][\w \-]{0,39}?):(?: |$)(.*)$", re.DOTALL)
_CALL = re.compile(r"^([\w.\-]{1,100})\((.*)\)$", re.DOTALL)
_RESULT = re.compile(r"^([\w.\-]{1,100}) -> (.*)$", re.DOTALL)
PRETTY_JSON_LIMIT = 20_000
"""Tool arguments/results up to this many characters are re-indented when they are JSON."""


def parse_transcript(text: str | None) -> list[Turn]:
    """The turns of ``text`` in order; ``[]`` for no transcript."""
    if not text or not text.strip():
        return []
    lines = text.split("\n")
    matcher = _KNOWN_LINE.match
    matches = [matcher(line) for line in lines]
    if not any(matches):
        matcher = _ANY_LINE.match
        matches = [matcher(line) for line in lines]
    turns: list[Turn] = []
    role, stamp, body = "", None, []  # the turn being read
    for line, match in zip(lines, matches, strict=True):
        if match is None:
            body.append(line)
            continue
        if body or role:
            turns.append(_turn(stamp, role, body))
        stamp, role, body = match.group(1), match.group(2), [match.group(3)]
    turns.append(_turn(stamp, role, body))
    return turns


def _turn(stamp: str | None, role: str, body: list[str]) -> Turn:
    text = body[0] if len(body) == 1 else "\n".join(body).strip("\n")
    kind = _kind_of(role)
    if kind is TurnKind.TOOL_CALL and (call := _CALL.match(text.strip())):
        return Turn(kind, role, _pretty(call.group(2)), stamp, call.group(1))
    if kind is TurnKind.TOOL_RESULT and (result := _RESULT.match(text.strip())):
        return Turn(kind, role, _pretty(result.group(2)), stamp, result.group(1))
    return Turn(kind, role, text, stamp)


@functools.lru_cache(maxsize=256)
def _kind_of(role: str) -> TurnKind:
    return KNOWN_ROLES.get(role.lower(), TurnKind.OTHER)


def _pretty(value: str) -> str:
    """JSON re-indented for reading; anything else as it was."""
    value = value.strip()
    if not value or len(value) > PRETTY_JSON_LIMIT or value[0] not in "[{":
        return value
    try:
        return json.dumps(json.loads(value), ensure_ascii=False, indent=2)
    except ValueError:
        return value
