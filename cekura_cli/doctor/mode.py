"""Which mode a ``cekura run`` with the same flags would use: WebSocket or API chat.

The rule is API chat's own (:func:`cekura_cli.apichat.mode.choose_mode`, PRODUCT.md §9):
``--via`` forces a mode; otherwise ``--serve`` with ``--public-url`` is WebSocket (the
service reaches the shim through the tunnel), ``--serve`` without is API chat (nothing
has to reach the runner), ``--local`` is WebSocket. The doctor adds one case: with no
local agent and no ``--websocket-url`` the run uses the agent's own chat connection,
which may be a provider rather than a WebSocket (:attr:`RunMode.AGENT`).
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
    *,
    via: str | None = None,
    serve: str | None = None,
    public_url: str | None = None,
    websocket_url: str | None = None,
    local: bool = False,
) -> RunMode:
    """The mode; UsageError (exit 2) for flag combinations a run would refuse."""
    from cekura_cli.apichat.mode import choose_mode

    mode = choose_mode(
        via, serve=serve, public_url=public_url, websocket_url=websocket_url, local=local
    )
    if via is None and not serve and not local and not websocket_url:
        return RunMode.AGENT
    return RunMode(mode.value)
