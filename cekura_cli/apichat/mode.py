"""Which way a run reaches the agent: the service dials a WebSocket, or we drive API chat.

One small pure function, shared by ``cekura run`` and ``cekura doctor`` (PRODUCT.md §9):

- ``--via`` forces a mode; ``--via api-chat`` refuses ``--public-url`` and
  ``--websocket-url`` (nothing dials the agent) and, against the service, needs
  ``--serve TARGET`` (we play the agent);
- otherwise ``--serve TARGET`` against the service without ``--public-url`` is API chat
  (no tunnel); everything else (``--local``, ``--public-url``, the agent's own
  WebSocket URL) is the WebSocket path, as before.
"""

from __future__ import annotations

from enum import Enum

from cekura_cli.errors import UsageError


class Mode(str, Enum):
    WEBSOCKET = "websocket"
    API_CHAT = "api-chat"


def choose_mode(
    via: str | Mode | None,
    *,
    serve: str | None,
    public_url: str | None,
    websocket_url: str | None = None,
    local: bool = False,
) -> Mode:
    """The mode a run would use; UsageError (exit 2) for combinations that cannot work."""
    if via is not None:
        try:
            mode = Mode(via)
        except ValueError:
            raise UsageError(f"--via must be websocket or api-chat, not {str(via)!r}") from None
        if mode is Mode.API_CHAT:
            if public_url:
                raise UsageError("--via api-chat needs no --public-url (nothing dials the agent)")
            if websocket_url:
                raise UsageError(
                    "--via api-chat cannot use --websocket-url: the CLI plays the agent"
                )
            if not serve and not local:
                raise UsageError(
                    "--via api-chat needs --serve TARGET: the agent the CLI plays",
                    hint="e.g. --serve ci_agent.py:reply",
                )
        elif serve and not local and not public_url:
            raise UsageError(
                "--via websocket with --serve needs --public-url wss://… "
                "(the service cannot reach 127.0.0.1)",
                hint="expose the shim with a tunnel, or drop --via to use API chat",
            )
        return mode
    if serve and not local and not public_url:
        return Mode.API_CHAT
    return Mode.WEBSOCKET
