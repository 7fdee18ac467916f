"""What ``cekura agent show|connect`` say, as pure functions of the flags and agent views.

Secrets come in through an ``environ`` mapping (never a flag value) and go out only as
"configured" / "not set", or masked in a dry-run body. Service text (agent names, URLs,
header names) is cleaned to one inert line before it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cekura_cli.doctor.agent_view import AgentView
from cekura_cli.doctor.providers import Connection, masked, v2_body
from cekura_cli.doctor.report import clean
from cekura_cli.errors import UsageError
from cekura_cli.redact import register_secret

if TYPE_CHECKING:
    from cekura_cli.api.agents import AgentRecord

__all__ = [
    "agent_lines",
    "change_lines",
    "changes",
    "connection_from_flags",
    "default_key_env",
    "dry_run_document",
    "sent_secrets",
]

_LABELS = {
    "provider": "chat provider",
    "assistant_id": "assistant id",
    "websocket_url": "websocket url",
    "websocket_headers": "websocket headers",
    "api_key": "provider api key",
    "websocket_secret": "websocket secret",
}


_SECRET_FLAGS = frozenset({"api_key", "websocket_secret"})
"""Null in a view where they do not apply: leaving one behind is not a change to show."""


def default_key_env(provider: str) -> str:
    return f"{provider.strip().upper()}_API_KEY"


def _read_env(environ: Mapping[str, str], var: str, flag: str) -> str:
    name = var.strip()
    if not name or not name.replace("_", "").isalnum():
        raise UsageError(f"{flag} {var!r} is not an environment variable name")
    value = (environ.get(name) or "").strip()
    if not value:
        raise UsageError(f"{flag} {name}: the environment variable is not set (or is empty)")
    register_secret(value)  # before anything could echo it
    return value


def connection_from_flags(
    provider: str,
    *,
    assistant_id: str | None,
    pathway_id: str | None,
    key_env: str | None,
    url: str | None,
    secret_env: str | None,
    headers: Sequence[str],
    environ: Mapping[str, str],
) -> Connection:
    """Validate the flags and read the secrets they name; UsageError (exit 2) on any problem."""
    flags_only = Connection.build(  # the flags first: a bad id fails before any lookup
        provider,
        assistant_id=assistant_id,
        pathway_id=pathway_id,
        url=url,
        headers=headers,
        require_key=False,
    )
    spec = flags_only.provider
    if spec.needs_key:
        if secret_env is not None:
            raise UsageError("--secret-env is for --provider websocket; use --key-env")
        api_key = _read_env(environ, key_env or default_key_env(spec.name), "--key-env")
        return replace(flags_only, api_key=api_key)
    if key_env is not None:
        raise UsageError("--key-env does not apply to --provider websocket; use --secret-env")
    if secret_env is None:
        return flags_only
    return replace(flags_only, secret=_read_env(environ, secret_env, "--secret-env"))


def agent_lines(view: AgentView) -> list[str]:
    """``agent show``: the agent, then its chat connection, one ``label: value`` a line."""
    chat = view.chat.as_json()
    enabled = {True: "yes", False: "no (disabled)", None: "not reported"}[view.enabled]
    rows = [
        ("agent", f"{view.id} {clean(view.name or '')!r}" if view.name else str(view.id)),
        ("project", str(view.project) if view.project is not None else "-"),
        ("enabled", enabled),
    ]
    spec = view.chat.spec
    if view.chat.provider is None:
        rows.append(("chat provider", "not configured (cekura agent connect --help)"))
    else:
        label = f" ({spec.label})" if spec else ""
        rows.append(("chat provider", clean(view.chat.provider) + label))
    if spec is not None and spec.name == "websocket":
        rows.append(("websocket url", clean(chat["websocket_url"] or "-")))
        names = ", ".join(clean(name) for name in chat["websocket_headers"]) or "none"
        rows.append(("websocket headers", names))
        rows.append(("websocket secret", chat["websocket_secret"]))
    elif spec is not None:
        rows.append((spec.id_flag.lstrip("-") if spec.id_flag else "id",
                     clean(chat["assistant_id"] or "-")))  # fmt: skip
        rows.append(("provider api key", chat["api_key"]))
    width = max(len(label) for label, _ in rows) + 2
    return [f"{label + ':':<{width}}{value}" for label, value in rows]


def dry_run_document(path: str, connection: Connection, before: AgentRecord) -> dict[str, Any]:
    body = v2_body(connection, before.provider_block)
    return {"dry_run": True, "method": "PATCH", "path": path, "body": masked(body)}


def changes(before: AgentView, after: AgentView) -> dict[str, dict[str, Any]]:
    """``{field: {"from": old, "to": new}}`` for every chat-connection field that changed."""
    old, new = before.chat.as_json(), after.chat.as_json()
    return {
        key: {"from": old[key], "to": new[key]}
        for key in new
        if old.get(key) != new[key] and not (key in _SECRET_FLAGS and new[key] is None)
    }


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(clean(str(item)) for item in value) or "none"
    return clean(str(value))


def sent_secrets(connection: Connection) -> tuple[str, ...]:
    """Which write-only fields the request carried (their values are never shown)."""
    return tuple(
        key
        for key, value in (("api_key", connection.api_key), ("websocket_secret", connection.secret))
        if value
    )


def change_lines(
    agent_id: int,
    version: str,
    changed: Mapping[str, Mapping[str, Any]],
    sent: Sequence[str] = (),
) -> list[str]:
    """What ``agent connect`` did: each changed field, and the secrets sent (not shown)."""
    unchanged_secrets = [key for key in sent if key not in changed]
    if not changed and not unchanged_secrets:
        return [f"cekura: agent {agent_id}: nothing changed (the connection was already so)"]
    lines = [f"cekura: agent {agent_id}: chat connection updated (API {version}):"]
    for key, change in changed.items():
        label = _LABELS.get(key, key)
        lines.append(f"  {label}: {_shown(change['from'])} -> {_shown(change['to'])}")
    for key in unchanged_secrets:
        lines.append(f"  {_LABELS[key]}: replaced (write-only: the service never shows it)")
    return lines
