"""The sandbox over real HTTP on 127.0.0.1:0 (httpx), with real WebSocket agents."""

from __future__ import annotations

import json
import socket
from typing import Any

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

from cekura_cli.api.models import Result, Run, Status
from cekura_cli.errors import UsageError
from cekura_cli.sandbox import FaultPlan, SandboxConfig, start_sandbox_in_thread

SUITE = """\
defaults: {first_speaker: tester}
scenarios:
  - name: Echoes
    tags: [smoke-test]
    turns:
      - say: hello there
        expect: {reply_contains: hello}
      - say: second
        expect: {reply_matches: '^second$'}
  - name: Wants a refund
    tags: [critical]
    turns:
      - say: give me a refund
        expect: {reply_contains: refunded}
"""


def client_for(url: str, key: str = API_KEY) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-CEKURA-API-KEY": key}, timeout=UNIT_S)


def test_a_whole_run_over_http_passes_and_fails_with_reasons() -> None:
    log = AgentLog()
    with (
        agent_in_thread(logging_agent(log, echo_reply)) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE),
                api_key=API_KEY,
                agent_websocket_url=ws_url,
                close_delay_s=0.1,
                faults=FaultPlan.empty(),
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        assert sandbox.url.startswith("http://127.0.0.1:") and sandbox.agent_id == 1
        started = client.post(START, json={"agent_id": 1, "tags": ["smoke-test", "critical"]})
        assert started.status_code == 201
        result = Result.model_validate(wait_completed(client, started.json()["id"]))
        assert result.status is Status.COMPLETED
        assert (result.total_runs_count, result.success_runs_count, result.failed_runs_count) == (
            2,
            1,
            1,
        )
        runs = {
            run.scenario_name: run
            for run in map(Run.model_validate, bulk(client, result.run_ids).values())
        }
        good, bad = runs["Echoes"], runs["Wants a refund"]
        assert (good.status, good.success, good.evaluation_status) == (
            Status.COMPLETED,
            True,
            "success",
        )
        assert (bad.status, bad.success, bad.evaluation_status) == (
            Status.COMPLETED,
            False,
            "failure",
        )
        assert bad.evaluation is not None
        assert bad.evaluation.metrics[0].explanation == (
            "expected the reply to turn 1 ('give me a refund') to contain 'refunded'; the agent "
            "said: 'give me a refund'"
        )
        assert [e.role for e in good.transcript_object or []] == [
            "Testing Agent",
            "Main Agent",
            "Testing Agent",
            "Main Agent",
        ]
        assert good.transcript == (
            "[00:00] Testing Agent: hello there\n[00:00] Main Agent: hello there\n"
            "[00:00] Testing Agent: second\n[00:00] Main Agent: second"
        )
        stats = sandbox.stats()
        assert stats["results_created"] == 1 and stats["runs_by_status"] == {"completed": 2}
        assert stats["requests"]["POST /test_framework/v1/scenarios/run_scenarios_text/"] == 1
        over_http = httpx.get(f"{sandbox.url}/_sandbox/stats", timeout=UNIT_S).json()
        assert over_http["results_created"] == 1
    ids = sorted(h["x-vocera-run-id"] for h in log.headers)
    assert ids == [str(i) for i in sorted(result.run_ids)]
    assert all("x-vocera-secret" not in h for h in log.headers)


