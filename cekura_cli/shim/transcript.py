"""Transcript documents built from a finished :class:`Conversation` (pure, no I/O).

Two formats (``cekura-api.md``):

- Cekura's own ``transcript_object``: roles ``Testing Agent`` / ``Main Agent`` /
  ``Function Call`` / ``Function Call Result``, ``start_time``/``end_time`` in seconds
  from the start, ``data`` on tool entries;
- the Custom transcript provider format served by ``GET /calls``: ``id``,
  ``startedAt``, ``endedAt``, ``customer``, ``messages`` with roles
  ``user``/``bot``/``function_call``/``function_call_result``.

The transcript file holds both, plus ids, metadata, headers and how the call ended.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

from cekura_cli.shim.session import Conversation, Role

PROVIDER_ROLES: dict[Role, str] = {
    Role.TESTER: "user",
    Role.AGENT: "bot",
    Role.FUNCTION_CALL: "function_call",
    Role.FUNCTION_CALL_RESULT: "function_call_result",
}
_CEKURA_NAMES = {role.value: role.value for role in Role}
_PROVIDER_NAMES = {role.value: name for role, name in PROVIDER_ROLES.items()}

# Handshake headers (lower-cased) that may name the caller, first match wins.
CUSTOMER_NUMBER_HEADERS = (
    "x-customer-number",
    "x-customer-phone",
    "x-phone-number",
    "x-caller-number",
    "x-from-number",
    "x-inbound-number",
)
CUSTOMER_NAME_HEADERS = ("x-customer-name", "x-caller-name", "x-name")
# Keys of the agent's own metadata that may name the caller, when no header did.
CUSTOMER_NUMBER_METADATA = ("customer_number", "phone_number", "caller_number", "from_number")

_TIME_DIGITS = 3  # millisecond resolution is plenty for chat turns


def iso_utc(epoch_s: float) -> str:
    """``2026-11-20T10:00:00.123Z``: ISO 8601 in UTC, milliseconds."""
    stamp = datetime.fromtimestamp(epoch_s, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _ended_wall(conv: Conversation) -> float:
    duration = conv.duration_s if conv.duration_s is not None else conv.now()
    return conv.started_wall + duration


def customer(conv: Conversation, number: str | None = None) -> dict[str, str]:
    """``{"number", "name"}`` as far as the run tells (possibly empty).

    The number comes from, first match wins: a phone-number ``X-`` header (a test
    profile field such as ``X-Customer-Number``), the agent's metadata
    (``customer_number``, …), then ``number``: what the shim's owner knows about the
    run (``cekura run --serve`` passes the scenario's inbound number).
    """
    headers = conv.context.headers
    out: dict[str, str] = {}
    for key in CUSTOMER_NUMBER_HEADERS:
        if headers.get(key):
            out["number"] = headers[key]
            break
    else:
        metadata = conv.context.metadata
        for key in CUSTOMER_NUMBER_METADATA:
            value = metadata.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                out["number"] = str(value)
                break
        else:
            if number:
                out["number"] = number
    for key in CUSTOMER_NAME_HEADERS:
        if headers.get(key):
            out["name"] = headers[key]
            break
    return out


def cekura_transcript(conv: Conversation) -> list[dict[str, Any]]:
    """The conversation in Cekura's ``transcript_object`` format."""
    return _entries(conv, _CEKURA_NAMES)


def provider_messages(conv: Conversation) -> list[dict[str, Any]]:
    """The conversation's messages in the Custom transcript provider format."""
    return _entries(conv, _PROVIDER_NAMES)


def _entries(conv: Conversation, role_names: dict[str, str]) -> list[dict[str, Any]]:
    """Both formats share the entry shape; only the names of the roles differ.

    Built straight from the conversation's raw tuples (no Entry/Role objects): this runs
    once per finished conversation on the event loop, so it is kept cheap.
    """
    out = []
    append = out.append
    for role, content, start_s, end_s, data in conv.raw_entries:
        item: dict[str, Any] = {
            "role": role_names[role],
            "content": content,
            "start_time": round(start_s, _TIME_DIGITS),
            "end_time": round(end_s, _TIME_DIGITS),
        }
        if data is not None:
            item["data"] = data
        append(item)
    return out


JSON = json.JSONEncoder(ensure_ascii=False)
"""One compact encoder (the C one), built once: ``json.dumps(..., ensure_ascii=False)``
would build a new encoder per call."""

_ROLE_PREFIXES = {
    f'{{"role": {JSON.encode(cekura)}': f'{{"role": {JSON.encode(provider)}'
    for cekura, provider in _PROVIDER_NAMES.items()
}


def entries_json(conv: Conversation) -> tuple[str, str]:
    """``(transcript_object, messages)`` as JSON array texts, equal to the compact
    ``json.dumps`` of :func:`cekura_transcript` and :func:`provider_messages`.

    The two lists differ only in role names, so the entries are built and encoded once
    (by the C encoder) and the second text is the first with its role names swapped.
    That is exact: an entry's text starts with ``{"role": "…"`` and nowhere else can
    that appear unescaped (a quote inside a string value is always escaped; tool
    ``data`` holds strings only). A count check guards it anyway.
    """
    cekura = JSON.encode(_entries(conv, _CEKURA_NAMES))
    provider = cekura
    for old, new in _ROLE_PREFIXES.items():
        provider = provider.replace(old, new)
    if provider.count('{"role": ') != len(conv.raw_entries):
        provider = JSON.encode(provider_messages(conv))
    return cekura, provider


def call_id(conv: Conversation, ordinal: int = 1) -> str:
    """The run id when the service sent one (so calls match runs), else our own id.

    ``ordinal`` counts the conversations of one run id: a run that reconnects gets
    ``<run id>``, then ``<run id>-2``, ``<run id>-3``…, so ``/calls`` ids stay unique.
    """
    run_id = conv.context.run_id
    if not run_id:
        return conv.id
    return run_id if ordinal <= 1 else f"{run_id}-{ordinal}"


def provider_call(
    conv: Conversation, *, ordinal: int = 1, number: str | None = None
) -> dict[str, Any]:
    """One call of ``GET /calls`` (Custom transcript provider format)."""
    return {
        "id": call_id(conv, ordinal),
        "startedAt": iso_utc(conv.started_wall),
        "endedAt": iso_utc(_ended_wall(conv)),
        "customer": customer(conv, number),
        "messages": provider_messages(conv),
    }


def transcript_document(
    conv: Conversation, *, ordinal: int = 1, number: str | None = None, entries: bool = True
) -> dict[str, Any]:
    """The JSON document written for a finished conversation.

    ``entries=False`` leaves out its last two keys, ``transcript_object`` and
    ``messages`` (see :func:`entries_json`).
    """
    ctx = conv.context
    head = {
        "id": conv.id,
        "run_id": ctx.run_id,
        "scenario_id": ctx.scenario_id,
        "result_id": ctx.result_id,
        "started_at": iso_utc(conv.started_wall),
        "ended_at": iso_utc(_ended_wall(conv)),
        "duration_s": round(conv.duration_s or 0.0, _TIME_DIGITS),
        "ended_by": conv.ended_by.value if conv.ended_by else None,
        "reason": conv.end_reason,
        "metadata": ctx.metadata,
        "headers": ctx.headers,
        "call_id": call_id(conv, ordinal),
        "customer": customer(conv, number),
    }
    if entries:
        head["transcript_object"] = cekura_transcript(conv)
        head["messages"] = provider_messages(conv)
    return head


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def transcript_filename(conv: Conversation) -> str:
    """``<started-utc>_<run-id or conversation id>.json``, safe on every filesystem."""
    stamp = datetime.fromtimestamp(conv.started_wall, tz=timezone.utc)
    started = stamp.strftime("%Y%m%dT%H%M%S") + f"{stamp.microsecond // 1000:03d}Z"
    ident = _UNSAFE.sub("-", conv.context.run_id or "").strip("-.")[:80] or conv.id
    if conv.context.run_id:
        # two conversations of one run (a reconnect) must not overwrite each other
        ident = f"{ident}_{conv.id[:8]}"
    return f"{started}_{ident}.json"
