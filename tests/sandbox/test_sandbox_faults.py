"""Fault injection: the spec parser, the trigger rules, and every fault over real HTTP."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
import pytest
from sandbox_helpers import (
    API_KEY,
    START,
    UNIT_S,
    AgentLog,
    agent_in_thread,
    bulk,
    echo_reply,
    logging_agent,
    suite_from,
    wait_completed,
    wait_for,
)

from cekura_cli.errors import ConfigError
from cekura_cli.sandbox import (
    SandboxConfig,
    SandboxHandle,
    parse_fault_specs,
    start_sandbox_in_thread,
)
from cekura_cli.sandbox.faults import Action, RunFaultKind, specs_from_env

SUITE = """\
defaults: {first_speaker: tester}
scenarios:
  - name: Echo
    turns: [{say: hello, expect: {reply_contains: hello}}]
"""
RESULTS = "/test_framework/v1/results/{}/"


@contextmanager
def sandbox_with(*specs: str) -> Iterator[tuple[SandboxHandle, httpx.Client]]:
    log = AgentLog()
    with (
        agent_in_thread(logging_agent(log, echo_reply)) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE),
                api_key=API_KEY,
                agent_websocket_url=ws_url,
                close_delay_s=0.05,
                faults=parse_fault_specs(specs),
            )
        ) as sandbox,
        httpx.Client(
            base_url=sandbox.url, headers={"X-CEKURA-API-KEY": API_KEY}, timeout=UNIT_S
        ) as client,
    ):
        yield sandbox, client


def start_ok(client: httpx.Client, frequency: int = 1) -> dict:
    response = client.post(START, json={"agent_id": 1, "scenarios": [1], "frequency": frequency})
    assert response.status_code == 201
    return response.json()


# --- parsing ---------------------------------------------------------------------------


def test_the_documented_examples_parse() -> None:
    plan = parse_fault_specs(
        [
            "GET results:429:times=2:retry_after=1",
            "GET results:503:times=3",
            "GET runs_bulk:malformed",
            "GET results:drop:nth=2",
            "POST run:drop_after_read",
            "POST run:500",
            "* *:slow:delay=0.5",
            "GET /test_framework/v1/scenarios/*:404:rate=0.5",
            "runs:never_finish:times=1",
            "runs:error",
            "results:slow:min_duration=3",
        ]
    )
    actions = [(f.method, f.endpoint, f.action, f.status) for f in plan.request_faults]
    assert actions == [
        ("GET", "results", Action.STATUS, 429),
        ("GET", "results", Action.STATUS, 503),
        ("GET", "runs_bulk", Action.MALFORMED, None),
        ("GET", "results", Action.DROP, None),
        ("POST", "run", Action.DROP_AFTER_READ, None),
        ("POST", "run", Action.STATUS, 500),
        ("*", "*", Action.SLOW, None),
        ("GET", "/test_framework/v1/scenarios/*", Action.STATUS, 404),
    ]
    assert plan.request_faults[0].retry_after_s == 1.0
    assert plan.request_faults[6].delay_s == 0.5
    assert [f.kind for f in plan.run_faults] == [RunFaultKind.NEVER_FINISH, RunFaultKind.ERROR]
    assert plan.min_result_duration_s == 3.0


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("GET results", "expected 'METHOD ENDPOINT:ACTION"),
        ("GET results:42", "status 42 is not in 400-599"),
        ("GET results:explode", "unknown action 'explode'"),
        ("PUT results:503", "method 'PUT' is not GET, POST or *"),
        ("GET resultz:503", "unknown endpoint 'resultz'"),
        ("GET results:503:times=x", "times='x' is not a whole number"),
        ("GET results:503:times=0", "times must be positive"),
        ("GET results:503:nth=1:times=2", "nth cannot be combined"),
        ("GET results:503:rate=2", "rate must be in (0, 1]"),
        ("GET results:503:colour=red", "unknown option 'colour=red'"),
        ("GET results:drop:delay=1", "unknown option 'delay=1'"),
        ("runs:explode", "unknown fault"),
        ("results:slow", "results:slow needs min_duration=S"),
    ],
)
def test_bad_specs_are_config_errors_naming_the_spec(spec: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_fault_specs([spec])
    assert caught.value.message.startswith(f"bad fault spec {spec!r}: ")
    assert problem in caught.value.message


def test_times_nth_and_rate_decide_which_requests_are_hit() -> None:
    plan = parse_fault_specs(["GET results:503:times=2", "GET scenarios:500:nth=3"])
    hits = [plan.for_request("GET", "results", "/x").status for _ in range(4)]
    assert hits == [503, 503, None, None]
    hits = [plan.for_request("GET", "scenarios", "/x").status for _ in range(4)]
    assert hits == [None, None, 500, None]
    assert plan.for_request("POST", "results", "/x").status is None
    assert plan.stats() == {"GET results:503:times=2": 2, "GET scenarios:500:nth=3": 1}


def test_rate_is_seeded_and_reproducible() -> None:
    def pattern(seed: int) -> list[bool]:
        plan = parse_fault_specs(["* *:503:rate=0.5"], seed=seed)
        return [plan.for_request("GET", "results", "/x").action is not None for _ in range(40)]

    expected_rng = random.Random(7)
    assert pattern(7) == [expected_rng.random() < 0.5 for _ in range(40)]
    assert pattern(7) == pattern(7) and True in pattern(7) and False in pattern(7)


def test_a_fault_that_did_not_get_to_act_is_not_used_up() -> None:
    plan = parse_fault_specs(
        ["GET results:429:times=1", "GET results:503:times=1", "* *:slow:delay=0.25"]
    )
    decisions = [plan.for_request("GET", "results", "/x") for _ in range(3)]
    assert [d.status for d in decisions] == [429, 503, None]
    assert [d.delay_s for d in decisions] == [0.25, 0.25, 0.25]


def test_env_specs_are_semicolon_separated() -> None:
    env = {"CEKURA_SANDBOX_FAULTS": "GET results:503:times=1; runs:error ;"}
    assert specs_from_env(env) == ["GET results:503:times=1", "runs:error"]
    assert specs_from_env({}) == []


# --- request faults over HTTP ------------------------------------------------------------


def test_429_with_retry_after_then_normal_answers() -> None:
    with sandbox_with("GET results:429:times=2:retry_after=1") as (sandbox, client):
        result_id = start_ok(client)["id"]
        first, second, third = (client.get(RESULTS.format(result_id)) for _ in range(3))
        assert [r.status_code for r in (first, second, third)] == [429, 429, 200]
        assert first.headers["retry-after"] == "1"
        assert first.json() == {"detail": "Request was throttled. Expected available in 1 seconds."}
        assert sandbox.stats()["faults_fired"] == {"GET results:429:times=2:retry_after=1": 2}


def test_503_for_the_first_three_polls() -> None:
    with sandbox_with("GET results:503:times=3") as (_, client):
        result_id = start_ok(client)["id"]
        codes = [client.get(RESULTS.format(result_id)).status_code for _ in range(4)]
        assert codes == [503, 503, 503, 200]


def test_malformed_body_is_a_200_that_does_not_parse() -> None:
    with sandbox_with("GET runs_bulk:malformed") as (_, client):
        started = start_ok(client)
        response = client.get(
            "/test_framework/v1/runs/bulk/", params={"run_ids": started["runs"][0]["id"]}
        )
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(response.content))
        with pytest.raises(ValueError):
            response.json()


def test_a_dropped_connection_on_the_second_poll_only() -> None:
    with sandbox_with("GET results:drop:nth=2") as (sandbox, client):
        result_id = start_ok(client)["id"]
        assert client.get(RESULTS.format(result_id)).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(RESULTS.format(result_id))
        assert client.get(RESULTS.format(result_id)).status_code == 200
        assert sandbox.stats()["faults_fired"] == {"GET results:drop:nth=2": 1}


def test_drop_after_read_creates_the_result_but_never_answers() -> None:
    with sandbox_with("POST run:drop_after_read") as (sandbox, client):
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(START, json={"agent_id": 1, "scenarios": [1]})
        wait_for(lambda: sandbox.stats()["runs_by_status"].get("completed") == 1)
        assert sandbox.stats()["results_created"] == 1
        assert client.get(RESULTS.format(1)).json()["status"] == "completed"


def test_post_500_creates_nothing() -> None:
    with sandbox_with("POST run:500") as (sandbox, client):
        response = client.post(START, json={"agent_id": 1, "scenarios": [1]})
        assert response.status_code == 500
        assert "Injected fault (POST run:500)" in response.json()["detail"]
        assert sandbox.stats()["results_created"] == 0


def test_slow_answers_still_answer_correctly() -> None:
    with sandbox_with("* *:slow:delay=0.05") as (sandbox, client):
        assert client.get("/test_framework/v1/scenarios/").json()["count"] == 1
        assert sandbox.stats()["faults_fired"] == {"* *:slow:delay=0.05": 1}


def test_a_path_glob_selects_requests_by_path() -> None:
    with sandbox_with("GET /test_framework/v2/*:502") as (_, client):
        assert client.get("/test_framework/v2/scenarios/").status_code == 502
        assert client.get("/test_framework/v1/scenarios/").status_code == 200


def test_the_stats_endpoint_is_never_faulted() -> None:
    with sandbox_with("* *:503") as (sandbox, _):
        assert httpx.get(f"{sandbox.url}/_sandbox/stats", timeout=UNIT_S).status_code == 200


# --- run faults -------------------------------------------------------------------------


def test_a_run_that_never_finishes_until_end_calls() -> None:
    with sandbox_with("runs:never_finish:times=1") as (_, client):
        started = start_ok(client, frequency=2)
        first, second = (run["id"] for run in started["runs"])

        def statuses() -> dict[str, str]:
            runs = client.get(RESULTS.format(started["id"])).json()["runs"]
            return {key: run["status"] for key, run in runs.items()}

        wait_for(lambda: statuses() == {str(first): "in_progress", str(second): "completed"})
        assert client.get(RESULTS.format(started["id"])).json()["status"] == "running"
        assert (
            client.post(f"/test_framework/v1/results/{started['id']}/end_calls/").status_code == 200
        )
        result = client.get(RESULTS.format(started["id"])).json()
        assert result["status"] == "completed"
        assert result["runs"][str(first)]["status"] == "cancelled"


def test_a_run_error_fault_fails_the_run_as_infrastructure() -> None:
    with sandbox_with("runs:error") as (_, client):
        result = wait_completed(client, start_ok(client)["id"])
        (run,) = bulk(client, list(result["runs"])).values()
        assert (run["status"], run["success"]) == ("failed", False)
        assert run["error_message"].startswith("injected fault (runs:error)")


def test_a_slow_result_does_not_complete_before_its_minimum_duration() -> None:
    with sandbox_with("results:slow:min_duration=0.5") as (_, client):
        result = wait_completed(client, start_ok(client)["id"])

    def parse(text: str) -> datetime:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")

    elapsed = (parse(result["updated_at"]) - parse(result["created_at"])).total_seconds()
    assert elapsed >= 0.5
    assert result["success_runs_count"] == 1


def test_faults_come_from_the_environment_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEKURA_SANDBOX_FAULTS", "GET scenarios:503:times=1")
    with start_sandbox_in_thread(SandboxConfig(suite=suite_from(SUITE))) as sandbox:
        url = f"{sandbox.url}/test_framework/v1/scenarios/"
        codes = [
            httpx.get(url, headers={"X-CEKURA-API-KEY": "k"}, timeout=UNIT_S).status_code
            for _ in range(2)
        ]
    assert codes == [503, 200]


def test_a_bad_env_spec_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEKURA_SANDBOX_FAULTS", "GET nowhere:503")
    with pytest.raises(ConfigError, match="unknown endpoint 'nowhere'"):
        start_sandbox_in_thread(SandboxConfig(suite=suite_from(SUITE)))
