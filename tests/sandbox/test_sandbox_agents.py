"""The sandbox's agent endpoints, without sockets (dispatch), and verify-websocket against
the real shim: v1 and v2 shapes, write-only credentials, *_configured flags, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cekura_cli.sandbox.agents import agent_chat
from cekura_cli.sandbox.dispatch import Request, Response, dispatch
from cekura_cli.sandbox.loader import load_suite
from cekura_cli.sandbox.state import SandboxState
from cekura_cli.shim.probe import ProbeResult

KEY = "test-key"
V1 = "/test_framework/v1/aiagents/1/"
V2 = "/test_framework/v2/aiagents/1/"
VERIFY = "/test_framework/v1/aiagents/verify-websocket/"
PROVIDER_KEY = "sk_test_vapi_key_0123456789"
SECRET = "wss_sandbox_secret_0123456789"
PATHWAY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


@pytest.fixture
def state() -> SandboxState:
    return SandboxState(load_suite(None), agent_websocket_url="ws://127.0.0.1:9/agent")


def call(state: SandboxState, method: str, path: str, body: Any = None) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    request = Request(method, path, "", {"x-cekura-api-key": KEY}, raw, "http://sandbox.test")
    return dispatch(state, request, api_key=KEY)


def test_the_v1_shape_of_the_bundled_agent(state: SandboxState) -> None:
    agent = call(state, "GET", V1).json()
    assert (agent["id"], agent["assistant_provider"]) == (1, "self_hosted")
    assert agent["websocket_url"] == "ws://127.0.0.1:9/agent"
    assert agent["vapi_api_key_configured"] is False and agent["is_active"] is True
    assert call(state, "GET", "/test_framework/v1/aiagents/2/").status == 404
    assert call(state, "PUT", V1, {}).status == 405


def test_the_v2_shape_nests_the_chat_connection(state: SandboxState) -> None:
    agent = call(state, "GET", V2).json()
    assert {"name", "provider", "telephony", "agent_speaks_first"} <= set(agent)
    assert "agent_name" not in agent and "websocket_url" not in agent  # not the v1 shape
    details = agent["provider"]["chat_agent_details"]
    assert details == {
        "type": "self_hosted",
        "config": {"url": "ws://127.0.0.1:9/agent", "headers": {}, "websocket_secret": ""},
    }
    assert agent["provider"]["chat_provider"] == "self_hosted"


def test_a_v2_websocket_patch_stores_the_secret_write_only_and_moves_runs(state) -> None:
    body = {"provider": {"type": "custom", "chat_agent_details": {"type": "self_hosted",
            "config": {"url": "wss://agent.example/ws", "headers": {"X-Env": "ci"},
                       "websocket_secret": SECRET}}}}  # fmt: skip
    response = call(state, "PATCH", V2, body)
    assert response.status == 200
    assert SECRET.encode() not in response.body  # write-only
    config = response.json()["provider"]["chat_agent_details"]["config"]
    assert config["websocket_secret"] == "****"
    assert state.agent_websocket_url == "wss://agent.example/ws"  # where runs now go
    assert agent_chat(state).websocket_secret == SECRET
    assert call(state, "GET", V1).json()["websocket_headers"] == {"X-Env": "ci"}


def test_a_v1_provider_patch_keeps_the_key_write_only(state: SandboxState) -> None:
    body = {"assistant_provider": "vapi", "assistant_id": "asst_1", "vapi_api_key": PROVIDER_KEY}
    response = call(state, "PATCH", V1, body)
    assert response.status == 200 and PROVIDER_KEY.encode() not in response.body
    agent = response.json()
    assert (agent["assistant_provider"], agent["assistant_id"]) == ("vapi", "asst_1")
    assert agent["vapi_api_key_configured"] is True
    assert agent["retell_api_key_configured"] is False
    v2 = call(state, "GET", V2).json()["provider"]
    assert v2["chat_provider"] == "vapi" and "chat_agent_details" not in v2
    assert PROVIDER_KEY not in json.dumps(v2)


def test_v2_bland_and_retell_patches(state: SandboxState) -> None:
    bland = {"provider": {"type": "bland", "credentials": {"api_key": PROVIDER_KEY},
             "chat_agent_details": {"type": "bland", "config": {"agent_id": PATHWAY}}}}  # fmt: skip
    assert call(state, "PATCH", V2, bland).status == 200
    v1 = call(state, "GET", V1).json()
    assert (v1["assistant_provider"], v1["chat_assistant_id"]) == ("bland", PATHWAY)
    assert v1["bland_api_key_configured"] is True


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (V2, {"assistant_provider": "vapi"}, "non_field_errors"),  # flat body to v2
        (V2, {"provider": {"chat_agent_details": {"type": "zoom"}}},
         "provider.chat_agent_details.type"),
        (V2, {"provider": {"chat_agent_details": {"type": "self_hosted", "config": {}}}},
         "provider.chat_agent_details.config.url"),
        (V2, {"provider": {"chat_agent_details": {"type": "retell", "config": {}}}},
         "provider.chat_agent_details.config.agent_id"),
        (V1, {"assistant_provider": "zoom"}, "assistant_provider"),
        (V1, {"websocket_url": "http://x"}, "websocket_url"),
        (V1, {"websocket_headers": {"a": 1}}, "websocket_headers"),
        (V1, {"assistant_provider": "retell"}, "chat_assistant_id"),
    ],
)  # fmt: skip
def test_bad_patches_get_drf_errors_and_change_nothing(state, path, body, field) -> None:
    before = call(state, "GET", V1).json()
    response = call(state, "PATCH", path, body)
    assert response.status == 400 and field in response.json()
    assert call(state, "GET", V1).json() == before


def test_clearing_the_chat_connection_makes_text_runs_fail_to_start(state) -> None:
    body = {"provider": {"chat_agent_details": {"type": ""}}}
    assert call(state, "PATCH", V2, body).json()["provider"].get("chat_agent_details") is None
    response = call(state, "POST", "/test_framework/v1/scenarios/run_scenarios_text/",
                    {"agent_id": 1, "scenarios": [1]})  # fmt: skip
    assert response.status == 400 and "websocket" in response.body.decode()


def test_verify_websocket_reports_what_the_probe_saw(state: SandboxState) -> None:
    seen: list[Any] = []

    def prober(url: str, headers: Any) -> ProbeResult:
        seen.append((url, list(headers)))
        return ProbeResult(True, greeting="Hello!", pong=True)

    agent_chat(state).prober = prober
    body = {"websocket_url": "wss://a/ws", "websocket_headers": {"X": "1"},
            "websocket_secret": SECRET}  # fmt: skip
    assert call(state, "POST", VERIFY, body).json() == {
        "connected": True,
        "opening_message": "Hello!",
        "error": None,
    }
    url, headers = seen[0]
    assert url == "wss://a/ws" and ("X-VOCERA-SECRET", SECRET) in headers and ("X", "1") in headers
    agent_chat(state).prober = lambda url, headers: ProbeResult(
        True, close_code=1008, problem="closed with 1008"
    )
    refused = call(state, "POST", VERIFY, {"websocket_url": "wss://a/ws"}).json()
    assert refused == {"connected": False, "opening_message": None, "error": "closed with 1008"}
    assert call(state, "POST", VERIFY, {}).json() == {"websocket_url": ["This field is required."]}
    assert call(state, "POST", VERIFY, {"websocket_url": "http://x"}).status == 400


def test_verify_websocket_really_opens_the_shim(state: SandboxState) -> None:
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    with start_shim_in_thread(ShimConfig(target="booking", port=0, secret=SECRET)) as shim:
        right = call(state, "POST", VERIFY, {"websocket_url": shim.url, "websocket_secret": SECRET})
        wrong = call(state, "POST", VERIFY, {"websocket_url": shim.url, "websocket_secret": "x"})
    assert right.json()["connected"] is True and "booking" in right.json()["opening_message"]
    assert wrong.json()["connected"] is False and "1008" in wrong.json()["error"]
