"""A WebSocket probe: open an agent endpoint the way a run does and see that it talks.

Used by ``cekura doctor`` (the local probe) and by the sandbox's ``verify-websocket``.
One short conversation: connect with the handshake headers a run sends (the secret as
``X-VOCERA-SECRET``), wait briefly for a greeting, else send one probe message and wait
for a content reply, send a ping and wait for its pong, then ``end_call`` and close.

Every step is bounded by ``timeout_s``; nothing is retried. websockets' exceptions are
translated here, into one-line :attr:`ProbeResult.problem` texts that never carry the
secret (the headers are not echoed; server text is cut short and redacted).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cekura_cli.redact import redact

__all__ = ["PROBE_MESSAGE", "ProbeResult", "probe_headers", "probe_websocket"]

PROBE_MESSAGE = "Hello! This is a connection check from cekura doctor."
PROBE_ID = "0"
"""The scenario/result/run id the probe sends: ids are opaque strings, "0" names none."""
UNAUTHORIZED = 1008
_MAX_TEXT = 200


@dataclass(frozen=True)
class ProbeResult:
    connected: bool
    """The WebSocket handshake completed."""
    close_code: int | None = None
    """Set when the server closed the connection during the probe."""
    greeting: str | None = None
    """The server spoke first with this content."""
    reply: str | None = None
    """The server's content reply to the probe message."""
    pong: bool | None = None
    """A ping got its pong (None: not tried, the connection was gone)."""
    problem: str | None = None
    """What went wrong, one line; None when everything worked."""

    @property
    def refused(self) -> bool:
        return self.close_code == UNAUTHORIZED

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def opening_message(self) -> str | None:
        return self.greeting

    def as_json(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "close_code": self.close_code,
            "greeting": self.greeting,
            "reply": self.reply,
            "pong": self.pong,
            "problem": self.problem,
        }


def probe_headers(
    secret: str | None, extra: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The handshake headers of a run (secret only when set), then the agent's own."""
    headers: list[tuple[str, str]] = []
    if secret:
        headers.append(("X-VOCERA-SECRET", secret))
    headers += [
        ("X-VOCERA-SCENARIO-ID", PROBE_ID),
        ("X-VOCERA-RESULT-ID", PROBE_ID),
        ("X-VOCERA-RUN-ID", PROBE_ID),
    ]
    headers += [(k, v) for k, v in extra if not k.lower().startswith("x-vocera-")]
    return headers


def _short(text: Any) -> str:
    flat = " ".join(str(text).split())
    if len(flat) > _MAX_TEXT:
        flat = flat[: _MAX_TEXT - 1] + "…"
    return redact(flat)


def _content(frame: Any) -> str | None:
    """The content of a server frame, or None for metadata, tool calls and junk."""
    if not isinstance(frame, str):
        return None
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("role"):
        return None
    content = message.get("content")
    return content if isinstance(content, str) and content.strip() else None


def _closed(exc: Any, connected: bool, **seen: Any) -> ProbeResult:
    code = exc.rcvd.code if getattr(exc, "rcvd", None) is not None else None
    if code == UNAUTHORIZED:
        problem = "the server closed the connection with 1008 (Unauthorized): wrong or no secret"
    elif code is not None:
        reason = _short(exc.rcvd.reason) if exc.rcvd.reason else ""
        problem = f"the server closed the connection with code {code}" + (
            f" ({reason})" if reason else ""
        )
    else:
        problem = "the server dropped the connection without a close frame"
    return ProbeResult(connected, close_code=code, problem=problem, **seen)


def probe_websocket(
    url: str,
    *,
    headers: Sequence[tuple[str, str]],
    timeout_s: float = 5.0,
    greeting_wait_s: float = 2.0,
    message: str = PROBE_MESSAGE,
) -> ProbeResult:
    """Probe ``url``; never raises for anything the server or the network does."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
    from websockets.sync.client import connect

    host = urlsplit(url).hostname or ""
    loopback = host in {"127.0.0.1", "::1", "localhost"}
    try:
        ws = connect(
            url,
            additional_headers=list(headers),
            open_timeout=timeout_s,
            close_timeout=1.0,
            ping_interval=None,  # the probe pings once itself
            max_size=1 << 20,
            compression=None,
            proxy=None if loopback else True,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        return ProbeResult(False, problem=f"the server answered HTTP {status}, not a WebSocket")
    except InvalidURI:
        return ProbeResult(False, problem=f"{_short(url)!r} is not a WebSocket URL")
    except (TimeoutError, InvalidHandshake) as exc:
        what = "timed out" if isinstance(exc, TimeoutError) else _short(exc)
        return ProbeResult(False, problem=f"the WebSocket handshake failed: {what}")
    except OSError as exc:
        return ProbeResult(False, problem=f"could not connect: {_short(exc.strerror or exc)}")
    greeting = reply = None
    with ws:
        try:
            greeting = _wait_for_content(ws, greeting_wait_s)
            if greeting is None:
                ws.send(json.dumps({"content": message}))
                reply = _wait_for_content(ws, timeout_s)
                if reply is None:
                    return ProbeResult(
                        True,
                        problem=f"no greeting and no reply to a probe message within "
                        f"{greeting_wait_s + timeout_s:g} s",
                    )
            pong = ws.ping().wait(timeout_s)
            if not pong:
                return ProbeResult(
                    True, greeting=greeting, reply=reply, pong=False,
                    problem=f"a ping got no pong within {timeout_s:g} s",
                )  # fmt: skip
            ws.send(json.dumps({"type": "end_call"}))
        except ConnectionClosed as exc:
            return _closed(exc, True, greeting=greeting, reply=reply)
    return ProbeResult(True, greeting=_short(greeting) if greeting else None,
                       reply=_short(reply) if reply else None, pong=True)  # fmt: skip


def _wait_for_content(ws: Any, wait_s: float) -> str | None:
    """The first content message within ``wait_s`` (metadata and tool calls skipped)."""
    deadline = time.monotonic() + wait_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            frame = ws.recv(timeout=left)
        except TimeoutError:
            return None
        content = _content(frame)
        if content is not None:
            return content
