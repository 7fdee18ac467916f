"""The Custom WebSocket chat protocol, without I/O (``websocket-protocol.md``).

Three jobs, all pure so they are tested by exact output:

- :func:`parse_client_frame` turns one frame from the service (the tester) into a
  :class:`ClientFrame`. It never raises: binary, non-JSON, non-object and unknown
  frames come back as ``FrameKind.IGNORED`` with a short reason.
- :func:`plan_turn` turns whatever an agent returned (a string, a message dict, a
  list, ``None``) into the wire messages of one agent turn, in protocol order:
  function call(s), their result(s), then at most one content message (or the
  ``end_call`` that replaces it). Bad entries are dropped and reported, never raised.
- :func:`classify_message` / :func:`parse_agent_frame` name and check a
  server→service message, for the sandbox tester and the tests.

Agent messages are plain JSON-ready dicts in wire format: on the hot path a turn is
built once and sent as is, with no model objects in between.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

Message = dict[str, Any]
"""One protocol message in wire format (what ``json.dumps`` sends)."""

FUNCTION_CALL = "Function Call"
FUNCTION_CALL_RESULT = "Function Call Result"
END_CALL = "end_call"

CONTENT_JOINER = "\n"
"""Several content messages in one agent turn are joined with this (one per turn)."""


class FrameKind(str, Enum):
    """What a frame from the service means to the shim."""

    TURN = "turn"  # a tester message: {"content": "..."}
    END_CALL = "end_call"  # the tester ended the call: {"type": "end_call", ...}
    IGNORED = "ignored"  # anything else (logged at debug, never answered)


@dataclass(slots=True)
class ClientFrame:
    kind: FrameKind
    content: str | None = None
    reason: str | None = None  # why a frame was ignored


_BINARY = ClientFrame(FrameKind.IGNORED, reason="binary frame")
_scan_json = json.JSONDecoder().scan_once  # the C scanner, without json.loads' wrappers


def _loads(data: str) -> Any:
    """``json.loads(data)``, faster for the compact frames the service sends."""
    try:
        obj, end = _scan_json(data, 0)
    except StopIteration:
        return json.loads(data)  # leading whitespace, or invalid: let json say which
    if end != len(data):
        return json.loads(data)  # trailing whitespace or garbage
    return obj


def parse_client_frame(data: str | bytes) -> ClientFrame:
    """Parse one frame from the service; lenient on unknown fields, never raises."""
    if not isinstance(data, str):
        return _BINARY
    try:
        obj = _loads(data)
    except (ValueError, RecursionError):
        return ClientFrame(FrameKind.IGNORED, reason="not JSON")
    if not isinstance(obj, dict):
        return ClientFrame(FrameKind.IGNORED, reason="not a JSON object")
    content = obj.get("content")
    kind = obj.get("type")
    if kind == END_CALL:
        return ClientFrame(FrameKind.END_CALL, content if isinstance(content, str) else None)
    if kind is not None:
        return ClientFrame(FrameKind.IGNORED, reason="unknown message type")
    if isinstance(content, str):
        return ClientFrame(FrameKind.TURN, content)
    return ClientFrame(FrameKind.IGNORED, reason="no text content")


class MessageKind(str, Enum):
    """The kinds of server→service messages."""

    CONTENT = "content"
    METADATA = "metadata"
    FUNCTION_CALL = "function_call"
    FUNCTION_CALL_RESULT = "function_call_result"
    END_CALL = "end_call"


_ROLE_ALIASES: dict[str, MessageKind] = {
    "function call": MessageKind.FUNCTION_CALL,
    "function_call": MessageKind.FUNCTION_CALL,
    "function call result": MessageKind.FUNCTION_CALL_RESULT,
    "function_call_result": MessageKind.FUNCTION_CALL_RESULT,
}


def classify_message(obj: Any) -> MessageKind | None:
    """The kind of one agent/server message dict, or ``None`` when it is none of them."""
    if not isinstance(obj, dict):
        return None
    if obj.get("type") == END_CALL:
        return MessageKind.END_CALL
    role = obj.get("role")
    if isinstance(role, str):
        kind = _ROLE_ALIASES.get(role.lower())
        if kind is not None:
            return kind
    if obj.get("content") is not None:
        return MessageKind.CONTENT
    if "metadata" in obj:
        return MessageKind.METADATA
    return None


@dataclass(slots=True)
class AgentFrame:
    """One server→service frame as the tester sees it (used by the sandbox and tests)."""

    kind: MessageKind | None  # None: not a protocol message (ignored by the service)
    message: dict[str, Any] | None = None
    reason: str | None = None


def parse_agent_frame(data: str | bytes) -> AgentFrame:
    """Parse one frame the shim (or any agent server) sent; never raises.

    A content, metadata or end_call message must carry the right types (content a
    string, metadata an object); tool messages need a ``data`` object, and a function
    call a name (a result may leave it out, as the seed page's example does).
    """
    if not isinstance(data, str):
        return AgentFrame(None, reason="binary frame")
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return AgentFrame(None, reason="not JSON")
    kind = classify_message(obj)
    if kind is None:
        return AgentFrame(None, reason="not a protocol message")
    if "metadata" in obj and not isinstance(obj["metadata"], dict):
        return AgentFrame(None, obj, reason="metadata is not an object")
    if kind is MessageKind.CONTENT and not isinstance(obj["content"], str):
        return AgentFrame(None, obj, reason="content is not a string")
    if kind in (MessageKind.FUNCTION_CALL, MessageKind.FUNCTION_CALL_RESULT):
        data_obj = obj.get("data")
        if not isinstance(data_obj, dict):
            return AgentFrame(None, obj, reason="tool message without a data object")
        if kind is MessageKind.FUNCTION_CALL and not isinstance(data_obj.get("name"), str):
            return AgentFrame(None, obj, reason="function call without a name")
        if "name" in data_obj and not isinstance(data_obj["name"], str):
            return AgentFrame(None, obj, reason="tool message name is not a string")
    return AgentFrame(kind, obj)


@dataclass(slots=True)
class TurnPlan:
    """The wire messages of one agent turn, in send order, and what was dropped."""

    messages: list[Message]
    problems: list[str]
    ends_call: bool = False
    has_content: bool = False


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    return None


def _json_string(value: Any) -> str:
    """Tool ``arguments``/``result`` travel as JSON strings; accept objects too."""
    if isinstance(value, str):
        return value
    if value is None:
        return "{}"
    try:
        return json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        try:
            return json.dumps(str(value))
        except RecursionError:  # str() of a structure nested deeper than repr can go
            return json.dumps("<unserialisable value>")


def _tool_data(
    data: Any, kind: MessageKind, index: int, problems: list[str]
) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        problems.append(f"{kind.value} without a data object dropped")
        return None
    name = data.get("name")
    call_id = data.get("id")
    out: dict[str, Any] = {"id": str(call_id) if call_id else f"call_{index}"}
    if isinstance(name, str) and name:
        out["name"] = name
    elif kind is MessageKind.FUNCTION_CALL:
        problems.append(f"{kind.value} without a name dropped")
        return None
    # a result without a name (the seed page's own example) is kept: its id ties it to
    # its call, whose name plan_turn fills in when the call is in the same turn
    if kind is MessageKind.FUNCTION_CALL:
        out["arguments"] = _json_string(data.get("arguments"))
    else:
        out["result"] = _json_string(data.get("result"))
    return out


def plan_turn(raw: Any) -> TurnPlan:
    """Normalise an agent's answer into one protocol-ordered turn.

    Rules (documented in docs/shim.md):

    - ``None`` / ``""`` / ``[]``: nothing to send (an explicit ``{"content": ""}`` is sent).
    - a string is a content message; a dict is one message; a list holds strings/dicts.
    - function calls come first, then function call results, each group in the order
      the agent gave them; tool ``arguments``/``result`` objects are JSON-encoded.
    - several content messages are joined with a newline into one.
    - metadata from every message of the turn is merged (last write wins) onto the
      content message, or sent alone when the turn has no content.
    - an ``end_call`` ends the turn: it carries the joined content (its own last) and
      replaces the content message, so the service gets exactly one closing message.
    """
    problems: list[str] = []
    if raw is None:
        return TurnPlan([], problems)
    # fast path, the common turn: one plain content message (no copy needed)
    if type(raw) is dict and len(raw) == 1 and type(raw.get("content")) is str and raw["content"]:
        return TurnPlan([raw], problems, has_content=True)
    if type(raw) is str and raw:
        return TurnPlan([{"content": raw}], problems, has_content=True)
    items = raw if isinstance(raw, list) else [raw]
    calls: list[Message] = []
    results: list[Message] = []
    contents: list[str] = []
    metadata: dict[str, Any] | None = None
    end_call = False
    end_content: str | None = None
    tool_index = 0
    for item in items:
        if isinstance(item, str):
            if item:
                contents.append(item)
            continue
        kind = classify_message(item)
        if kind is None:
            problems.append(f"unrecognised agent message dropped: {type(item).__name__}")
            continue
        meta = item.get("metadata")
        if meta is not None:
            if isinstance(meta, dict):
                metadata = {**metadata, **meta} if metadata else dict(meta)
            else:
                problems.append("metadata that is not an object ignored")
        if kind is MessageKind.CONTENT:
            text = _text(item.get("content"))
            if text is None:
                problems.append("content that is not text dropped")
            else:
                contents.append(text)  # an explicit {"content": ""} is sent as such
        elif kind is MessageKind.END_CALL:
            end_call = True
            text = _text(item.get("content"))
            if text:
                end_content = text
        elif kind is MessageKind.FUNCTION_CALL or kind is MessageKind.FUNCTION_CALL_RESULT:
            tool_index += 1
            data = _tool_data(item.get("data"), kind, tool_index, problems)
            if data is not None:
                if kind is MessageKind.FUNCTION_CALL:
                    calls.append({"role": FUNCTION_CALL, "data": data})
                else:
                    results.append({"role": FUNCTION_CALL_RESULT, "data": data})
    if results and calls:
        names = {call["data"]["id"]: call["data"]["name"] for call in calls}
        for result in results:
            data = result["data"]
            if "name" not in data and data["id"] in names:
                result["data"] = {"id": data["id"], "name": names[data["id"]], **data}
    messages: list[Message] = calls + results if (calls or results) else []
    if end_content is not None:
        contents.append(end_content)
    said = [c for c in contents if c]
    text = CONTENT_JOINER.join(said) if said else ("" if contents else None)
    if end_call:
        last: Message = {"type": END_CALL}
        if text is not None:
            last["content"] = text
    elif text is not None:
        last = {"content": text}
    elif metadata:
        messages.append({"metadata": metadata})
        return TurnPlan(messages, problems)
    else:
        return TurnPlan(messages, problems)
    if metadata:
        last["metadata"] = metadata
    messages.append(last)
    return TurnPlan(messages, problems, ends_call=end_call, has_content=text is not None)
