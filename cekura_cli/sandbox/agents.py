"""The sandbox's agent endpoints: chat-connection read/write and ``verify-websocket``.

Emulated as cekura-api-more.md §4-§5 describes the service (or guesses, where it does):

- ``GET|PATCH /test_framework/v1/aiagents/{id}/``: the flat shape, ``assistant_provider``,
  ``assistant_id``/``chat_assistant_id``, the text ``websocket_url`` and headers, write-only
  ``*_api_key`` fields reported as ``*_api_key_configured`` flags; no secret field;
- ``GET|PATCH /test_framework/v2/aiagents/{id}/``: the nested ``provider`` block with
  ``chat_agent_details`` (``websocket_secret`` masked in answers), write-only
  ``credentials.api_key``, and the read-only ``chat_provider``; a flat body sent to v2 is
  refused with "At least one configuration method must be provided" (the SDK's note);
- ``POST …/aiagents/verify-websocket/``: really opens the WebSocket with the headers a run
  sends (:func:`cekura_cli.shim.probe.probe_websocket`) and answers ``{connected,
  opening_message, error}`` (the service's shape is unknown; this is our guess).

Sandbox-only: ``is_active`` in both shapes (the service's schema has no such flag; tests
disable the agent to see ``cekura doctor`` fail). A PATCHed ``websocket_url`` is where
later runs go; the secret runs send stays the one the sandbox was started with.
The probe runs under the dispatch lock: it is bounded (a few seconds) and only the
doctor calls it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cekura_cli.sandbox.messages import Request, Response, error, field_errors, json_response
from cekura_cli.sandbox.state import SandboxState

__all__ = ["AgentChat", "agent_chat", "agent_endpoint", "verify_websocket_endpoint"]

V1_PROVIDERS = frozenset({"elevenlabs", "retell", "vapi", "bland", "self_hosted", "custom"})
V2_CHAT_TYPES = frozenset(
    {"retell", "bland", "vapi", "elevenlabs", "livekit", "agora", "sms", "whatsapp",
     "self_hosted", "agentforce", "amazon_connect", "koreai", "sierra", ""}
)  # fmt: skip
KEYED_PROVIDERS = ("vapi", "retell", "elevenlabs", "bland")
VERIFY_TIMEOUT_S = 3.0
VERIFY_GREETING_WAIT_S = 1.0

Prober = Callable[[str, Sequence[tuple[str, str]]], Any]


@dataclass
class AgentChat:
    """The agent's chat connection as the sandbox stores it (secrets kept, never shown)."""

    provider: str | None = None
    """v1 ``assistant_provider`` (``self_hosted`` for the Custom WebSocket)."""
    assistant_id: str | None = None
    chat_assistant_id: str | None = None
    websocket_headers: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)
    """provider -> key (write-only)."""
    websocket_secret: str | None = field(default=None, repr=False)
    enabled: bool = True
    prober: Prober | None = None
    """None: the real WebSocket probe (tests may inject another)."""


def agent_chat(state: SandboxState) -> AgentChat:
    """The state's chat connection, created on first use from the suite's agent."""
    chat = state.__dict__.get("_agent_chat")
    if chat is None:
        chat = AgentChat(
            provider="self_hosted" if state.agent_websocket_url else None,
            assistant_id=state.agent.assistant_id,
            websocket_headers=dict(state.agent.websocket_headers),
        )
        state.__dict__["_agent_chat"] = chat
    return chat


# --- shapes ------------------------------------------------------------------------------


def v1_json(state: SandboxState) -> dict[str, Any]:
    chat = agent_chat(state)
    body = state.agent_json()
    body.update(
        {
            "assistant_provider": chat.provider,
            "assistant_id": chat.assistant_id,
            "chat_assistant_id": chat.chat_assistant_id,
            "websocket_url": state.agent_websocket_url,
            "websocket_headers": dict(chat.websocket_headers),
            "is_active": chat.enabled,
        }
    )
    for name in KEYED_PROVIDERS:
        body[f"{name}_api_key_configured"] = name in chat.api_keys
    return body


