"""An agent's chat connection, read from either agent shape (cekura-api-more.md §5).

v1 (``GET /test_framework/v1/aiagents/{id}/``) is flat and has the ``*_configured`` flags
for provider keys; v2 nests everything under ``provider`` and is the only shape that says
whether a chat WebSocket secret is set (``chat_agent_details.config.websocket_secret``,
masked in responses). :func:`read_agent` reads either; :func:`merge_views` lets a v2
answer fill what v1 cannot tell. Secrets are never carried: only whether they are set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cekura_cli.doctor.providers import PROVIDERS, ProviderSpec

__all__ = ["AgentView", "ChatConnection", "merge_views", "read_agent"]

_V1_TO_PROVIDER = {spec.v1_type: spec for spec in PROVIDERS.values()}
_V2_CHAT_TO_PROVIDER = {spec.v2_chat_type: spec for spec in PROVIDERS.values()}
_DISABLED_FLAGS = (("is_active", False), ("enabled", False), ("disabled", True))
_DELETED_FLAGS = ("is_deleted", "deleted", "archived", "is_archived")


@dataclass(frozen=True)
class ChatConnection:
    """How the service would reach the agent in a text run; None = not known/not set."""

    provider: str | None = None
    """A :data:`PROVIDERS` name, another service type verbatim, or None (none set)."""
    assistant_id: str | None = None
    """The id the chat uses (Bland: the pathway id)."""
    websocket_url: str | None = None
    header_names: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Header values, for the local probe only; never shown (they may carry tokens)."""
    key_configured: bool | None = None
    secret_configured: bool | None = None

    @property
    def spec(self) -> ProviderSpec | None:
        return PROVIDERS.get(self.provider or "")

    def as_json(self) -> dict[str, Any]:
        """Secrets as "configured" / "not set" / "unknown"; null where they do not apply."""
        spec = self.spec
        websocket = self.provider == "websocket"
        return {
            "provider": self.provider,
            "assistant_id": self.assistant_id,
            "websocket_url": self.websocket_url,
            "websocket_headers": list(self.header_names),
            "api_key": _configured(self.key_configured) if spec and spec.needs_key else None,
            "websocket_secret": _configured(self.secret_configured) if websocket else None,
        }


@dataclass(frozen=True)
class AgentView:
    id: int
    name: str | None
    project: int | None
    enabled: bool | None
    """False when the service marks the agent disabled or deleted; None when it does not say."""
    chat: ChatConnection
    shape: str
    """``v1`` or ``v2``: which answer this was read from."""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "enabled": self.enabled,
            "chat": self.chat.as_json(),
        }


def _configured(flag: bool | None) -> str:
    return {True: "configured", False: "not set", None: "unknown"}[flag]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(value: Any) -> bool | None:
    """The service types the configured flags as strings: coerce leniently."""
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "configured"}:
        return True
    if text in {"false", "0", "no", "", "none", "null"}:
        return False
    return None


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _enabled(data: Mapping[str, Any]) -> bool | None:
    for key in _DELETED_FLAGS:
        if _flag(data.get(key)) is True:
            return False
    for key, off in _DISABLED_FLAGS:
        value = _flag(data.get(key))
        if value is not None:
            return value is not off
    status = _text(data.get("status"))
    if status and status.lower() in {"disabled", "inactive", "archived", "deleted"}:
        return False
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def read_agent(data: Mapping[str, Any]) -> AgentView:
    """Either shape; v2 is recognised by its ``provider`` object."""
    if isinstance(data.get("provider"), Mapping):
        return _read_v2(data)
    return _read_v1(data)


def _read_v1(data: Mapping[str, Any]) -> AgentView:
    kind = (_text(data.get("assistant_provider")) or "").lower()
    spec = _V1_TO_PROVIDER.get(kind)
    url = _text(data.get("websocket_url"))
    headers = _headers(data.get("websocket_headers"))
    chat: ChatConnection
    if spec is None and url and kind in {"", "custom"}:
        spec = PROVIDERS["websocket"]  # a text socket and no other provider: self-hosted
    if spec is not None and spec.name == "websocket":
        chat = ChatConnection("websocket", None, url, tuple(headers), headers)
    elif spec is not None:
        if spec.name in {"retell", "bland"}:
            assistant = _text(data.get("chat_assistant_id"))
            if spec.name == "retell":
                assistant = assistant or _text(data.get("assistant_id"))
        else:
            assistant = _text(data.get("assistant_id"))
        key = _flag(data.get(spec.key_configured_field_v1 or ""))
        chat = ChatConnection(spec.name, assistant, key_configured=key)
    else:
        chat = ChatConnection(kind or None)
    return AgentView(
        id=_int(data.get("id")) or 0,
        name=_text(data.get("agent_name")) or _text(data.get("name")),
        project=_int(data.get("project")),
        enabled=_enabled(data),
        chat=chat,
        shape="v1",
    )


def _read_v2(data: Mapping[str, Any]) -> AgentView:
    provider: Mapping[str, Any] = data["provider"]
    details = provider.get("chat_agent_details")
    details = details if isinstance(details, Mapping) else {}
    config = details.get("config") if isinstance(details.get("config"), Mapping) else {}
    chat_type = (_text(details.get("type")) or _text(provider.get("chat_provider")) or "").lower()
    spec = _V2_CHAT_TO_PROVIDER.get(chat_type)
    chat: ChatConnection
    if spec is not None and spec.name == "websocket":
        headers = _headers(config.get("headers"))
        chat = ChatConnection(
            "websocket",
            None,
            _text(config.get("url")),
            tuple(headers),
            headers,
            secret_configured=bool(_text(config.get("websocket_secret"))),
        )
    elif spec is not None:
        assistant = _text(config.get("agent_id"))
        if spec.name != "bland":
            assistant = assistant or _text(provider.get("agent_id"))
        chat = ChatConnection(spec.name, assistant)
    else:
        chat = ChatConnection(chat_type or None)
    return AgentView(
        id=_int(data.get("id")) or 0,
        name=_text(data.get("name")) or _text(data.get("agent_name")),
        project=_int(data.get("project")),
        enabled=_enabled(data),
        chat=chat,
        shape="v2",
    )


def merge_views(v1: AgentView, v2: AgentView | None) -> AgentView:
    """v1's answer, with what only v2 tells: the WebSocket secret flag, a chat-only provider."""
    if v2 is None:
        return v1
    chat = v1.chat
    if chat.provider is None and v2.chat.provider is not None:
        chat = replace(v2.chat, key_configured=None)
    elif chat.provider == v2.chat.provider == "websocket":
        chat = replace(chat, secret_configured=v2.chat.secret_configured)
    enabled = v1.enabled if v1.enabled is not None else v2.enabled
    return replace(v1, chat=chat, enabled=enabled)
