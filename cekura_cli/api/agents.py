"""The agent endpoints behind ``cekura agent`` and ``cekura doctor`` (cekura-api-more.md §4-§5).

- read: v1 ``GET …/v1/aiagents/{id}/`` (the only shape with the ``*_configured`` flags),
  v2 as a fallback when v1 answers 404/405/410, and v2 read alongside to learn what only
  it says (the chat WebSocket secret flag);
- write: v2 ``PATCH …/v2/aiagents/{id}/`` with the whole ``provider`` block, falling back
  to the flat v1 PATCH when the v2 route does not exist (v1 cannot carry a secret);
- ``verify-websocket``: v1 body guess, read leniently (its answer shape is unknown).

Bodies carry provider keys and the WebSocket secret: they are registered with
:func:`~cekura_cli.redact.register_secret` before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cekura_cli.api.client import CekuraClient
from cekura_cli.doctor.agent_view import AgentView, merge_views, read_agent
from cekura_cli.doctor.providers import Connection, v1_body, v2_body
from cekura_cli.errors import MalformedResponse, RequestRejected, ServiceError, UsageError
from cekura_cli.redact import register_secret

__all__ = [
    "AGENT_V1_PATH",
    "AGENT_V2_PATH",
    "VERIFY_WEBSOCKET_PATH",
    "AgentNotFound",
    "AgentRecord",
    "Verification",
    "connect_agent",
    "fetch_agent",
    "read_verification",
    "verify_websocket",
]

AGENT_V1_PATH = "/test_framework/v1/aiagents/{id}/"
AGENT_V2_PATH = "/test_framework/v2/aiagents/{id}/"
VERIFY_WEBSOCKET_PATH = "/test_framework/v1/aiagents/verify-websocket/"
_ROUTE_MISSING = frozenset({404, 405, 410})
_NOT_FOUND_HINT = (
    "check --agent-id (or CEKURA_AGENT_ID), and that the API key is of the agent's organisation"
)


class AgentNotFound(UsageError):
    """Neither agent route knows the id: a usage error (exit 2), not a service failure."""


@dataclass(frozen=True)
class AgentRecord:
    view: AgentView
    v1: Mapping[str, Any] | None
    v2: Mapping[str, Any] | None

    @property
    def provider_block(self) -> Mapping[str, Any] | None:
        block = (self.v2 or {}).get("provider")
        return block if isinstance(block, Mapping) else None


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"the {what} answer is not a JSON object")
    return data


def _get(client: CekuraClient, path: str, agent_id: int) -> Mapping[str, Any]:
    data = client.request_json("GET", path.format(id=agent_id), resource=f"agent {agent_id}")
    return _object(data, f"agent {agent_id}")


def fetch_agent(client: CekuraClient, agent_id: int) -> AgentRecord:
    """The agent in both shapes where the service has them; AgentNotFound when it has none."""
    agent_id = int(agent_id)
    v1: Mapping[str, Any] | None = None
    try:
        v1 = _get(client, AGENT_V1_PATH, agent_id)
    except ServiceError as exc:
        if exc.status_code not in _ROUTE_MISSING:
            raise
    try:
        v2: Mapping[str, Any] | None = _get(client, AGENT_V2_PATH, agent_id)
    except ServiceError as exc:
        if v1 is not None:
            v2 = None  # v1 answered: what only v2 says stays unknown
        elif exc.status_code in _ROUTE_MISSING:
            raise AgentNotFound(f"agent {agent_id} not found", hint=_NOT_FOUND_HINT) from exc
        else:
            raise
    if v1 is not None:
        view = merge_views(read_agent(v1), read_agent(v2) if v2 is not None else None)
    else:
        view = read_agent(v2 or {})
    return AgentRecord(view, v1, v2)


def connect_agent(
    client: CekuraClient, agent_id: int, connection: Connection, record: AgentRecord
) -> str:
    """Set the chat connection; returns the API version that took it (``v2`` or ``v1``)."""
    register_secret(connection.api_key)
    register_secret(connection.secret)
    body = v2_body(connection, record.provider_block)
    path = AGENT_V2_PATH.format(id=int(agent_id))
    try:
        client.request_json("PATCH", path, json_body=body, resource=f"agent {agent_id}")
        return "v2"
    except ServiceError as exc:
        if exc.status_code not in _ROUTE_MISSING or record.v1 is None:
            raise
    if connection.secret:
        raise RequestRejected(
            "the service has no v2 agent route, and v1 cannot store a WebSocket secret",
            hint="set the secret in the dashboard, or connect without --secret-env",
        )
    path = AGENT_V1_PATH.format(id=int(agent_id))
    client.request_json("PATCH", path, json_body=v1_body(connection), resource=f"agent {agent_id}")
    return "v1"


@dataclass(frozen=True)
class Verification:
    """The service's verify-websocket answer, read leniently."""

    connected: bool | None
    """None: the answer had no connected flag we know (an unknown shape: "unverified")."""
    opening_message: str | None = None
    error: str | None = None


_CONNECTED_KEYS = ("connected", "success", "ok", "is_connected", "valid", "reachable")
_ERROR_KEYS = ("error", "error_message", "detail", "reason")
_OPENING_KEYS = ("opening_message", "first_message", "greeting", "initial_message")


def read_verification(data: Any) -> Verification:
    """Any 2xx body: a flag under a known name, the opening message, an error text."""
    if not isinstance(data, Mapping):
        return Verification(None)
    for wrapper in ("result", "data"):
        if isinstance(data.get(wrapper), Mapping):
            data = data[wrapper]
    connected = next(
        (data[key] for key in _CONNECTED_KEYS if isinstance(data.get(key), bool)), None
    )
    opening = next((data[key] for key in _OPENING_KEYS if data.get(key)), None)
    if isinstance(opening, Mapping):
        opening = opening.get("content")
    error = next((data[key] for key in _ERROR_KEYS if isinstance(data.get(key), str)), None)
    message = data.get("message") if isinstance(data.get("message"), str) else None
    if connected is False:
        error = error or message  # a bare "message" explains a failure...
    elif connected is True:
        opening, error = opening or message, None  # ...or is what the server said first
    return Verification(connected, str(opening) if opening is not None else None, error or None)


def verify_websocket(
    client: CekuraClient, url: str, headers: Mapping[str, str], secret: str | None
) -> Verification:
    """Ask the service to open ``url`` with the headers a run sends. Charges nothing."""
    register_secret(secret)
    body: dict[str, Any] = {"websocket_url": url, "websocket_headers": dict(headers)}
    if secret:
        body["websocket_secret"] = secret
    data = client.request_json(
        "POST", VERIFY_WEBSOCKET_PATH, json_body=body, resource="verify-websocket"
    )
    return read_verification(data)
