"""The tester's side of opening a conversation: handshake headers, the connection (every
way it can fail turned into one actionable sentence), and the wording of protocol errors.
Split from :mod:`cekura_cli.sandbox.tester`, which re-exports what it always offered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

if TYPE_CHECKING:
    from cekura_cli.sandbox.tester import ConversationPlan

PING_INTERVAL_S = 30.0
PING_TIMEOUT_S = 10.0
OPEN_TIMEOUT_S = 10.0
_TIMEOUTS = (asyncio.TimeoutError, TimeoutError)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def not_json_error(index: int, say: str, text: str) -> str:
    """The error of a turn answered only by a text frame that is not JSON."""
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return (
        f"the agent did not reply to turn {index} ({say[:60]!r}): it sent a frame that is "
        f"not JSON ({shown!r}); the protocol wants one JSON object per frame, e.g. "
        '{"content": "…"}'
    )


def vocera_headers(
    *,
    secret: str | None,
    scenario_id: int,
    result_id: int,
    run_id: int,
    extra: Mapping[str, str] = {},
) -> tuple[tuple[str, str], ...]:
    """The handshake headers the service sends (secret only when configured)."""
    headers: list[tuple[str, str]] = []
    if secret:
        headers.append(("X-VOCERA-SECRET", secret))
    headers += [
        ("X-VOCERA-SCENARIO-ID", str(scenario_id)),
        ("X-VOCERA-RESULT-ID", str(result_id)),
        ("X-VOCERA-RUN-ID", str(run_id)),
    ]
    headers += [(k, v) for k, v in extra.items() if not k.lower().startswith("x-vocera-")]
    return tuple(headers)


class _OpenFailed(Exception):
    pass


async def _open(plan: ConversationPlan) -> ClientConnection:
    """Connect, translating every way that can fail into one actionable sentence."""
    host = urlsplit(plan.url).hostname or ""
    try:
        return await connect(
            plan.url,
            additional_headers=list(plan.headers),
            user_agent_header="cekura-sandbox-tester",
            compression=None,
            proxy=None if host in _LOOPBACK else True,
            open_timeout=OPEN_TIMEOUT_S,
            ping_interval=PING_INTERVAL_S,
            ping_timeout=PING_TIMEOUT_S,
            close_timeout=max(1.0, plan.close_delay_s),
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise _OpenFailed(
            f"the agent's WebSocket server at {plan.url} refused the connection with HTTP "
            f"{status}{' (check the secret)' if status in (401, 403) else ''}"
        ) from exc
    except InvalidURI as exc:
        raise _OpenFailed(
            f"the agent's WebSocket URL {plan.url!r} is not a valid ws:// URL"
        ) from exc
    except InvalidHandshake as exc:
        raise _OpenFailed(
            f"the WebSocket handshake with {plan.url} failed: {exc}; is it a WebSocket server?"
        ) from exc
    except _TIMEOUTS as exc:
        raise _OpenFailed(
            f"timed out after {OPEN_TIMEOUT_S:g} s opening the WebSocket to {plan.url}"
        ) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise _OpenFailed(
            f"could not connect to the agent at {plan.url}: {reason}; is the agent (shim) running?"
        ) from exc
