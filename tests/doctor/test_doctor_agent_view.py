"""Reading an agent's chat connection from the v1 and v2 shapes (pure)."""

from __future__ import annotations

import json

import pytest

from cekura_cli.doctor.agent_output import agent_lines, change_lines, changes
from cekura_cli.doctor.agent_view import merge_views, read_agent

PATHWAY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def v1(**fields):
    return {"id": 7, "agent_name": "Support", "project": 3, **fields}


def v2(provider, **fields):
    return {"id": 7, "name": "Support", "project": 3, "provider": provider, **fields}


def test_v1_websocket_agent() -> None:
    view = read_agent(
        v1(
            assistant_provider="self_hosted",
            websocket_url="wss://a.example/ws",
            websocket_headers={"Authorization": "Bearer tok_123"},
        )
    )
    assert (view.shape, view.id, view.name, view.project) == ("v1", 7, "Support", 3)
    assert view.chat.provider == "websocket"
    assert view.chat.websocket_url == "wss://a.example/ws"
    assert view.chat.header_names == ("Authorization",)
    shown = view.chat.as_json()
    assert shown["websocket_secret"] == "unknown"  # v1 does not say
    assert "tok_123" not in json.dumps(view.as_json())  # header values are never shown


@pytest.mark.parametrize(
    ("fields", "provider", "assistant", "key"),
    [
        ({"assistant_provider": "vapi", "assistant_id": "a1", "vapi_api_key_configured": "true"},
         "vapi", "a1", True),
        ({"assistant_provider": "retell", "chat_assistant_id": "chat_1", "assistant_id": "voice",
          "retell_api_key_configured": "False"}, "retell", "chat_1", False),
        ({"assistant_provider": "bland", "chat_assistant_id": PATHWAY, "assistant_id": "persona",
          "bland_api_key_configured": True}, "bland", PATHWAY, True),
        ({"assistant_provider": "elevenlabs", "assistant_id": "el"}, "elevenlabs", "el", None),
        ({"assistant_provider": None}, None, None, None),
        ({"assistant_provider": "livekit"}, "livekit", None, None),
    ],
)  # fmt: skip
def test_v1_providers(fields: dict, provider, assistant, key) -> None:
    chat = read_agent(v1(**fields)).chat
    assert (chat.provider, chat.assistant_id, chat.key_configured) == (provider, assistant, key)


def test_v2_websocket_with_a_masked_secret_and_v2_only_providers() -> None:
    view = read_agent(
        v2(
            {
                "type": "custom",
                "chat_provider": "self_hosted",
                "chat_agent_details": {
                    "type": "self_hosted",
                    "config": {
                        "url": "wss://a/ws",
                        "headers": {"X": "1"},
                        "websocket_secret": "****",
                    },
                },
            }
        )
    )
    assert view.shape == "v2"
    assert (view.chat.provider, view.chat.websocket_url, view.chat.secret_configured) == (
        "websocket",
        "wss://a/ws",
        True,
    )
    bland = read_agent(
        v2({"type": "bland", "agent_id": "persona",
            "chat_agent_details": {"type": "bland", "config": {"agent_id": PATHWAY}}})
    )  # fmt: skip
    assert (bland.chat.provider, bland.chat.assistant_id) == ("bland", PATHWAY)
    vapi = read_agent(v2({"type": "vapi", "agent_id": "a1", "chat_provider": "vapi"}))
    assert (vapi.chat.provider, vapi.chat.assistant_id) == ("vapi", "a1")
    none = read_agent(v2({"type": "custom", "chat_provider": None}))
    assert none.chat.provider is None


def test_merge_takes_what_only_v2_says() -> None:
    first = read_agent(v1(assistant_provider="self_hosted", websocket_url="wss://a/ws"))
    second = read_agent(
        v2({"chat_agent_details": {"type": "self_hosted",
                                   "config": {"url": "wss://a/ws", "websocket_secret": ""}}})
    )  # fmt: skip
    assert merge_views(first, second).chat.secret_configured is False
    assert merge_views(first, None) == first
    chat_only = read_agent(v2({"chat_provider": "vapi", "agent_id": "a"}))
    assert merge_views(read_agent(v1()), chat_only).chat.provider == "vapi"


@pytest.mark.parametrize(
    ("fields", "enabled"),
    [
        ({}, None),
        ({"is_active": True}, True),
        ({"is_active": False}, False),
        ({"is_active": "false"}, False),
        ({"disabled": True}, False),
        ({"is_deleted": True, "is_active": True}, False),
        ({"status": "Disabled"}, False),
    ],
)
def test_enabled_is_read_leniently(fields: dict, enabled) -> None:
    assert read_agent(v1(**fields)).enabled is enabled


def test_agent_show_lines_and_hostile_names() -> None:
    view = read_agent(
        v1(agent_name="\x1b[31mEvil\n::error::pwned ##[group]", assistant_provider="vapi",
           assistant_id="a1", vapi_api_key_configured=False)
    )  # fmt: skip
    lines = agent_lines(view)
    text = "\n".join(lines)
    assert "\x1b" not in text and "::error::" not in text and "##[" not in text
    assert len(lines) == 6  # agent, project, enabled, provider, id, key
    assert any(line.startswith("provider api key:") and line.endswith("not set") for line in lines)
    assert any("chat provider:" in line and "vapi (Vapi)" in line for line in lines)


def test_changes_name_each_field_and_never_a_secret_value() -> None:
    before = read_agent(v1())
    after = read_agent(v1(assistant_provider="vapi", assistant_id="a1",
                          vapi_api_key_configured=True))  # fmt: skip
    changed = changes(before, after)
    assert changed["provider"] == {"from": None, "to": "vapi"}
    assert changed["api_key"] == {"from": None, "to": "configured"}
    lines = change_lines(7, "v2", changed)
    assert lines[0] == "cekura: agent 7: chat connection updated (API v2):"
    assert "  chat provider: none -> vapi" in lines
    same = change_lines(7, "v2", changes(after, after), sent=("api_key",))
    assert same[1] == "  provider api key: replaced (write-only: the service never shows it)"
    assert change_lines(7, "v2", {})[0].endswith("nothing changed (the connection was already so)")
