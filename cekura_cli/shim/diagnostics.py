"""Small, pure helpers for what the shim tells people: close reasons, log labels, causes.

Also :func:`header_text`, which undoes websockets' ISO-8859-1 decoding of handshake
header values for the (usual) clients that send UTF-8.
"""

from __future__ import annotations

from cekura_cli.redact import redact
from cekura_cli.shim.adapters.base import AgentError
from cekura_cli.shim.session import Conversation

CLOSE_REASON_BYTES = 123
"""RFC 6455: a close frame's reason is at most 123 bytes of UTF-8."""


def close_reason(text: str) -> str:
    """``text`` masked and cut to fit a close frame (whole characters, with an ellipsis)."""
    text = " ".join(redact(text).split())
    if len(text.encode("utf-8")) <= CLOSE_REASON_BYTES:
        return text
    data = text.encode("utf-8")[: CLOSE_REASON_BYTES - 3]
    return data.decode("utf-8", "ignore") + "…"


def failure_detail(exc: BaseException) -> str:
    """What went wrong, in one masked line: an adapter's own words for an AgentError
    (``agent process exited with code 3``), else only the exception's type. A user
    exception's text may quote anything (a provider key the shim does not know of), so
    it stays in the agent's own logs, not in close reasons, transcripts or reports."""
    if isinstance(exc, AgentError):
        return redact(" ".join(str(exc).split())) or type(exc).__name__
    return type(exc).__name__


def label(conv: Conversation) -> str:
    """How logs name a conversation: by the service's run id when there is one."""
    run_id = conv.context.run_id
    if run_id:
        return f"run {_printable(run_id)[:80]}"
    return f"conversation {conv.id[:12]}"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def header_text(value: str) -> str:
    """A handshake header value as its sender meant it.

    websockets hands header values over decoded as ISO-8859-1 (>= 17) or as ASCII with
    surrogate escapes (older); clients that send UTF-8 (most do) would otherwise reach
    the agent, transcripts and ``/calls`` as mojibake (``JosÃ©``). Valid UTF-8 is
    decoded as UTF-8; anything else stays ISO-8859-1.
    """
    if value.isascii():
        return value
    try:
        raw = value.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        return value
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
