"""The sandbox's API-chat endpoints, through ``dispatch`` alone (no sockets)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cekura_cli.sandbox.dispatch import Request, dispatch
from cekura_cli.sandbox.faults import parse_fault_specs
from cekura_cli.sandbox.loader import parse_suite
from cekura_cli.sandbox.state import SandboxState

KEY = "sandbox-chat-key"
V1 = "/test_framework/v1"
SUITE = """\
version: 1
agent: {id: 5, name: Chat agent}
defaults: {first_speaker: tester}
scenarios:
  - name: Two lines
    tags: [chat]
    turns:
      - say: "Hello"
        expect: {reply_contains: "hello"}
      - say: "Book it"
        expect:
          tool_called: {name: book}
    expect: {agent_ends_call: false}
  - name: Agent greets
    tags: [greet]
    first_speaker: agent
    turns:
      - say: "Hi"
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_state(faults: list[str] = ()) -> tuple[SandboxState, Clock]:
    clock = Clock()
    state = SandboxState(parse_suite(SUITE), clock=clock)
    state.faults = parse_fault_specs(list(faults))
    return state, clock


def call(state: SandboxState, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    request = Request(method, path, headers={"x-cekura-api-key": KEY}, body=raw)
    response = dispatch(state, request, api_key=KEY)
    return response.status, json.loads(response.body) if response.body else None


def start(state: SandboxState, tags: list[str]) -> list[int]:
    status, body = call(
        state, "POST", f"{V1}/scenarios/run_scenarios_api_chat/", {"agent_id": 5, "tags": tags}
    )
    assert status == 200, body
    return [run["id"] for run in body["runs"]]


def test_a_whole_chat_is_scored_by_the_scenario_expectations() -> None:
    state, _ = make_state()
    (run_id,) = start(state, ["chat"])
    assert state.runs[run_id].status.value == "in_progress"
    status, opening = call(state, "GET", f"{V1}/runs/{run_id}/chat/0/")
    assert (status, opening["message"], opening["ended"]) == (200, "Hello", False)
    status, accepted = call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "hello you"})
    assert status == 202 and accepted["turn_id"] == 1
    _, turn = call(state, "GET", f"{V1}/runs/{run_id}/chat/1/")
    assert (turn["status"], turn["message"]) == ("ready", "Book it")
    call(
        state,
        "POST",
        f"{V1}/runs/{run_id}/chat/",
        {"role": "Function Call", "data": {"name": "book", "id": "c", "arguments": "{}"}},
    )
    _, last = call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "booked"})
    _, end = call(state, "GET", f"{V1}/runs/{run_id}/chat/{last['turn_id']}/")
    assert end["ended"] is True and end["message"] is None
    run = state.runs[run_id]
    assert run.status.value == "completed" and run.outcome.success, run.outcome
    assert [e["role"] for e in run.outcome.transcript_object] == [
        "Testing Agent",
        "Main Agent",
        "Testing Agent",
        "Function Call",
        "Main Agent",
    ]
    status, _ = call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "more"})
    assert status == 409  # already ended


def test_agent_first_has_a_null_opening_and_the_first_submit_is_the_greeting() -> None:
    state, _ = make_state()
    (run_id,) = start(state, ["greet"])
    _, opening = call(state, "GET", f"{V1}/runs/{run_id}/chat/0/")
    assert opening["message"] is None
    call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "Welcome"})
    assert state.chats[run_id].record.greeting == "Welcome"


def test_a_slow_simulated_user_is_generating_until_its_delay_passed() -> None:
    state, clock = make_state(["chat:slow_user:delay=2"])
    (run_id,) = start(state, ["chat"])
    call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "hello"})
    _, turn = call(state, "GET", f"{V1}/runs/{run_id}/chat/1/")
    assert (turn["status"], turn["message"]) == ("generating", None)
    clock.now += 2.5
    _, turn = call(state, "GET", f"{V1}/runs/{run_id}/chat/1/")
    assert (turn["status"], turn["message"]) == ("ready", "Book it")
    stats = state.chats[run_id].stats()
    assert stats["polls_per_turn"] == [2] and stats["notice_latency_s"] == [0.5]


def test_a_submit_while_generating_drops_the_older_turn() -> None:
    state, _ = make_state(["chat:slow_user:delay=5"])
    (run_id,) = start(state, ["chat"])
    call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "hello"})
    call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "hello again"})
    _, first = call(state, "GET", f"{V1}/runs/{run_id}/chat/1/")
    assert first["status"] == "dropped"
    said = [
        e["content"] for e in state.chats[run_id].record.entries if e["role"] == "Testing Agent"
    ]
    assert said == ["Hello", "Book it"]  # the dropped turn's line is said once, by turn 2


def test_error_fault_makes_an_error_turn() -> None:
    state, _ = make_state(["chat:error:times=1"])
    (run_id,) = start(state, ["chat"])
    call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "hello"})
    _, turn = call(state, "GET", f"{V1}/runs/{run_id}/chat/1/")
    assert turn["status"] == "error"


@pytest.mark.parametrize(
    ("reason", "status", "error"),
    [("main_agent_ended_call", "completed", None), ("agent error: Boom", "failed", "Boom")],
)
def test_end_chat_ends_the_run(reason: str, status: str, error: str | None) -> None:
    state, _ = make_state()
    (run_id,) = start(state, ["greet"])
    code, body = call(state, "POST", f"{V1}/runs/{run_id}/end-chat/", {"reason": reason})
    assert code == 200 and body["run_id"] == run_id
    run = state.runs[run_id]
    assert run.status.value == status
    assert (error is None) == (run.outcome.error_message is None)


def test_unknown_turns_runs_and_text_runs() -> None:
    state, _ = make_state()
    (run_id,) = start(state, ["chat"])
    assert call(state, "GET", f"{V1}/runs/{run_id}/chat/9/")[0] == 404
    assert call(state, "GET", f"{V1}/runs/999999/chat/0/")[0] == 404
    assert (
        call(state, "POST", f"{V1}/scenarios/run_scenarios_api_chat/", {"tags": ["chat"]})[0] == 400
    )
    bad = {"agent_id": 5, "tags": ["chat"], "timeout": 99999}
    assert call(state, "POST", f"{V1}/scenarios/run_scenarios_api_chat/", bad)[0] == 400


def test_end_calls_cancels_an_open_chat() -> None:
    state, _ = make_state()
    (run_id,) = start(state, ["chat"])
    result_id = state.runs[run_id].result_id
    assert call(state, "POST", f"{V1}/results/{result_id}/end_calls/")[0] == 200
    assert call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "x"})[0] == 409
    _, turn = call(state, "GET", f"{V1}/runs/{run_id}/chat/0/")
    assert turn["ended"] is True and turn["ended_reason"] == "end_calls"


def test_a_chat_past_its_timeout_is_over_and_scored() -> None:
    state, clock = make_state()
    status, body = call(
        state,
        "POST",
        f"{V1}/scenarios/run_scenarios_api_chat/",
        {"agent_id": 5, "tags": ["chat"], "timeout": 30},
    )
    run_id = body["runs"][0]["id"]
    call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "hello"})
    clock.now += 31
    assert call(state, "POST", f"{V1}/runs/{run_id}/chat/", {"content": "late"})[0] == 409
    _, turn = call(state, "GET", f"{V1}/runs/{run_id}/chat/1/")
    assert turn["ended"] is True and turn["ended_reason"] == "timeout"
    run = state.runs[run_id]
    assert run.status.value == "completed" and run.outcome.error_message is None
    assert run.outcome.success is False  # turn 2 was never answered
