"""Keep secrets out of every output channel.

Secrets (the API key, the WebSocket secret) are registered once, when settings are
resolved; every human message, log record, report and exception text that leaves the
process goes through :func:`redact`. A registered secret is replaced by ``****`` plus
at most its last four characters (none at all for short secrets).
"""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_secrets: set[str] = set()

_MIN_SECRET_LEN = 4  # shorter values would redact ordinary words


def mask(secret: str) -> str:
    """``****`` + the last four characters, or just ``****`` when that would reveal too much."""
    if len(secret) >= 12:
        return "****" + secret[-4:]
    return "****"


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` so that :func:`redact` removes it from any text."""
    if secret and len(secret) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(secret)


def forget_secrets() -> None:
    """Drop every registered secret (tests use this between cases)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` by its mask."""
    if not _secrets or not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the fully formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage())
            record.args = None
        return True
