"""Keep secrets out of every output channel.

Secrets (the API key, the WebSocket secret) are registered once, when settings are
resolved; every human message, log record, report and exception text that leaves the
process goes through :func:`redact`. A registered secret is replaced by ``****`` plus
at most its last four characters (none at all for short secrets).

A service or an agent may also quote a secret cut short (``"key sk_test_ab…"``), so any
run of :data:`FRAGMENT_LEN` or more characters that also occurs in a secret is masked
as ``****`` too. Over-masking an innocent string that happens to share 8 characters
with a secret is the price, and a safe one.
"""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()

_MIN_SECRET_LEN = 4  # shorter values would redact ordinary words
FRAGMENT_LEN = 8
"""Pieces of a secret at least this long are masked wherever they appear."""
_fragments: re.Pattern[str] | None = None


def mask(secret: str) -> str:
    """``****`` + the last four characters, or just ``****`` when that would reveal too much."""
    if len(secret) >= 12:
        return "****" + secret[-4:]
    return "****"


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` so that :func:`redact` removes it from any text."""
    global _fragments
    if secret and len(secret) >= _MIN_SECRET_LEN:
        with _lock:
            if secret not in _secrets:
                _secrets.add(secret)
                _fragments = _fragment_pattern(_secrets)


def registered_secrets() -> tuple[str, ...]:
    """The registered secrets (empty when none): lets callers skip masking work."""
    if not _secrets:
        return ()
    with _lock:
        return tuple(_secrets)


def forget_secrets() -> None:
    """Drop every registered secret (tests use this between cases)."""
    global _fragments
    with _lock:
        _secrets.clear()
        _fragments = None


def _fragment_pattern(secrets: set[str]) -> re.Pattern[str] | None:
    pieces = {
        secret[i : i + FRAGMENT_LEN]
        for secret in secrets
        for i in range(len(secret) - FRAGMENT_LEN + 1)
    }
    if not pieces:
        return None
    return re.compile("|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True)))


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` by its mask."""
    if not _secrets or not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
        fragments = _fragments
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    if fragments is not None and fragments.search(text):
        text = _mask_fragments(text, fragments, secrets)
    return text


def _mask_fragments(text: str, fragments: re.Pattern[str], secrets: list[str]) -> str:
    """Mask every maximal run of text that is a piece (>= FRAGMENT_LEN) of some secret."""
    spans: list[tuple[int, int]] = []
    for match in fragments.finditer(text):
        start, end = match.span()
        for secret in secrets:  # grow the piece as far as the text keeps following a secret
            at = secret.find(match.group())
            while at != -1:
                left, right = start, end
                s_left, s_right = at, at + (end - start)
                while left > 0 and s_left > 0 and text[left - 1] == secret[s_left - 1]:
                    left, s_left = left - 1, s_left - 1
                while (
                    right < len(text) and s_right < len(secret) and text[right] == secret[s_right]
                ):
                    right, s_right = right + 1, s_right + 1
                spans.append((left, right))
                at = secret.find(match.group(), at + 1)
    spans.sort()
    out: list[str] = []
    cursor = 0
    for left, right in spans:
        if right <= cursor:
            continue
        out.append(text[cursor : max(left, cursor)])
        if left >= cursor:
            out.append("****")
        cursor = right
    out.append(text[cursor:])
    return "".join(out)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the fully formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = redact(record.getMessage())
            record.args = None
        return True
