"""The provider registry: flag validation, the v1/v2 bodies, masking (pure, no I/O)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cekura_cli.doctor.agent_output import connection_from_flags
from cekura_cli.doctor.providers import (
    PROVIDERS,
    Connection,
    check_pathway_id,
    check_websocket_url,
    masked,
    parse_headers,
    v1_body,
    v2_body,
)
from cekura_cli.errors import UsageError
from cekura_cli.redact import redact

PATHWAY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
KEY = "sk_test_provider_key_0123456789"
SECRET = "wss_provider_secret_abcdef0123"


def test_the_registry_covers_the_five_providers_of_the_chat_testing_page() -> None:
    assert set(PROVIDERS) == {"elevenlabs", "retell", "vapi", "bland", "websocket"}
    assert PROVIDERS["bland"].id_flag == "--pathway-id" and PROVIDERS["bland"].id_kind == "uuid"
    assert not PROVIDERS["websocket"].needs_key
    assert all(spec.needs_key for name, spec in PROVIDERS.items() if name != "websocket")


@pytest.mark.parametrize(
    ("provider", "kwargs", "message"),
    [
        ("zoom", {}, "unknown --provider 'zoom'"),
        ("vapi", {"api_key": KEY}, "--provider vapi needs --assistant-id"),
        ("vapi", {"assistant_id": "a b", "api_key": KEY}, "contains spaces"),
        ("vapi", {"assistant_id": "asst"}, "needs the provider's API key"),
        ("vapi", {"assistant_id": "asst", "api_key": KEY, "url": "wss://x"}, "--url does not"),
        ("bland", {"pathway_id": "not-a-uuid", "api_key": KEY}, "is not a UUID"),
        ("bland", {"assistant_id": "x", "api_key": KEY}, "--assistant-id does not apply"),
        ("websocket", {}, "needs --url"),
        ("websocket", {"url": "ws://agent.example.com/ws"}, "ws:// off loopback"),
        ("websocket", {"url": "https://agent.example.com/ws"}, "must be a wss:// URL"),
        ("websocket", {"url": "wss://host:99999/ws"}, "not a valid URL"),
        ("websocket", {"url": "wss://h/ws", "headers": ["novalue"]}, "NAME=VALUE"),
        ("retell", {"assistant_id": "a", "api_key": KEY, "headers": ["A=b"]}, "--header does"),
    ],
)
def test_bad_flags_get_one_clear_line(provider: str, kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        Connection.build(provider, **kwargs)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_urls_and_ids_that_are_fine() -> None:
    assert check_websocket_url("wss://agent.example.com/chat?x=1", flag="--url")
    for loopback in ("ws://127.0.0.1:8765", "ws://localhost/ws", "ws://[::1]:9/ws"):
        assert check_websocket_url(loopback, flag="--url") == loopback
    assert check_pathway_id(PATHWAY.upper()) == PATHWAY  # canonical lower case


def test_header_names_are_tokens_and_the_secret_header_is_refused() -> None:
    assert parse_headers(["Authorization=Bearer t=1", "X-Env= ci "]) == {
        "Authorization": "Bearer t=1",
        "X-Env": "ci",
    }
    for bad in ("Bad Name=x", "=x", "Ünï=x"):
        with pytest.raises(UsageError):
            parse_headers([bad])
    with pytest.raises(UsageError, match="--secret-env"):
        parse_headers(["x-vocera-secret=abc"])


def test_v2_bodies_follow_the_documented_provider_blocks() -> None:
    vapi = Connection.build("vapi", assistant_id="asst_1", api_key=KEY)
    assert v2_body(vapi) == {
        "provider": {"type": "vapi", "agent_id": "asst_1", "credentials": {"api_key": KEY}}
    }
    retell = v2_body(Connection.build("retell", assistant_id="chat_9", api_key=KEY))["provider"]
    assert retell["chat_agent_details"] == {"type": "retell", "config": {"agent_id": "chat_9"}}
    assert retell["agent_id"] == "chat_9"  # "used for voice too"
    bland = v2_body(Connection.build("bland", pathway_id=PATHWAY, api_key=KEY))["provider"]
    assert bland["chat_agent_details"] == {"type": "bland", "config": {"agent_id": PATHWAY}}
    assert "agent_id" not in bland  # the pathway goes only in the typed chat slot
    ws = Connection.build("websocket", url="wss://a.example/ws", headers=["A=1"], secret=SECRET)
    assert v2_body(ws) == {
        "provider": {
            "type": "custom",
            "chat_agent_details": {
                "type": "self_hosted",
                "config": {"url": "wss://a.example/ws", "headers": {"A": "1"},
                           "websocket_secret": SECRET},
            },
        }
    }  # fmt: skip


def test_v2_keeps_the_rest_of_the_current_provider_block_but_not_read_only_parts() -> None:
    current = {
        "type": "vapi",
        "agent_id": "voice_1",
        "auto_sync_prompt": True,
        "chat_provider": "vapi",
        "credentials": {"config": {}},
        "chat_agent_details": {"type": "vapi"},
    }
    ws = Connection.build("websocket", url="wss://a.example/ws")
    block = v2_body(ws, current)["provider"]
    assert block["type"] == "vapi" and block["agent_id"] == "voice_1"  # the voice side stays
    assert block["auto_sync_prompt"] is True
    assert "chat_provider" not in block and "credentials" not in block
    assert block["chat_agent_details"]["type"] == "self_hosted"
    assert "websocket_secret" not in block["chat_agent_details"]["config"]  # none given


def test_v1_bodies_use_the_flat_fields() -> None:
    bland = v1_body(Connection.build("bland", pathway_id=PATHWAY, api_key=KEY))
    assert bland == {
        "assistant_provider": "bland",
        "chat_assistant_id": PATHWAY,
        "bland_api_key": KEY,
    }
    eleven = v1_body(Connection.build("elevenlabs", assistant_id="el_1", api_key=KEY))
    assert eleven == {
        "assistant_provider": "elevenlabs",
        "assistant_id": "el_1",
        "elevenlabs_api_key": KEY,
    }
    ws = v1_body(Connection.build("websocket", url="ws://127.0.0.1:9", secret=SECRET))
    assert ws == {"assistant_provider": "self_hosted", "websocket_url": "ws://127.0.0.1:9",
                  "websocket_headers": {}}  # fmt: skip
    assert SECRET not in json.dumps(ws)  # v1 has no secret field


def test_masked_hides_every_secret_and_keeps_the_rest() -> None:
    ws = Connection.build("websocket", url="wss://a.example/ws", headers=["A=1"], secret=SECRET)
    shown = json.dumps(masked(v2_body(ws)))
    assert SECRET not in shown and "****" in shown and "wss://a.example/ws" in shown
    shown = json.dumps(masked(v1_body(Connection.build("vapi", assistant_id="a", api_key=KEY))))
    assert KEY not in shown and KEY[-4:] in shown


@given(secret=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8))
def test_masked_never_shows_more_than_four_characters_of_a_secret(secret: str) -> None:
    connection = Connection.build("retell", assistant_id="a", api_key=secret)
    shown_v1 = masked(v1_body(connection))["retell_api_key"]
    shown_v2 = masked(v2_body(connection))["provider"]["credentials"]["api_key"]
    for shown in (shown_v1, shown_v2):
        assert shown.startswith("****") and len(shown) <= len("****") + 4
        assert shown[4:] == secret[len(secret) - len(shown) + 4 :]  # at most the last four


# --- flags + environment: connection_from_flags --------------------------------------------


def flags(provider: str, **overrides):
    values = {"assistant_id": None, "pathway_id": None, "key_env": None, "url": None,
              "secret_env": None, "headers": (), "environ": {}}  # fmt: skip
    values.update(overrides)
    return connection_from_flags(provider, **values)


def test_keys_come_from_the_named_or_default_variable_and_are_registered() -> None:
    connection = flags("vapi", assistant_id="a", environ={"VAPI_API_KEY": f" {KEY} "})
    assert connection.api_key == KEY
    assert KEY not in redact(f"the key {KEY}")
    mine = flags("vapi", assistant_id="a", key_env="MINE", environ={"MINE": "k" * 20})
    assert mine.api_key == "k" * 20
    ws = flags("websocket", url="wss://a/ws", secret_env="S", environ={"S": SECRET})
    assert ws.secret == SECRET and ws.api_key is None


@pytest.mark.parametrize(
    ("provider", "overrides", "message"),
    [
        ("vapi", {"assistant_id": "a"}, "--key-env VAPI_API_KEY: the environment variable"),
        ("vapi", {"assistant_id": "a", "environ": {"VAPI_API_KEY": "  "}}, "is not set"),
        ("vapi", {"assistant_id": "a", "key_env": "$X"}, "not an environment variable name"),
        ("vapi", {"assistant_id": "a", "secret_env": "S"}, "--secret-env is for"),
        ("websocket", {"url": "wss://a/ws", "key_env": "K"}, "--key-env does not apply"),
        ("websocket", {"url": "wss://a/ws", "secret_env": "UNSET"}, "--secret-env UNSET"),
        ("bland", {"pathway_id": "nope"}, "is not a UUID"),  # the flag, before the env
    ],
)
def test_bad_flag_and_environment_combinations(provider, overrides, message) -> None:
    with pytest.raises(UsageError) as caught:
        flags(provider, **overrides)
    assert message in caught.value.message
