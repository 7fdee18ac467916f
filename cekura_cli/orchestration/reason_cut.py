"""Cutting a long reason so that what it says survives: pure, standard library only.

Reasons read "expected the reply to turn 1 ('…') to contain 'booked'; the agent said:
'…'". The explanation says what to fix; the quoted reply is evidence, and the transcript
(JSON report, dashboard) has it whole. So :func:`cut_reason` shortens quoted replies
first, then other long quotes, and cuts the end only when that was not enough.
"""

from __future__ import annotations

import re

__all__ = ["cut_reason"]

_ELLIPSIS = "…"
_QUOTE_KEEP = 24
"""Characters of a quoted excerpt kept when it is shortened (plus the ``…``)."""
_QUOTED = r"""(?<!\w)'(?P<body>.+?)'(?=$|[\s;:,.)\]|])"""
"""A single-quoted excerpt (double quotes are left alone: JSON arguments use them)."""
_REPLY_QUOTE = re.compile(
    r"(?:said|says|replied|answered|reply was):?\s*(?:"
    + _QUOTED
    + r"""|(?<!\w)["\u201c](?P<dq>.+?)["\u201d](?=$|[\s;:,.)\]|]))"""
)
"""A quoted reply of the agent: the first thing to shorten."""
_ANY_QUOTE = re.compile(_QUOTED)


def cut_reason(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, the explanation kept over the quotes.

    A reason reads "expected the reply to contain 'booked'; the agent said: '…'": the
    explanation says what to fix, the quoted reply is evidence (and the transcript has it
    whole). So quoted replies (after "said:") are shortened first, longest first, then
    any other long quote, and only then is the end cut. Every cut shows ``…``.
    """
    if len(text) <= limit:
        return text
    for pattern in (_REPLY_QUOTE, _ANY_QUOTE):
        text = _shorten_quotes(text, pattern, limit)
        if len(text) <= limit:
            return text
    return text[: max(limit - 1, 0)].rstrip() + _ELLIPSIS


def _body_span(match: re.Match[str]) -> tuple[int, int] | None:
    for group in ("body", "dq"):
        if group in match.re.groupindex and match.group(group) is not None:
            return match.span(group)
    return None


def _shorten_quotes(text: str, pattern: re.Pattern[str], limit: int) -> str:
    """Shorten the quotes ``pattern`` finds, longest first, until ``text`` fits."""
    while len(text) > limit:
        spans = [span for m in pattern.finditer(text) if (span := _body_span(m))]
        spans = [(start, end) for start, end in spans if end - start > _QUOTE_KEEP + 1]
        if not spans:
            return text
        start, end = max(spans, key=lambda span: span[1] - span[0])
        excess = len(text) - limit
        keep = max(end - start - excess - 1, _QUOTE_KEEP)
        text = text[:start] + text[start : start + keep].rstrip() + _ELLIPSIS + text[end:]
    return text
