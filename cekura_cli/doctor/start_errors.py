"""Turn the service's "chat provider not configured" refusal of a start into a fix.

The docs' troubleshooting names "Chat provider not configured"; no source shows its
shape, and the text-run start answers a bare ``["Agent does not have a websocket URL"]``
for a self-hosted agent without one (cekura-api-more.md §5). A start 400 whose text
says so is a configuration problem of the agent, not of the request: exit 2 with one
line that quotes the service and names the two commands that fix and check it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from cekura_cli.errors import RequestRejected, UsageError

__all__ = ["NOT_CONNECTED", "chat_provider_error", "explain_start_refusal"]

T = TypeVar("T")

NOT_CONNECTED = re.compile(
    r"not configured|chat provider|configuration method"
    r"|(does not have|doesn't have|has no|without|missing|no) (a |an )?(websocket|chat)"
    r"|can.?run.?as.?text",
    re.IGNORECASE,
)


class ChatProviderNotConfigured(UsageError):
    """The agent has no chat connection the service can run text scenarios on."""


def chat_provider_error(exc: RequestRejected) -> UsageError | None:
    """The exit-2 error for a start refused for want of a chat connection, else None."""
    if exc.status_code != 400 or not NOT_CONNECTED.search(exc.message):
        return None
    said = exc.message.split("): ", 1)[-1] if "): " in exc.message else exc.message
    return ChatProviderNotConfigured(
        f"the agent has no chat connection the service can use (the service said: {said}); "
        "connect one with 'cekura agent connect --provider …' and check with 'cekura doctor'"
    )


def explain_start_refusal(start: Callable[[], T]) -> T:
    """Call ``start``; a refusal for want of a chat connection becomes the exit-2 error."""
    try:
        return start()
    except RequestRejected as exc:
        mapped = chat_provider_error(exc)
        if mapped is None:
            raise
        raise mapped from exc
