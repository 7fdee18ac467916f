"""Words that depend on a number or come from a library: one place, so they agree.

Pure: no I/O, no imports beyond the standard library (``cekura --help`` imports it).
"""

from __future__ import annotations

__all__ = ["count", "plural", "validation_message"]

_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``noun`` for exactly one, else its plural (``noun + "s"`` unless given)."""
    return noun if n == 1 else (plural_form or noun + "s")


def count(n: int, noun: str, plural_form: str | None = None) -> str:
    """``1 run``, ``3 runs``, ``9,000 runs``: the number (thousands grouped) and its noun."""
    return f"{n:,} {plural(n, noun, plural_form)}"


def validation_message(message: str) -> str:
    """A pydantic error message without the wrapper words pydantic adds.

    A validator that raises ``ValueError("must start with http://")`` surfaces as
    ``"Value error, must start with http://"``; users should read only the reason.
    """
    for prefix in _PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
