"""The chat providers ``cekura agent connect`` can set, as data (cekura-api-more.md §5).

A :class:`ProviderSpec` says which flags a provider needs, how its id is checked, and
which fields carry it in the v1 (flat) and v2 (``provider`` block) agent shapes. The
registry :data:`PROVIDERS` is the only place that knows; adding a provider is one entry.

Pure: the caller reads secrets from the environment and hands them in; nothing here
prints them. :func:`masked` gives the copy of a request body that may be shown.
"""

from __future__ import annotations

import copy
import ipaddress
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from cekura_cli.errors import UsageError
from cekura_cli.redact import mask

__all__ = [
    "PROVIDERS",
    "Connection",
    "ProviderSpec",
    "check_pathway_id",
    "check_websocket_url",
    "is_loopback_host",
    "masked",
    "parse_headers",
    "provider_names",
    "v1_body",
    "v2_body",
]

IdKind = Literal["text", "uuid"]
SECRET_FIELDS = frozenset({"api_key", "websocket_secret"})
"""Keys whose values are masked wherever a body is shown (v1 ``*_api_key`` too)."""


@dataclass(frozen=True)
class ProviderSpec:
    """One chat provider: the flags it takes and where its values go."""

    name: str
    """The ``--provider`` value."""
    label: str
    v1_type: str
    """``assistant_provider`` in the v1 shape."""
    v2_chat_type: str
    """``provider.chat_agent_details.type`` in the v2 shape."""
    id_flag: str | None = None
    """``--assistant-id`` or ``--pathway-id``; None for the WebSocket provider."""
    id_kind: IdKind = "text"
    key_field_v1: str | None = None
    """The write-only v1 field of the provider's API key (None: no key)."""

    @property
    def needs_key(self) -> bool:
        return self.key_field_v1 is not None

    @property
    def key_configured_field_v1(self) -> str | None:
        return f"{self.key_field_v1}_configured" if self.key_field_v1 else None


PROVIDERS: dict[str, ProviderSpec] = {
    "elevenlabs": ProviderSpec(
        "elevenlabs", "ElevenLabs", "elevenlabs", "elevenlabs", "--assistant-id", "text",
        "elevenlabs_api_key",
    ),
    "retell": ProviderSpec(
        "retell", "Retell", "retell", "retell", "--assistant-id", "text", "retell_api_key"
    ),
    "vapi": ProviderSpec("vapi", "Vapi", "vapi", "vapi", "--assistant-id", "text", "vapi_api_key"),
    "bland": ProviderSpec(
        "bland", "Bland", "bland", "bland", "--pathway-id", "uuid", "bland_api_key"
    ),
    "websocket": ProviderSpec("websocket", "Custom WebSocket", "self_hosted", "self_hosted"),
}  # fmt: skip


def provider_names() -> str:
    return "|".join(PROVIDERS)


@dataclass(frozen=True)
class Connection:
    """A validated chat connection to set: what ``cekura agent connect`` sends."""

    provider: ProviderSpec
    assistant_id: str | None = None
    """The provider's assistant id, or Bland's pathway id."""
    api_key: str | None = field(default=None, repr=False)
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        provider: str,
        *,
        assistant_id: str | None = None,
        pathway_id: str | None = None,
        api_key: str | None = None,
        url: str | None = None,
        headers: Sequence[str] = (),
        secret: str | None = None,
        require_key: bool = True,
    ) -> Connection:
        """Check the flags for ``provider``; one :class:`UsageError` line per problem.

        ``require_key=False`` checks the flags alone (before any environment is read).
        """
        spec = PROVIDERS.get(provider.strip().lower())
        if spec is None:
            raise UsageError(
                f"unknown --provider {provider!r}: use one of {provider_names().replace('|', ', ')}"
            )
        given = {"--assistant-id": assistant_id, "--pathway-id": pathway_id, "--url": url}
        wanted = {spec.id_flag} if spec.id_flag else {"--url"}
        for flag, value in given.items():
            if value is not None and flag not in wanted:
                raise UsageError(f"{flag} does not apply to --provider {spec.name}")
        if headers and spec.name != "websocket":
            raise UsageError(f"--header does not apply to --provider {spec.name}")
        if spec.name == "websocket":
            if url is None:
                raise UsageError("--provider websocket needs --url wss://…")
            return cls(
                spec,
                url=check_websocket_url(url, flag="--url"),
                headers=parse_headers(headers),
                secret=secret,
            )
        value = given[spec.id_flag or ""]
        if value is None or not value.strip():
            raise UsageError(f"--provider {spec.name} needs {spec.id_flag}")
        value = value.strip()
        if spec.id_kind == "uuid":
            value = check_pathway_id(value, flag=spec.id_flag or "--pathway-id")
        elif any(ch.isspace() for ch in value) or not value.isprintable():
            raise UsageError(f"{spec.id_flag} {value!r} contains spaces or control characters")
        if not api_key and require_key:
            raise UsageError(f"--provider {spec.name} needs the provider's API key")
        return cls(spec, assistant_id=value, api_key=api_key)


