"""``cekura agent show|connect`` and ``cekura doctor`` as a user runs them: the real CLI
process against the real sandbox and shim on 127.0.0.1. Every doctor check is made to
fail here for its documented reason, and a new user goes from an API key to a connected,
verified chat connection and a green doctor without a dashboard."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_helpers import API_KEY, cli_environment, run_cli

from cekura_cli.exit_codes import ExitCode
from cekura_cli.sandbox.agents import agent_chat

SECRET = "wss_e2e_doctor_secret_0123456789"
VAPI_KEY = "vapi_e2e_provider_key_0123456789"
PATHWAY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
V1 = "/test_framework/v1/aiagents/1/"
V2 = "/test_framework/v2/aiagents/1/"


def patch(handle: Any, path: str, body: dict) -> None:
    """Set the sandbox agent up the way a dashboard user might have (not through the CLI)."""
    response = httpx.patch(handle.url + path, json=body, headers={"X-CEKURA-API-KEY": API_KEY})
    assert response.status_code == 200, response.text


def doctor(handle: Any, tmp_path: Path, *args: str, **env: str) -> tuple[Any, dict[str, Any]]:
    result = run_cli(["doctor", *args, "--json", "-"], cli_environment(handle.url, **env), tmp_path)
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert result.returncode == document["exit_code"], result.stderr
    return result, {check["name"]: check for check in document["checks"]} | {"_doc": document}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def secret_shim() -> Any:
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    with start_shim_in_thread(ShimConfig(target="booking", port=0, secret=SECRET)) as handle:
        yield handle.url


# --- agent show / connect --------------------------------------------------------------------


def test_agent_show_prints_the_connection_and_json(sandbox, booking_url, tmp_path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url)
    result = run_cli(["agent", "show"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "chat provider:     websocket (Custom WebSocket)" in result.stdout
    assert f"websocket url:     {booking_url}" in result.stdout
    shown = json.loads(run_cli(["agent", "show", "--json", "-"], env, tmp_path).stdout)
    assert shown["chat"] == {
        "provider": "websocket",
        "assistant_id": None,
        "websocket_url": booking_url,
        "websocket_headers": [],
        "api_key": None,
        "websocket_secret": "not set",
    }


def test_connect_vapi_reads_the_key_from_the_environment_only(sandbox, tmp_path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url, MY_VAPI_KEY=VAPI_KEY)
    args = ["agent", "connect", "--provider", "vapi", "--assistant-id", "asst_9"]
    result = run_cli([*args, "--key-env", "MY_VAPI_KEY"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "chat provider: websocket -> vapi" in result.stderr
    assert "provider api key: none -> configured" in result.stderr
    assert VAPI_KEY not in result.stdout + result.stderr
    stored = agent_chat(handle.core.state)
    assert stored.api_keys == {"vapi": VAPI_KEY} and stored.assistant_id == "asst_9"
    shown = json.loads(run_cli(["agent", "show", "--json", "-"], env, tmp_path).stdout)
    assert (shown["chat"]["provider"], shown["chat"]["api_key"]) == ("vapi", "configured")


def test_connect_bland_and_retell_and_the_default_key_variable(sandbox, tmp_path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url, BLAND_API_KEY=VAPI_KEY, RETELL_API_KEY=VAPI_KEY)
    bland = run_cli(["agent", "connect", "--provider", "bland", "--pathway-id", PATHWAY.upper()],
                    env, tmp_path)  # fmt: skip
    assert bland.returncode == 0, bland.stderr
    assert agent_chat(handle.core.state).chat_assistant_id == PATHWAY
    retell = run_cli(["agent", "connect", "--provider", "retell", "--assistant-id", "chat_1",
                      "--json", "-"], env, tmp_path)  # fmt: skip
    document = json.loads(retell.stdout)
    assert document["changed"]["provider"] == {"from": "bland", "to": "retell"}
    assert document["secrets_sent"] == ["api_key"] and document["api"] == "v2"


def test_connect_websocket_dry_run_masks_the_secret_and_changes_nothing(
    sandbox, booking_url, tmp_path
) -> None:
    handle = sandbox()
    env = cli_environment(handle.url, MY_SECRET=SECRET)
    args = ["agent", "connect", "--provider", "websocket", "--url", "wss://agent.example/ws",
            "--secret-env", "MY_SECRET", "--header", "X-Env=ci", "--dry-run"]  # fmt: skip
    result = run_cli(args, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stderr and "****" in result.stderr
    assert "would PATCH /test_framework/v2/aiagents/1/" in result.stderr
    document = json.loads(run_cli([*args, "--json", "-"], env, tmp_path).stdout)
    config = document["body"]["provider"]["chat_agent_details"]["config"]
    assert config == {"url": "wss://agent.example/ws", "headers": {"X-Env": "ci"},
                      "websocket_secret": "****" + SECRET[-4:]}  # fmt: skip
    assert handle.core.state.agent_websocket_url == booking_url  # nothing changed


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--provider", "zoom"], "unknown --provider 'zoom'"),
        (["--provider", "vapi", "--assistant-id", "a", "--key-env", "UNSET_VAR"],
         "--key-env UNSET_VAR: the environment variable is not set"),
        (["--provider", "vapi", "--assistant-id", "a", "--key-env", "NOT A NAME"],
         "is not an environment variable name"),
        (["--provider", "bland", "--pathway-id", "pathway-1"], "is not a UUID"),
        (["--provider", "websocket", "--url", "ws://agent.example/ws"], "ws:// off loopback"),
        (["--provider", "websocket", "--url", "wss://h/ws", "--header", "bad"], "NAME=VALUE"),
        (["--provider", "websocket", "--url", "wss://h/ws", "--secret-env", "UNSET_VAR"],
         "--secret-env UNSET_VAR"),
        (["--provider", "websocket", "--url", "wss://h/ws", "--agent-id", "99"],
         "agent 99 not found"),
        (["--provider", "websocket"], "needs --url"),
    ],
)  # fmt: skip
def test_bad_connect_input_is_one_line_and_exit_2(sandbox, tmp_path, args, expected) -> None:
    handle = sandbox()
    result = run_cli(["agent", "connect", *args], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert result.stderr.startswith("cekura: error: ") and expected in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert handle.stats()["requests"].get("PATCH /test_framework/v1/aiagents/{id}/", 0) == 0


def test_agent_show_of_an_unknown_agent_is_exit_2(sandbox, tmp_path) -> None:
    result = run_cli(["agent", "show", "--agent-id", "99"], cli_environment(sandbox().url),
                     tmp_path)  # fmt: skip
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.splitlines()[0] == "cekura: error: agent 99 not found"


# --- from an API key to a green doctor -----------------------------------------------------


def test_a_new_user_connects_verifies_and_runs_without_the_dashboard(
    sandbox, booking_url, tmp_path
) -> None:
    handle = sandbox()
    patch(handle, V2, {"provider": {"chat_agent_details": {"type": ""}}})  # a fresh agent
    env = cli_environment(handle.url)

    result, checks = doctor(handle, tmp_path)
    assert result.returncode == ExitCode.TEST_FAILURES
    assert checks["chat-provider"]["status"] == "fail"
    assert checks["chat-provider"]["detail"].startswith("Chat provider not configured")

    run = run_cli(["run", "--tag", "smoke-test"], env, tmp_path)
    assert run.returncode == ExitCode.USAGE, run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert "cekura agent connect" in line and "cekura doctor" in line
    assert handle.stats()["results_created"] == 0

    connect = run_cli(["agent", "connect", "--provider", "websocket", "--url", booking_url],
                      env, tmp_path)  # fmt: skip
    assert connect.returncode == 0, connect.stderr
    assert f"websocket url: none -> {booking_url}" in connect.stderr

    result, checks = doctor(handle, tmp_path, "--tag", "smoke-test")
    assert result.returncode == ExitCode.OK, result.stderr
    assert {c["status"] for n, c in checks.items() if n != "_doc"} == {"ok", "skip"}
    assert checks["verify-websocket"]["status"] == checks["websocket-probe"]["status"] == "ok"
    assert handle.stats()["results_created"] == 0  # the doctor charged nothing

    assert run_cli(["run", "--tag", "smoke-test"], env, tmp_path).returncode == ExitCode.OK


# --- each doctor check fails for its documented reason ---------------------------------------


def test_doctor_key_checks(sandbox, tmp_path) -> None:
    handle = sandbox()
    _, checks = doctor(handle, tmp_path, CEKURA_API_KEY="sk_test_not_the_right_key_000")
    assert checks["api-key"]["status"] == "fail" and "rejected" in checks["api-key"]["detail"]
    assert checks["agent"]["status"] == "skip"
    result = run_cli(["doctor"], {**cli_environment(handle.url), "CEKURA_API_KEY": ""}, tmp_path)
    assert result.returncode == ExitCode.TEST_FAILURES
    assert "FAIL  API key present and accepted: no API key" in result.stderr


def test_doctor_agent_checks(sandbox, tmp_path) -> None:
    handle = sandbox()
    _, checks = doctor(handle, tmp_path, "--agent-id", "99")
    assert checks["agent"]["status"] == "fail" and checks["agent"]["detail"] == "agent 99 not found"
    agent_chat(handle.core.state).enabled = False
    _, checks = doctor(handle, tmp_path)
    assert (checks["agent"]["status"], checks["agent"]["detail"]) == (
        "fail",
        "agent 1 is disabled",
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"assistant_provider": "bland", "chat_assistant_id": "pathway-1"}, "is not a UUID"),
        ({"assistant_provider": "vapi", "assistant_id": "a1"}, "the Vapi API key is not set"),
    ],
)
def test_doctor_provider_settings_check(sandbox, tmp_path, body, detail) -> None:
    handle = sandbox()
    patch(handle, V1, body)
    _, checks = doctor(handle, tmp_path)
    assert checks["provider-settings"]["status"] == "fail"
    assert detail in checks["provider-settings"]["detail"]


def test_doctor_unreachable_websocket_fails_verify_and_probe(sandbox, tmp_path) -> None:
    handle = sandbox()
    url = f"ws://127.0.0.1:{closed_port()}"
    patch(handle, V1, {"websocket_url": url})
    _, checks = doctor(handle, tmp_path)
    assert checks["verify-websocket"]["status"] == "fail"
    assert checks["websocket-probe"]["status"] == "fail"
    assert "could not connect" in checks["websocket-probe"]["detail"]
    assert url in checks["websocket-probe"]["fix"]


def test_doctor_wrong_secret_fails_both_websocket_checks(sandbox, secret_shim, tmp_path) -> None:
    handle = sandbox(agent_url=secret_shim)
    _, checks = doctor(handle, tmp_path, CEKURA_WEBSOCKET_SECRET="wss_not_the_right_secret_1")
    assert checks["websocket-probe"]["status"] == "fail"
    assert "refused the secret" in checks["websocket-probe"]["detail"]
    assert "1008" in checks["verify-websocket"]["detail"]
    _, checks = doctor(handle, tmp_path, CEKURA_WEBSOCKET_SECRET=SECRET)
    assert checks["websocket-probe"]["status"] == checks["verify-websocket"]["status"] == "ok"


def test_doctor_serve_and_selection_checks(sandbox, tmp_path) -> None:
    handle = sandbox()
    result, checks = doctor(handle, tmp_path, "--serve", "no_such_module_xyz:reply")
    assert checks["serve"]["status"] == "fail" and "does not load" in checks["serve"]["detail"]
    assert checks["_doc"]["mode"] == "api-chat"
    _, checks = doctor(handle, tmp_path, "--serve", "echo", "--tag", "no-such-tag")
    assert checks["serve"]["status"] == "ok"
    assert checks["serve"]["detail"].endswith("a run would use api-chat")
    assert checks["selection"]["status"] == "fail"
    assert "matched no scenarios" in checks["selection"]["detail"]


def test_doctor_local_checks_the_embedded_default(tmp_path) -> None:
    env = cli_environment("http://127.0.0.1:9")
    result = run_cli(["doctor", "--local"], env, tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "cekura doctor: all checks passed" in result.stderr
    assert result.stdout == ""
    result = run_cli(["doctor", "--local", "--via", "api-chat", "--json", "-"], env, tmp_path)
    document = json.loads(result.stdout)
    assert (document["mode"], document["exit_code"]) == ("api-chat", 0), result.stderr
    checks = {check["name"]: check["status"] for check in document["checks"]}
    assert checks["serve"] == "ok"  # the CLI would play the bundled agent: it is checked
    assert checks["websocket-probe"] == "skip"


def test_doctor_flag_errors_are_exit_2_with_a_json_error_document(tmp_path) -> None:
    env = cli_environment("http://127.0.0.1:9")
    result = run_cli(["doctor", "--public-url", "wss://x.example", "--json", "-"], env, tmp_path)
    assert result.returncode == ExitCode.USAGE
    document = json.loads(result.stdout)  # exactly one document on stdout
    assert document["exit_code"] == 2
    message = "--public-url goes with --serve TARGET"
    assert document["error"] == {"kind": "usage", "message": message}
    result = run_cli(["doctor", "--websocket-url", "http://x"], env, tmp_path)
    assert result.returncode == ExitCode.USAGE and "ws:// or wss://" in result.stderr
    result = run_cli(["doctor", "--via", "api-chat"], env, tmp_path)  # as a run would refuse
    assert result.returncode == ExitCode.USAGE and "--serve TARGET" in result.stderr
