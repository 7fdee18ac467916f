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

import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from cekura_cli.shim.session import Conversation, Role

PROVIDER_ROLES: dict[Role, str] = {
    Role.TESTER: "user",
    Role.AGENT: "bot",
    Role.FUNCTION_CALL: "function_call",
    Role.FUNCTION_CALL_RESULT: "function_call_result",
}

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

_TIME_DIGITS = 3  # millisecond resolution is plenty for chat turns


def iso_utc(epoch_s: float) -> str:
    """``2026-11-20T10:00:00.123Z``: ISO 8601 in UTC, milliseconds."""
    stamp = datetime.fromtimestamp(epoch_s, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _ended_wall(conv: Conversation) -> float:
    duration = conv.duration_s if conv.duration_s is not None else conv.now()
    return conv.started_wall + duration


def customer(conv: Conversation) -> dict[str, str]:
    """``{"number", "name"}`` as far as the ``X-`` headers tell (possibly empty)."""
    headers = conv.context.headers
    out: dict[str, str] = {}
    for key in CUSTOMER_NUMBER_HEADERS:
        if headers.get(key):
            out["number"] = headers[key]
            break
    for key in CUSTOMER_NAME_HEADERS:
        if headers.get(key):
            out["name"] = headers[key]
            break
    return out


def cekura_transcript(conv: Conversation) -> list[dict[str, Any]]:
    """The conversation in Cekura's ``transcript_object`` format."""
    return _entries(conv, lambda role: role.value)


def provider_messages(conv: Conversation) -> list[dict[str, Any]]:
    """The conversation's messages in the Custom transcript provider format."""
    return _entries(conv, PROVIDER_ROLES.__getitem__)


def _entries(conv: Conversation, role_name: Callable[[Role], str]) -> list[dict[str, Any]]:
    """Both formats share the entry shape; only the names of the roles differ."""
    out = []
    for entry in conv.entries:
        item: dict[str, Any] = {
            "role": role_name(entry.role),
            "content": entry.content,
            "start_time": round(entry.start_s, _TIME_DIGITS),
            "end_time": round(entry.end_s, _TIME_DIGITS),
        }
        if entry.data is not None:
            item["data"] = entry.data
        out.append(item)
    return out


def call_id(conv: Conversation) -> str:
    """The run id when the service sent one (so calls match runs), else our own id."""
    return conv.context.run_id or conv.id


def provider_call(conv: Conversation) -> dict[str, Any]:
    """One call of ``GET /calls`` (Custom transcript provider format)."""
    return {
        "id": call_id(conv),
        "startedAt": iso_utc(conv.started_wall),
        "endedAt": iso_utc(_ended_wall(conv)),
        "customer": customer(conv),
        "messages": provider_messages(conv),
    }


def transcript_document(conv: Conversation) -> dict[str, Any]:
    """The JSON document written for a finished conversation."""
    ctx = conv.context
    return {
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
        "customer": customer(conv),
        "transcript_object": cekura_transcript(conv),
        "messages": provider_messages(conv),
    }


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
