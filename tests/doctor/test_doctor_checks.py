"""The doctor's checks with fake services: each one fails for its documented reason,
and a failure never stops the checks after it (pure, no I/O)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from cekura_cli.api.agents import AgentNotFound, Verification
from cekura_cli.doctor.agent_view import read_agent
from cekura_cli.doctor.checks import CHECKS, Check, Doctor, Inputs, Services, Status, run_checks
from cekura_cli.doctor.mode import RunMode, run_mode
from cekura_cli.doctor.report import (
    clean,
    doctor_exit_code,
    render_lines,
    report_json,
    summary_line,
)
from cekura_cli.errors import AuthError, NoScenariosError, RetriesExhausted, UsageError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.shim.probe import ProbeResult

URL = "wss://agent.example.com/ws"
GOOD_PROBE = ProbeResult(True, greeting="Hi there", pong=True)
WEBSOCKET_AGENT = {
    "id": 7,
    "agent_name": "Support",
    "project": 3,
    "assistant_provider": "self_hosted",
    "websocket_url": URL,
    "websocket_headers": {"X-Env": "ci"},
}


class Fakes:
    """Services that answer as told and record what they were asked."""

    def __init__(self, **answers: Any) -> None:
        self.answers = {
            "key": None,
            "agent": WEBSOCKET_AGENT,
            "verify": Verification(True, "Hi there"),
            "probe": GOOD_PROBE,
            "target": ProbeResult(True, reply="You said: hi", pong=True),
            "cases": 3,
            **answers,
        }
        self.calls: list[tuple[str, Any]] = []

    def _answer(self, name: str, *args: Any) -> Any:
        self.calls.append((name, args))
        answer = self.answers[name]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def services(self) -> Services:
        return Services(
            check_key=lambda: self._answer("key"),
            fetch_agent=lambda agent_id: read_agent(self._answer("agent", agent_id)),
            verify_websocket=lambda url, headers: self._answer("verify", url, headers),
            probe=lambda url, headers: self._answer("probe", url, headers),
            probe_target=lambda target: self._answer("target", target),
            count_cases=lambda: self._answer("cases"),
        )


INPUTS = Inputs(api_key_present=True, agent_id=7, mode=RunMode.AGENT)


def doctor(fakes: Fakes | None = None, **inputs: Any) -> tuple[dict[str, Any], Fakes]:
    fakes = fakes or Fakes()
    results = run_checks(Doctor(replace(INPUTS, **inputs), fakes.services()))
    return {r.name: r for r in results}, fakes


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {name: r.status.value for name, r in results.items()}


def test_a_healthy_websocket_agent_passes_every_check_that_applies() -> None:
    results, fakes = doctor()
    assert statuses(results) == {
        "api-key": "ok",
        "agent": "ok",
        "chat-provider": "ok",
        "provider-settings": "ok",
        "verify-websocket": "ok",
        "websocket-probe": "ok",
        "serve": "skip",
        "selection": "ok",
    }
    assert doctor_exit_code(list(results.values())) is ExitCode.OK
    # the probe and the service get the agent's own headers
    assert ("probe", (URL, [("X-Env", "ci")])) in fakes.calls
    assert ("verify", (URL, {"X-Env": "ci"})) in fakes.calls


def test_the_checks_are_in_the_troubleshooting_order() -> None:
    assert [check.name for check in CHECKS] == [
        "api-key", "agent", "chat-provider", "provider-settings",
        "verify-websocket", "websocket-probe", "serve", "selection",
    ]  # fmt: skip


def test_no_api_key_fails_and_what_needs_it_is_skipped_not_hidden() -> None:
    results, fakes = doctor(api_key_present=False)
    assert results["api-key"].status is Status.FAIL
    assert "CEKURA_API_KEY" in results["api-key"].fix
    assert results["agent"].status is Status.SKIP
    assert results["selection"].status is Status.SKIP
    assert len(results) == len(CHECKS)  # all of them reported
    assert fakes.calls == []  # and nothing was asked of the service without a key


def test_a_rejected_key_fails_with_the_fix() -> None:
    fakes = Fakes(key=AuthError("the API key was rejected (HTTP 401)", status_code=401))
    results, _ = doctor(fakes)
    assert results["api-key"].status is Status.FAIL
    assert "rejected" in results["api-key"].detail
    assert "create a key" in results["api-key"].fix


def test_an_unreachable_service_fails_the_key_check_with_its_own_fix() -> None:
    results, _ = doctor(Fakes(key=RetriesExhausted("GET failed after 4 attempts")))
    assert results["api-key"].status is Status.FAIL
    assert "CEKURA_API_URL" in results["api-key"].fix


def test_an_unknown_agent_fails() -> None:
    results, _ = doctor(Fakes(agent=AgentNotFound("agent 7 not found")))
    assert (results["agent"].status, results["agent"].detail) == (Status.FAIL, "agent 7 not found")
    assert results["chat-provider"].status is Status.SKIP


def test_no_agent_id_fails() -> None:
    results, _ = doctor(agent_id=None)
    assert results["agent"].status is Status.FAIL and "--agent-id" in results["agent"].fix
    assert results["selection"].status is Status.SKIP


def test_a_disabled_agent_fails() -> None:
    results, _ = doctor(Fakes(agent={**WEBSOCKET_AGENT, "is_active": False}))
    assert results["agent"].status is Status.FAIL
    assert results["agent"].detail == "agent 7 is disabled"


def test_no_chat_provider_fails_with_the_connect_command() -> None:
    results, _ = doctor(Fakes(agent={"id": 7, "assistant_provider": None}))
    check = results["chat-provider"]
    assert check.status is Status.FAIL
    assert check.detail.startswith("Chat provider not configured")
    assert "cekura agent connect --provider" in check.fix
    assert results["verify-websocket"].status is Status.SKIP


def test_api_chat_and_an_explicit_websocket_need_no_chat_provider() -> None:
    bare = Fakes(agent={"id": 7, "assistant_provider": None})
    results, _ = doctor(bare, mode=RunMode.API_CHAT, serve="echo")
    assert results["chat-provider"].status is Status.OK
    assert "API chat" in results["chat-provider"].detail
    results, _ = doctor(Fakes(agent={"id": 7}), websocket_url=URL)
    assert results["chat-provider"].status is Status.OK


@pytest.mark.parametrize(
    ("agent", "detail"),
    [
        ({"assistant_provider": "bland", "chat_assistant_id": "pathway-1",
          "bland_api_key_configured": True}, "is not a UUID"),
        ({"assistant_provider": "vapi", "assistant_id": "a1",
          "vapi_api_key_configured": False}, "the Vapi API key is not set"),
        ({"assistant_provider": "retell", "retell_api_key_configured": True}, "no Retell"),
        ({"assistant_provider": "self_hosted", "websocket_url": "ws://agent.example.com/ws"},
         "ws:// off loopback"),
        ({"assistant_provider": "self_hosted", "websocket_url": "http://x/ws"}, "wss:// URL"),
        ({"assistant_provider": "self_hosted"}, "has no URL"),
    ],
)  # fmt: skip
def test_malformed_provider_settings_fail(agent: dict, detail: str) -> None:
    results, _ = doctor(Fakes(agent={"id": 7, **agent}))
    check = results["provider-settings"]
    assert check.status is Status.FAIL, check
    assert detail in check.detail
    assert "cekura agent connect" in check.fix


def test_the_service_failing_to_open_the_websocket_fails_verify() -> None:
    fakes = Fakes(verify=Verification(False, error="could not connect: Connection refused"))
    results, _ = doctor(fakes)
    assert results["verify-websocket"].status is Status.FAIL
    assert "Connection refused" in results["verify-websocket"].detail
    assert "reachable" in results["verify-websocket"].fix
    assert results["websocket-probe"].status is Status.OK  # still checked


def test_verify_with_a_1008_names_the_secret_and_an_unknown_shape_is_unverified() -> None:
    refused = Fakes(verify=Verification(False, error="closed with 1008 (Unauthorized)"))
    results, _ = doctor(refused)
    assert "CEKURA_WEBSOCKET_SECRET" in results["verify-websocket"].fix
    results, _ = doctor(Fakes(verify=Verification(None)))
    check = results["verify-websocket"]
    assert check.status is Status.SKIP and check.detail.startswith("unverified")


def test_the_service_is_not_asked_to_reach_loopback_unless_it_is_local() -> None:
    agent = {**WEBSOCKET_AGENT, "websocket_url": "ws://127.0.0.1:8765"}
    results, fakes = doctor(Fakes(agent=agent))
    assert results["verify-websocket"].status is Status.SKIP
    assert not [call for call in fakes.calls if call[0] == "verify"]
    results, _ = doctor(Fakes(agent=agent), service_is_local=True)
    assert results["verify-websocket"].status is Status.OK


@pytest.mark.parametrize(
    ("probe", "detail", "fix"),
    [
        (ProbeResult(False, problem="could not connect: Connection refused"),
         "Connection refused", "reachable"),
        (ProbeResult(True, close_code=1008, problem="closed with 1008"),
         "refused the secret", "export CEKURA_WEBSOCKET_SECRET"),
        (ProbeResult(True, problem="no greeting and no reply to a probe message within 7 s"),
         "no greeting and no reply", "greet on connect"),
        (ProbeResult(True, greeting="hi", pong=False, problem="a ping got no pong within 5 s"),
         "no pong", "event loop"),
    ],
)  # fmt: skip
def test_the_local_probe_fails_for_each_documented_reason(probe, detail, fix) -> None:
    results, _ = doctor(Fakes(probe=probe))
    check = results["websocket-probe"]
    assert check.status is Status.FAIL
    assert detail in check.detail and fix in check.fix


def test_a_wrong_secret_names_the_mismatch_when_one_was_sent() -> None:
    results, _ = doctor(Fakes(probe=ProbeResult(True, close_code=1008)), secret_present=True)
    assert "agree" in results["websocket-probe"].fix


def test_serve_checks_the_target_and_says_which_mode_a_run_would_use() -> None:
    results, fakes = doctor(serve="echo", mode=RunMode.API_CHAT)
    assert results["serve"].status is Status.OK
    assert results["serve"].detail.endswith("a run would use api-chat")
    assert ("target", ("echo",)) in fakes.calls
    assert results["websocket-probe"].status is Status.SKIP  # API chat: no WebSocket
    bad = Fakes(target=UsageError("unknown agent TARGET 'nope'"))
    results, _ = doctor(bad, serve="nope", mode=RunMode.API_CHAT)
    assert results["serve"].status is Status.FAIL and "does not load" in results["serve"].detail
    silent = Fakes(target=ProbeResult(True, problem="no greeting and no reply within 7 s"))
    results, _ = doctor(silent, serve="x:f", mode=RunMode.WEBSOCKET, public_url=True)
    assert results["serve"].status is Status.FAIL
    assert results["serve"].detail.endswith("a run would use websocket")


def test_an_empty_selection_fails() -> None:
    results, _ = doctor(Fakes(cases=NoScenariosError("the selection matched no scenarios")))
    assert results["selection"].status is Status.FAIL
    assert "cekura scenarios list" in results["selection"].fix
    results, _ = doctor(Fakes(cases=1), selection="tags smoke")
    assert results["selection"].detail == "1 case (tags smoke)"


def test_a_crashing_check_is_reported_and_the_rest_still_run() -> None:
    def broken(_: Doctor) -> Any:
        raise RuntimeError("boom")

    checks = (Check("broken", "Broken", broken), *CHECKS)
    results = run_checks(Doctor(INPUTS, Fakes().services()), checks)
    assert results[0].status is Status.FAIL and "RuntimeError: boom" in results[0].detail
    assert [r.status for r in results[1:3]] == [Status.OK, Status.OK]


def test_report_lines_json_and_exit_code() -> None:
    results, _ = doctor(Fakes(cases=NoScenariosError("nothing")))
    ordered = list(results.values())
    lines = render_lines(ordered)
    assert lines[0] == "ok    API key present and accepted: present and accepted"
    assert "FAIL  The selection resolves to at least one case: nothing" in lines
    assert lines[-1].startswith("      fix: ")
    summary = "cekura doctor: 1 of 8 checks failed (6 ok, 1 failed, 1 skipped)"
    assert summary_line(ordered) == summary
    document = report_json(ordered, mode=RunMode.AGENT, agent={"id": 7})
    assert json.loads(json.dumps(document)) == document
    assert (document["ok"], document["exit_code"], document["mode"]) == (False, 1, "agent")
    assert document["counts"] == {"ok": 6, "failed": 1, "skipped": 1}
    assert document["checks"][-1] == {
        "name": "selection",
        "title": "The selection resolves to at least one case",
        "status": "fail",
        "detail": "nothing",
        "fix": results["selection"].fix,
    }
    assert doctor_exit_code(ordered) is ExitCode.TEST_FAILURES


def test_hostile_text_from_the_agent_is_one_inert_line() -> None:
    hostile = "\x1b[2J\r\n::set-output name=x::1\n##[error]boom\u202e\x07"
    results, _ = doctor(Fakes(probe=ProbeResult(True, greeting=hostile, pong=True)))
    lines = render_lines(list(results.values()))
    text = "\n".join(lines)
    assert len(lines) == len(CHECKS)
    for bad in ("\x1b", "\r", "\x07", "\u202e", "::set-output", "##["):
        assert bad not in text
    assert clean("a\tb\n\nc") == "a b c"


@pytest.mark.parametrize(
    ("flags", "mode"),
    [
        ({}, RunMode.AGENT),
        ({"websocket_url": URL}, RunMode.WEBSOCKET),
        ({"serve": "echo"}, RunMode.API_CHAT),
        ({"serve": "echo", "public_url": URL}, RunMode.WEBSOCKET),
        ({"local": True}, RunMode.WEBSOCKET),
        ({"local": True, "via": "api-chat"}, RunMode.API_CHAT),
        ({"serve": "echo", "via": "websocket", "public_url": URL}, RunMode.WEBSOCKET),
    ],
)
def test_which_mode_a_run_would_use(flags: dict, mode: RunMode) -> None:
    assert run_mode(**flags) is mode


def test_a_suite_selection_is_counted_offline_even_without_a_key() -> None:
    results, fakes = doctor(Fakes(cases=4), api_key_present=False, selection_offline=True,
                            selection="--suite s.yaml")  # fmt: skip
    assert results["selection"].status is Status.OK
    assert results["selection"].detail == "4 cases (--suite s.yaml)"
    assert fakes.calls == [("cases", ())]


@pytest.mark.parametrize(
    "flags",
    [
        {"via": "api-chat"},  # nothing for the CLI to play
        {"via": "api-chat", "serve": "echo", "public_url": URL},
        {"via": "websocket", "serve": "echo"},  # the service cannot reach 127.0.0.1
        {"via": "smoke-signals"},
    ],
)
def test_a_mode_a_run_would_refuse_is_a_usage_error(flags: dict) -> None:
    with pytest.raises(UsageError):
        run_mode(**flags)
