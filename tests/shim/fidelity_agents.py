"""Agents shaped like the seed page's example and other third-party agents (TARGETs)."""

from __future__ import annotations

import sys


def seed_weather(history, context):
    """The seed page's tool turn: a Function Call, then a Function Call Result without
    a ``name`` (as the seed's example sends it), then the reply."""
    if not history:
        return None
    return [
        {
            "role": "Function Call",
            "data": {"id": "call_abc123", "name": "get_weather", "arguments": '{"city": "NYC"}'},
        },
        {"role": "Function Call Result", "data": {"id": "call_abc123", "result": '{"t": 72}'}},
        {"content": "It is 72 degrees.", "metadata": {"customer_number": "+15550001111"}},
    ]


def orphan_result(history, context):
    """A result whose call came in an earlier turn: kept, without a name."""
    if not history:
        return None
    return [{"role": "Function Call Result", "data": {"id": "call_9", "result": "ok"}}, "Done."]


EXIT_THREE = f"{sys.executable} -c 'import sys; sys.stdin.readline(); sys.exit(3)'"
"""An exec agent that reads the ``start`` line and exits with code 3."""

NOT_JSON = (
    f'{sys.executable} -c "import sys\n'
    "for line in sys.stdin:\n"
    "    print('hello, not json', flush=True)\""
)
"""An exec agent that answers every line with plain text."""


def leaky(history, context):
    """Fails with the shim's secret in its message (it must never get out)."""
    if not history:
        return None
    raise RuntimeError("upstream refused token pässwörd-123")