# --- validation --------------------------------------------------------------------------


def check_pathway_id(value: str, *, flag: str = "--pathway-id") -> str:
    """A Bland pathway id: a UUID (returned in its canonical lower-case form)."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise UsageError(
            f"{flag} {value!r} is not a UUID (a Bland pathway id looks like "
            "1b4e28ba-2fa1-11d2-883f-0016d3cca427)"
        ) from None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_websocket_url(value: str, *, flag: str) -> str:
    """``wss://…``, or ``ws://…`` on loopback only (plain text must not cross a network)."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise UsageError(f"{flag} {text!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in {"ws", "wss"} or not parts.hostname:
        raise UsageError(f"{flag} {text!r} must be a wss:// URL (ws:// only on loopback)")
    if scheme == "ws" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"{flag} {text!r} uses ws:// off loopback: use wss:// so the secret is encrypted"
        )
    if any(ch.isspace() for ch in text):
        raise UsageError(f"{flag} {text!r} contains spaces")
    return text


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """``--header NAME=VALUE`` (repeatable) -> an ordered dict; names are HTTP tokens."""
    headers: dict[str, str] = {}
    for raw in values:
        name, sep, value = raw.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--header {raw!r} must look like NAME=VALUE")
        if not all(ch.isascii() and (ch.isalnum() or ch in "!#$%&'*+-.^_`|~") for ch in name):
            raise UsageError(f"--header name {name!r} is not a valid HTTP header name")
        if any(ch in value for ch in "\r\n\0"):
            raise UsageError(f"--header {name} has a line break in its value")
        if name.lower() == "x-vocera-secret":
            raise UsageError(
                "--header X-VOCERA-SECRET is not allowed: set the secret with --secret-env VAR"
            )
        headers[name] = value.strip()
    return headers


# --- request bodies ----------------------------------------------------------------------


def v2_body(connection: Connection, current_provider: Mapping[str, Any] | None = None) -> dict:
    """The v2 PATCH body: the agent's ``provider`` block with this chat connection in it.

    Whether the service merges a partial ``provider`` is undocumented, so the whole block
    is sent: the current one (read-only ``chat_provider`` and the write-only credentials
    it never returns left out) with the chat connection's parts replaced.
    """
    spec = connection.provider
    block: dict[str, Any] = {
        key: copy.deepcopy(value)
        for key, value in (current_provider or {}).items()
        if key not in {"chat_provider", "credentials", "chat_agent_details"}
    }
    if spec.name == "websocket":
        config: dict[str, Any] = {"url": connection.url, "headers": dict(connection.headers)}
        if connection.secret:
            config["websocket_secret"] = connection.secret
        block.setdefault("type", "custom")
        block["chat_agent_details"] = {"type": "self_hosted", "config": config}
        return {"provider": block}
    block["type"] = spec.v2_chat_type
    block["credentials"] = {"api_key": connection.api_key}
    if spec.name != "bland":  # Retell's chat agent id is "used for voice too"
        block["agent_id"] = connection.assistant_id
    if spec.name in {"retell", "bland"}:  # the only providers with a typed chat config
        block["chat_agent_details"] = {
            "type": spec.v2_chat_type,
            "config": {"agent_id": connection.assistant_id},
        }
    return {"provider": block}


def v1_body(connection: Connection) -> dict:
    """The v1 PATCH body (flat fields); v1 has no field for the WebSocket secret."""
    spec = connection.provider
    body: dict[str, Any] = {"assistant_provider": spec.v1_type}
    if spec.name == "websocket":
        body["websocket_url"] = connection.url
        body["websocket_headers"] = dict(connection.headers)
        return body
    if spec.name in {"retell", "bland"}:  # Bland: the pathway; Retell: the chat agent
        body["chat_assistant_id"] = connection.assistant_id
    if spec.name != "bland":
        body["assistant_id"] = connection.assistant_id
    body[spec.key_field_v1 or "api_key"] = connection.api_key
    return body


def masked(body: Any) -> Any:
    """A deep copy of a request body with every secret value masked (for ``--dry-run``)."""
    if isinstance(body, dict):
        return {
            key: mask(str(value))
            if _is_secret_key(str(key)) and isinstance(value, str) and value
            else masked(value)
            for key, value in body.items()
        }
    if isinstance(body, list):
        return [masked(item) for item in body]
    return body


def _is_secret_key(key: str) -> bool:
    return key in SECRET_FIELDS or key.endswith(("_api_key", "_secret", "_token"))
