"""The agent endpoints (api/agents.py) with respx: v1/v2 reads and fallbacks, the PATCH
bodies, the v1 fallback that cannot carry a secret, and verify-websocket read leniently."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from api_helpers import API_KEY, BASE

from cekura_cli.api.agents import (
    AGENT_V1_PATH,
    AGENT_V2_PATH,
    VERIFY_WEBSOCKET_PATH,
    AgentNotFound,
    connect_agent,
    fetch_agent,
    read_verification,
    verify_websocket,
)
from cekura_cli.doctor.providers import Connection
from cekura_cli.errors import AuthError, RequestRejected
from cekura_cli.exit_codes import ExitCode
from cekura_cli.redact import redact

V1 = AGENT_V1_PATH.format(id=7)
V2 = AGENT_V2_PATH.format(id=7)
AGENT_V1 = {"id": 7, "agent_name": "Support", "project": 3, "assistant_provider": "self_hosted",
            "websocket_url": "wss://a/ws", "websocket_headers": {}}  # fmt: skip
CHAT_DETAILS = {
    "type": "self_hosted",
    "config": {"url": "wss://a/ws", "websocket_secret": "****"},
}
AGENT_V2 = {
    "id": 7,
    "name": "Support",
    "project": 3,
    "provider": {
        "type": "vapi",
        "agent_id": "voice_1",
        "chat_provider": "self_hosted",
        "chat_agent_details": CHAT_DETAILS,
    },
}
SECRET = "wss_api_agents_secret_0123456789"
KEY = "sk_test_provider_key_0123456789ab"


def test_fetch_reads_both_shapes_and_merges(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        one = router.get(V1).respond(200, json=AGENT_V1)
        two = router.get(V2).respond(200, json=AGENT_V2)
        record = fetch_agent(make_client(), 7)
    assert one.called and two.called
    assert one.calls.last.request.headers["X-CEKURA-API-KEY"] == API_KEY
    assert record.view.chat.provider == "websocket"
    assert record.view.chat.secret_configured is True  # only v2 says so
    assert record.provider_block["agent_id"] == "voice_1"


def test_fetch_falls_back_to_v2_and_reports_an_unknown_agent_as_exit_2(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(404, json={"detail": "Not found."})
        router.get(V2).respond(200, json=AGENT_V2)
        assert fetch_agent(make_client(), 7).view.shape == "v2"
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(404, json={"detail": "Not found."})
        router.get(V2).respond(404, json={"detail": "Not found."})
        with pytest.raises(AgentNotFound) as caught:
            fetch_agent(make_client(), 7)
    assert caught.value.message == "agent 7 not found"
    assert caught.value.exit_code is ExitCode.USAGE


def test_fetch_keeps_v1_when_v2_fails_and_a_rejected_key_is_not_hidden(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(200, json=AGENT_V1)
        router.get(V2).respond(400, json={"detail": "nope"})
        record = fetch_agent(make_client(), 7)
    assert record.v2 is None and record.view.chat.secret_configured is None
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(401, json={"detail": "Invalid API key."})
        with pytest.raises(AuthError):
            fetch_agent(make_client(), 7)


def test_connect_patches_v2_with_the_merged_provider_block(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(200, json=AGENT_V1)
        router.get(V2).respond(200, json=AGENT_V2)
        patch = router.patch(V2).respond(200, json=AGENT_V2)
        client = make_client()
        record = fetch_agent(client, 7)
        connection = Connection.build("websocket", url="wss://b/ws", secret=SECRET)
        assert connect_agent(client, 7, connection, record) == "v2"
    body = json.loads(patch.calls.last.request.content)
    assert body["provider"]["type"] == "vapi" and body["provider"]["agent_id"] == "voice_1"
    assert body["provider"]["chat_agent_details"]["config"] == {
        "url": "wss://b/ws", "headers": {}, "websocket_secret": SECRET
    }  # fmt: skip
    assert redact(f"said {SECRET}") == "said ****6789"  # registered before it was sent


def test_connect_retries_a_patch_on_503(make_client, fake_time) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(200, json=AGENT_V1)
        router.get(V2).respond(200, json=AGENT_V2)
        patch = router.patch(V2).mock(
            side_effect=[httpx.Response(503), httpx.Response(200, json=AGENT_V2)]
        )
        client = make_client()
        connection = Connection.build("vapi", assistant_id="a", api_key=KEY)
        connect_agent(client, 7, connection, fetch_agent(client, 7))
    assert patch.call_count == 2 and fake_time.sleeps  # the same PATCH twice is harmless


def test_connect_falls_back_to_v1_without_a_secret_and_refuses_with_one(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(200, json=AGENT_V1)
        router.get(V2).respond(404, json={"detail": "Not found."})
        router.patch(V2).respond(404, json={"detail": "Not found."})
        v1_patch = router.patch(V1).respond(200, json=AGENT_V1)
        client = make_client()
        record = fetch_agent(client, 7)
        vapi = Connection.build("vapi", assistant_id="a1", api_key=KEY)
        assert connect_agent(client, 7, vapi, record) == "v1"
        assert json.loads(v1_patch.calls.last.request.content) == {
            "assistant_provider": "vapi", "assistant_id": "a1", "vapi_api_key": KEY
        }  # fmt: skip
        secret = Connection.build("websocket", url="wss://b/ws", secret=SECRET)
        with pytest.raises(RequestRejected, match="v1 cannot store a WebSocket secret"):
            connect_agent(client, 7, secret, record)
    assert v1_patch.call_count == 1


def test_connect_shows_the_services_validation_error(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V1).respond(200, json=AGENT_V1)
        router.get(V2).respond(200, json=AGENT_V2)
        router.patch(V2).respond(
            400, json={"provider": {"chat_agent_details": {"config": {"url": ["Bad URL."]}}}}
        )
        client = make_client()
        connection = Connection.build("websocket", url="wss://b/ws")
        with pytest.raises(RequestRejected) as caught:
            connect_agent(client, 7, connection, fetch_agent(client, 7))
    assert "provider.chat_agent_details.config.url: Bad URL." in caught.value.message


def test_verify_websocket_sends_the_v1_guess_and_reads_any_shape(make_client) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(VERIFY_WEBSOCKET_PATH).respond(
            200, json={"connected": True, "opening_message": "Hi"}
        )
        verdict = verify_websocket(make_client(), "wss://a/ws", {"X": "1"}, SECRET)
    assert json.loads(route.calls.last.request.content) == {
        "websocket_url": "wss://a/ws", "websocket_headers": {"X": "1"},
        "websocket_secret": SECRET,
    }  # fmt: skip
    assert (verdict.connected, verdict.opening_message) == (True, "Hi")


@pytest.mark.parametrize(
    ("body", "connected", "opening", "error"),
    [
        ({"success": False, "error": "refused"}, False, None, "refused"),
        ({"result": {"is_connected": True, "first_message": {"content": "Yo"}}}, True, "Yo", None),
        ({"ok": True, "message": "Hello"}, True, "Hello", None),
        ({"valid": False, "message": "timed out"}, False, None, "timed out"),
        ({"id": 7, "agent_name": "x"}, None, None, None),  # the agent serializer: unknown
        ([1, 2], None, None, None),
    ],
)
def test_read_verification_is_lenient(body, connected, opening, error) -> None:
    verdict = read_verification(body)
    assert (verdict.connected, verdict.opening_message, verdict.error) == (
        connected,
        opening,
        error,
    )
