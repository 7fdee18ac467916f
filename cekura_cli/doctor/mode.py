"""Which mode a ``cekura run`` with the same flags would use: WebSocket or API chat.

The rule (PRODUCT.md §9, as the API-chat work defines it): ``--via`` forces a mode;
otherwise ``--serve`` with ``--public-url`` is WebSocket (the service reaches the shim
through the tunnel) and ``--serve`` without is API chat (nothing has to reach the
runner); ``--local`` is WebSocket unless ``--via api-chat``; anything else is the agent's
own chat connection, which is WebSocket-or-provider and not ours to pick.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["RunMode", "run_mode"]


class RunMode(str, Enum):
    WEBSOCKET = "websocket"
    API_CHAT = "api-chat"
    AGENT = "agent"
    """No local agent: the service uses the agent's configured chat connection."""


def run_mode(
    *, via: str | None = None, serve: bool = False, public_url: bool = False, local: bool = False
) -> RunMode:
    if via:
        return RunMode(via)
    if local:
        return RunMode.WEBSOCKET
    if serve:
        return RunMode.WEBSOCKET if public_url else RunMode.API_CHAT
    return RunMode.AGENT