def _chat_details(state: SandboxState, chat: AgentChat) -> dict[str, Any] | None:
    if chat.provider == "self_hosted" and state.agent_websocket_url:
        config = {
            "url": state.agent_websocket_url,
            "headers": dict(chat.websocket_headers),
            "websocket_secret": "****" if chat.websocket_secret else "",
        }
        return {"type": "self_hosted", "config": config}
    if chat.provider in {"retell", "bland"} and chat.chat_assistant_id:
        return {"type": chat.provider, "config": {"agent_id": chat.chat_assistant_id}}
    return None  # ElevenLabs/Vapi chat is "configured automatically" from the voice side


def v2_json(state: SandboxState) -> dict[str, Any]:
    agent, chat = state.agent, agent_chat(state)
    v1 = state.agent_json()
    provider: dict[str, Any] = {
        "type": "custom" if chat.provider in {None, "self_hosted"} else chat.provider,
        "agent_id": chat.assistant_id,
        "credentials": {"config": {}},
        "chat_provider": chat.provider,
    }
    details = _chat_details(state, chat)
    if details is not None:
        provider["chat_agent_details"] = details
    return {
        "id": agent.id,
        "name": agent.name,
        "description": v1["description"],
        "project": agent.project,
        "language": v1["language"],
        "agent_speaks_first": v1["agent_gives_first_message"],
        "telephony": {"phone_number": None, "inbound": True, "websocket_url": None},
        "provider": provider,
        "webhook_secret_configured": False,
        "is_active": chat.enabled,
        "created_at": v1["created_at"],
        "updated_at": v1["updated_at"],
    }


# --- writes ------------------------------------------------------------------------------