def test_keep_alive_and_content_length_on_every_answer() -> None:
    with (
        start_sandbox_in_thread(
            SandboxConfig(suite=suite_from(SUITE), faults=FaultPlan.empty())
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        responses = [client.get("/test_framework/v1/scenarios/") for _ in range(3)]
        responses.append(client.get("/test_framework/v1/nope/"))
        assert [r.status_code for r in responses] == [200, 200, 200, 404]
        assert all(r.headers["content-length"] == str(len(r.content)) for r in responses)
        assert all(r.http_version == "HTTP/1.1" for r in responses)
        assert (
            client.get(
                "/test_framework/v1/scenarios/", headers={"X-CEKURA-API-KEY": ""}
            ).status_code
            == 401
        )


def test_the_api_key_is_checked_over_http() -> None:
    with (
        start_sandbox_in_thread(
            SandboxConfig(suite=suite_from(SUITE), api_key=API_KEY, faults=FaultPlan.empty())
        ) as sandbox,
        client_for(sandbox.url, key="wrong") as client,
    ):
        response = client.get("/test_framework/v1/scenarios/")
        assert (response.status_code, response.json()) == (401, {"detail": "Invalid API key."})


def test_the_secret_and_profile_headers_reach_the_agent() -> None:
    log = AgentLog()
    suite = suite_from(
        SUITE.replace(
            "  - name: Wants a refund\n", "  - name: Wants a refund\n    test_profile: 2\n"
        )
        + "test_profiles:\n"
        + "  - {id: 2, name: VIP, information: {X-Customer-ID: cust_9, plan: gold}}\n"
    )
    with (
        agent_in_thread(logging_agent(log, echo_reply)) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite,
                agent_websocket_url=ws_url,
                websocket_secret="the-ws-secret",
                close_delay_s=0.1,
                faults=FaultPlan.empty(),
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        body = {
            "agent_id": 1,
            "scenarios": [2],
            "websocket_headers": {"X-Env": "ci", "X-VOCERA-RUN-ID": "x"},
        }
        wait_completed(client, client.post(START, json=body).json()["id"])
    (headers,) = log.headers
    assert headers["x-vocera-secret"] == "the-ws-secret"
    assert headers["x-customer-id"] == "cust_9" and "plan" not in headers
    assert headers["x-env"] == "ci" and headers["x-vocera-run-id"] != "x"


def test_concurrency_is_bounded_and_every_run_finishes() -> None:
    log = AgentLog()
    with (
        agent_in_thread(logging_agent(log, echo_reply, delay_s=0.02)) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE),
                agent_websocket_url=ws_url,
                concurrency=4,
                close_delay_s=0.05,
                faults=FaultPlan.empty(),
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        started = client.post(START, json={"agent_id": 1, "scenarios": [1], "frequency": 12}).json()
        result = wait_completed(client, started["id"])
        assert result["completed_runs_count"] == result["success_runs_count"] == 12
    assert len(log.headers) == 12
    # the slot is freed once the tester said end_call; the 1 s close delays overlap
    assert 1 <= log.max_talking <= 4


def test_concurrency_limit_of_the_request_is_honoured() -> None:
    log = AgentLog()
    with (
        agent_in_thread(logging_agent(log, echo_reply, delay_s=0.02)) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE),
                agent_websocket_url=ws_url,
                close_delay_s=0.05,
                faults=FaultPlan.empty(),
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        body = {"agent_id": 1, "scenarios": [1], "frequency": 6, "concurrency_limit": 2}
        wait_completed(client, client.post(START, json=body).json()["id"])
    assert log.max_concurrent <= 2


def test_end_calls_cancels_runs_in_flight_and_the_agent_gets_end_call() -> None:
    log = AgentLog()
    silent = logging_agent(log, lambda text: [])  # never answers
    with (
        agent_in_thread(silent) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE),
                agent_websocket_url=ws_url,
                concurrency=2,
                close_delay_s=0.1,
                turn_timeout_s=4 * UNIT_S,
                faults=FaultPlan.empty(),
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        started = client.post(START, json={"agent_id": 1, "scenarios": [1], "frequency": 4}).json()
        wait_for(lambda: sum(len(frames) for frames in log.frames) >= 2)  # two talking, two queued
        ended = client.post(f"/test_framework/v1/results/{started['id']}/end_calls/")
        assert (ended.status_code, ended.content) == (200, b"")
        result = client.get(f"/test_framework/v1/results/{started['id']}/").json()
        assert result["status"] == "completed"
        assert {run["status"] for run in result["runs"].values()} == {"cancelled"}
        wait_for(lambda: sum(1 for frames in log.frames if {"type": "end_call"} in frames) == 2)
        wait_for(lambda: log.concurrent == 0)
        runs = bulk(client, list(result["runs"]))
        assert all(run["error_message"].startswith("The call was ended") for run in runs.values())
    assert len(log.headers) == 2  # the queued runs never connected


def test_an_unreachable_agent_fails_runs_with_an_error_message() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"ws://127.0.0.1:{probe.getsockname()[1]}/"
    with (
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE), agent_websocket_url=dead, faults=FaultPlan.empty()
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        result = wait_completed(
            client, client.post(START, json={"agent_id": 1, "scenarios": [1]}).json()["id"]
        )
        (run,) = bulk(client, list(result["runs"])).values()
    assert (run["status"], run["success"]) == ("failed", False)
    assert run["error_message"].startswith(f"could not connect to the agent at {dead}")
    assert result["failed_infrastructure_runs"] == [run["id"]]


def test_a_1008_refusing_agent_fails_runs_naming_the_secret() -> None:
    async def refuses(ws: Any) -> None:
        await ws.close(1008, "Unauthorized")

    with (
        agent_in_thread(refuses) as ws_url,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=suite_from(SUITE), agent_websocket_url=ws_url, faults=FaultPlan.empty()
            )
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        result = wait_completed(
            client, client.post(START, json={"agent_id": 1, "scenarios": [1]}).json()["id"]
        )
        (run,) = bulk(client, list(result["runs"])).values()
    assert run["status"] == "failed"
    assert "1008" in run["error_message"] and "X-VOCERA-SECRET" in run["error_message"]


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_sandbox_in_thread(
                SandboxConfig(suite=suite_from(SUITE), port=port, faults=FaultPlan.empty())
            )


def test_stop_is_idempotent_and_closes_keep_alive_clients() -> None:
    sandbox = start_sandbox_in_thread(
        SandboxConfig(suite=suite_from(SUITE), faults=FaultPlan.empty())
    )
    with client_for(sandbox.url) as client:
        assert client.get("/test_framework/v1/scenarios/").status_code == 200
        sandbox.stop()
        sandbox.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/test_framework/v1/scenarios/")


def test_next_links_use_the_host_the_client_used() -> None:
    with (
        start_sandbox_in_thread(
            SandboxConfig(suite=suite_from(SUITE), faults=FaultPlan.empty())
        ) as sandbox,
        client_for(sandbox.url) as client,
    ):
        page = client.get("/test_framework/v1/scenarios/", params={"page_size": 1}).json()
        assert page["next"] == f"{sandbox.url}/test_framework/v1/scenarios/?page_size=1&page=2"
        second = client.get(page["next"]).json()
        assert [s["name"] for s in second["results"]] == ["Wants a refund"]
        assert json.dumps(second["next"]) == "null"


def test_the_config_repr_never_shows_the_secrets() -> None:
    config = SandboxConfig(
        suite=suite_from(SUITE), api_key="api-key-do-not-print", websocket_secret="ws-do-not-print"
    )
    assert "do-not-print" not in repr(config)