def _body(request: Request) -> Mapping[str, Any] | Response:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return error(400, "JSON parse error.")
    if not isinstance(data, Mapping):
        return field_errors({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    return data


def _url_error(url: Any) -> str | None:
    if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
        return "Enter a valid ws:// or wss:// URL."
    return None


_HEADERS_ERROR = "Expected an object of string header values."


def _headers_error(headers: Any) -> str | None:
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        return _HEADERS_ERROR
    return None


def patch_v1(state: SandboxState, data: Mapping[str, Any]) -> Response | None:
    chat = agent_chat(state)
    errors: dict[str, list[str]] = {}
    provider = data.get("assistant_provider", chat.provider)
    if provider is not None and provider not in V1_PROVIDERS:
        errors["assistant_provider"] = [f'"{provider}" is not a valid choice.']
    if "websocket_url" in data and data["websocket_url"] and _url_error(data["websocket_url"]):
        errors["websocket_url"] = [_url_error(data["websocket_url"]) or ""]
    if "websocket_headers" in data and _headers_error(data["websocket_headers"]):
        errors["websocket_headers"] = [_headers_error(data["websocket_headers"]) or ""]
    chat_id = data.get("chat_assistant_id", chat.chat_assistant_id)
    if provider in {"retell", "bland"} and not chat_id:
        errors["chat_assistant_id"] = [f"This field is required for {provider}."]
    if errors:
        return field_errors(errors)
    chat.provider = provider or None
    if chat.provider is None:
        state.agent_websocket_url = None  # no chat connection: text runs are refused
    chat.assistant_id = data.get("assistant_id", chat.assistant_id)
    chat.chat_assistant_id = chat_id
    if "websocket_url" in data:
        state.agent_websocket_url = data["websocket_url"] or None
    if "websocket_headers" in data:
        chat.websocket_headers = dict(data["websocket_headers"])
    for name in KEYED_PROVIDERS:
        if data.get(f"{name}_api_key"):
            chat.api_keys[name] = str(data[f"{name}_api_key"])
    return None


def patch_v2(state: SandboxState, data: Mapping[str, Any]) -> Response | None:
    block = data.get("provider")
    if block is None:
        if "assistant_provider" in data or "websocket_url" in data:
            return field_errors(
                {"non_field_errors": ["At least one configuration method must be provided"]}
            )
        return None
    if not isinstance(block, Mapping):
        return field_errors({"provider": ["Expected an object."]})
    details = block.get("chat_agent_details") or {}
    details_type = details.get("type", "") if isinstance(details, Mapping) else None
    config = details.get("config") or {} if isinstance(details, Mapping) else {}
    errors: dict[str, list[str]] = {}
    if details_type not in V2_CHAT_TYPES or not isinstance(config, Mapping):
        errors["provider.chat_agent_details.type"] = [f'"{details_type}" is not a valid choice.']
    elif details_type == "self_hosted":
        if _url_error(config.get("url")):
            errors["provider.chat_agent_details.config.url"] = [_url_error(config.get("url")) or ""]
        if "headers" in config and _headers_error(config["headers"]):
            errors["provider.chat_agent_details.config.headers"] = [_HEADERS_ERROR]
    elif details_type in {"retell", "bland"} and not config.get("agent_id"):
        errors["provider.chat_agent_details.config.agent_id"] = ["This field is required."]
    if errors:
        return field_errors(errors)
    chat = agent_chat(state)
    voice = block.get("type")
    credentials = block.get("credentials") or {}
    key = credentials.get("api_key") if isinstance(credentials, Mapping) else None
    if details_type == "self_hosted":
        chat.provider = "self_hosted"
        state.agent_websocket_url = str(config["url"])
        chat.websocket_headers = dict(config.get("headers") or {})
        if config.get("websocket_secret"):
            chat.websocket_secret = str(config["websocket_secret"])
    elif details_type:
        chat.provider = details_type
        chat.chat_assistant_id = str(config.get("agent_id") or "") or None
    elif voice in KEYED_PROVIDERS:
        chat.provider = str(voice)  # chat "configured automatically" from the voice side
    elif "chat_agent_details" in block:  # "" or null clears the chat connection
        chat.provider = None
        state.agent_websocket_url = None
    if "agent_id" in block:
        chat.assistant_id = block["agent_id"]
    if key and voice in KEYED_PROVIDERS:
        chat.api_keys[str(voice)] = str(key)
    return None


# --- handlers ------------------------------------------------------------------------------


def agent_endpoint(
    state: SandboxState, request: Request, _: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    """GET or PATCH one agent, in the v1 or v2 shape by the path's version."""
    if int(params["id"]) != state.agent.id:
        return error(404, "Not found.")
    v2 = request.path.startswith("/test_framework/v2/")
    if request.method == "PATCH":
        data = _body(request)
        if isinstance(data, Response):
            return data
        problem = patch_v2(state, data) if v2 else patch_v1(state, data)
        if problem is not None:
            return problem
    return json_response(200, v2_json(state) if v2 else v1_json(state))


def verify_websocket_endpoint(
    state: SandboxState, request: Request, _: Mapping[str, str], __: Mapping[str, str]
) -> Response:
    """Open the WebSocket like a run would; say whether it connected and what it said first."""
    data = _body(request)
    if isinstance(data, Response):
        return data
    url = data.get("websocket_url") or data.get("url")
    if not url:
        return field_errors({"websocket_url": ["This field is required."]})
    if _url_error(url):
        return field_errors({"websocket_url": [_url_error(url) or ""]})
    headers = data.get("websocket_headers") or data.get("headers") or {}
    if _headers_error(headers):
        return field_errors({"websocket_headers": [_headers_error(headers) or ""]})
    from cekura_cli.shim.probe import probe_headers, probe_websocket

    secret = data.get("websocket_secret")
    wire = probe_headers(str(secret) if secret else None, list(headers.items()))
    prober = agent_chat(state).prober
    if prober is not None:
        result = prober(str(url), wire)
    else:
        result = probe_websocket(
            str(url), headers=wire, timeout_s=VERIFY_TIMEOUT_S,
            greeting_wait_s=VERIFY_GREETING_WAIT_S,
        )  # fmt: skip
    connected = bool(result.connected and not result.refused)
    return json_response(
        200,
        {
            "connected": connected,
            "opening_message": result.greeting,
            "error": None if connected else result.problem,
        },
    )
