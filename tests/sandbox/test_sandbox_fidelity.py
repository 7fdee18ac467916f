"""Fidelity of the sandbox to the service and its clients (issue 9): the official SDK's
request shapes against the real HTTP server, the schema's shapes, bounds, the seed's
``end_call`` with content, and causes that reach the run's reason.

Loopback only, port 0, every wait bounded; no test asserts on how long something took.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
)

from cekura_cli.local import check_turn_timeouts, turn_timeouts
from cekura_cli.sandbox import SandboxConfig, start_sandbox_in_thread
from cekura_cli.sandbox.start_request import MAX_FREQUENCY, MAX_RUNS_PER_REQUEST
from cekura_cli.shim import ShimConfig, start_shim_in_thread
from cekura_cli.shim.server import FALLBACK_REPLY

SHIM_SAMPLES = Path(__file__).parent.parent / "shim" / "shim_sample_agents.py"
EXIT_THREE = f"{sys.executable} -c 'import sys; sys.stdin.readline(); sys.exit(3)'"

SUITE = """
agent: {id: 1, project: 1}
defaults: {first_speaker: tester}
scenarios:
  - name: Says goodbye like the seed page
    tags: [bye]
    turns: [{say: hello}]
    end_call_content: "Thank you, goodbye!"
  - name: Plain
    tags: [plain]
    turns: [{say: one}, {say: two}]
  - name: Expects a reply
    tags: [expects]
    turns: [{say: one, expect: {reply_contains: one}}]
"""


@contextmanager
def sandbox(ws_url: str, suite: str = SUITE, **options) -> Iterator[tuple[str, httpx.Client]]:
    config = SandboxConfig(
        suite=suite_from(suite), api_key=API_KEY, agent_websocket_url=ws_url, **options
    )
    with (
        start_sandbox_in_thread(config) as handle,
        httpx.Client(
            base_url=handle.url, headers={"X-CEKURA-API-KEY": API_KEY}, timeout=UNIT_S
        ) as client,
    ):
        yield handle.url, client


def run_all(client: httpx.Client, tags: list[str]) -> list[dict]:
    started = client.post(START, json={"agent_id": 1, "tags": tags})
    assert started.status_code == 201, started.text
    result = wait_completed(client, started.json()["id"])
    return list(bulk(client, list(result["runs"])).values())


# -- item 8: the official SDK's request shapes ------------------------------------------

# What cekura 1.6.7 (the official SDK) sends for the endpoints the sandbox emulates:
# paths without the trailing slash, X-CEKURA-API-KEY, a JSON content type and its
# X-Client-Source header (cekura/_http.py, cekura/resources/*.py).
SDK_HEADERS = {
    "X-CEKURA-API-KEY": API_KEY,
    "Content-Type": "application/json",
    "X-Client-Source": "sdk",
}


def test_the_official_sdks_request_shapes_work_against_the_sandbox_server() -> None:
    log = AgentLog()
    with (
        agent_in_thread(logging_agent(log, echo_reply)) as ws_url,
        sandbox(ws_url) as (url, _),
        httpx.Client(base_url=url, headers=SDK_HEADERS, timeout=UNIT_S) as sdk,
    ):
        listed = sdk.get("/test_framework/v1/scenarios", params={"agent_id": 1})
        assert listed.status_code == 200 and listed.json()["count"] == 3
        one = sdk.get("/test_framework/v1/scenarios/2")
        assert (one.status_code, one.json()["name"]) == (200, "Plain")
        agent = sdk.get("/test_framework/v2/aiagents/1/")  # the SDK's v2 path keeps it
        assert agent.status_code == 200
        started = sdk.post(
            "/test_framework/v1/scenarios/run_scenarios_text",
            json={"agent_id": 1, "scenarios": [2]},
        )
        assert started.status_code == 201, started.text
        result_id = started.json()["id"]
        result = sdk.get(f"/test_framework/v1/results/{result_id}")
        assert result.status_code == 200 and result.json()["id"] == result_id
        ended = sdk.post(f"/test_framework/v1/results/{result_id}/end_calls", json={})
        assert ended.status_code == 200


SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from cekura import Cekura
    client = Cekura(api_key=sys.argv[2], base_url=sys.argv[1])
    scenarios = client.scenarios.list(agent_id=1)
    started = client.scenarios.run_text(agent_id=1, scenarios=[2])
    result = client.results.get(started["id"])
    agent = client.agents.get(1)
    print(json.dumps({"count": scenarios["count"], "result": result["id"],
                      "started": started["id"], "agent": agent["id"]}))
    """
)


def test_the_official_sdk_itself_drives_the_sandbox() -> None:
    """With SDK_PYTHON naming a Python that has the official ``cekura`` SDK
    (it installs a ``cekura`` command too, so it lives in a venv of its own)."""
    python = os.environ.get("SDK_PYTHON")  # not CEKURA_*: the suite clears those
    if not python:
        pytest.skip("set SDK_PYTHON to a Python with the official cekura SDK")
    log = AgentLog()
    with agent_in_thread(logging_agent(log, echo_reply)) as ws_url, sandbox(ws_url) as (url, _):
        done = subprocess.run(
            [python, "-c", SDK_SCRIPT, url, API_KEY],
            capture_output=True,
            text=True,
            timeout=6 * UNIT_S,
        )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["count"] == 3 and out["result"] == out["started"] and out["agent"] == 1


# -- item 9: shapes the OpenAPI and the service agree on ------------------------------


def test_agent_provider_and_run_shapes_follow_the_schema() -> None:
    log = AgentLog()
    with agent_in_thread(logging_agent(log, echo_reply)) as ws_url, sandbox(ws_url) as (_, c):
        assert c.get("/test_framework/v1/aiagents/1/").json()["assistant_provider"] == (
            "self_hosted"
        )
        runs = run_all(c, ["plain"])
    (run,) = runs
    assert run["evaluation_status"] in ("success", "failure")
    explanation = run["expected_outcome"]["explanation"]
    assert isinstance(explanation, list) and explanation
    assert all(line[:1] in ("\u2705", "\u274c") for line in explanation)
    alignments = run["expected_outcome"]["outcome_alignments"]
    assert [a["outcome"] for a in alignments] == [m["name"] for m in run["evaluation"]["metrics"]]


# -- item 10: bounds ------------------------------------------------------------------


def test_a_huge_frequency_is_refused_before_anything_is_created() -> None:
    with sandbox("ws://127.0.0.1:9") as (_, client):
        too_many = client.post(START, json={"agent_id": 1, "tags": ["plain"], "frequency": 10**9})
        assert too_many.status_code == 400
        assert too_many.json() == {
            "frequency": [f"Ensure this value is less than or equal to {MAX_FREQUENCY}."]
        }
        body = {"agent_id": 1, "tags": ["plain", "bye"], "frequency": MAX_FREQUENCY}
        body["test_profile_ids"] = []
        body["personality_ids"] = list(range(1, MAX_RUNS_PER_REQUEST // MAX_FREQUENCY + 2))
        wide = client.post(START, json=body)
        assert wide.status_code == 400
        assert "at most" in wide.json()["non_field_errors"][0]
        stats = client.get("/_sandbox/stats").json()
    assert stats["results_created"] == 0 and stats["runs_created"] == 0


# -- item 11: the tester ends with content --------------------------------------------


def test_a_scenario_can_end_the_call_with_content_as_the_seed_page_does() -> None:
    log = AgentLog()
    with agent_in_thread(logging_agent(log, echo_reply)) as ws_url, sandbox(ws_url) as (_, c):
        (run,) = run_all(c, ["bye"])
    (frames,) = log.frames
    assert frames == [{"content": "hello"}, {"content": "Thank you, goodbye!", "type": "end_call"}]
    last = run["transcript_object"][-1]
    assert (last["role"], last["content"]) == ("Testing Agent", "Thank you, goodbye!")


def test_the_shim_records_the_testers_closing_words(tmp_path: Path) -> None:
    with (
        start_shim_in_thread(ShimConfig("echo", port=0, transcripts_dir=tmp_path)) as shim,
        sandbox(shim.url) as (_, client),
    ):
        (run,) = run_all(client, ["bye"])
        calls = shim.calls()
    assert run["success"] is True
    assert [(m["role"], m["content"]) for m in calls[-1]["messages"]] == [
        ("user", "hello"),
        ("bot", "hello"),
        ("user", "Thank you, goodbye!"),
    ]


# -- item 6: causes reach the run's reason --------------------------------------------


def test_an_agent_process_exit_code_reaches_the_runs_reason_and_transcript() -> None:
    with (
        start_shim_in_thread(ShimConfig(f"exec:{EXIT_THREE}", port=0)) as shim,
        sandbox(shim.url) as (_, client),
    ):
        (run,) = run_all(client, ["expects"])
    reasons = [m["explanation"] for m in run["evaluation"]["metrics"] if not m["value"]]
    cause = "1011 agent error: agent process exited with code 3"
    assert any(cause in reason for reason in reasons), reasons
    assert cause in run["transcript"]


def test_a_plain_text_reply_is_named_as_the_cause_not_a_silent_timeout() -> None:
    async def plain_text_agent(ws) -> None:
        async for _ in ws:
            await ws.send("Hello! I speak plain text.")

    with agent_in_thread(plain_text_agent) as ws_url, sandbox(ws_url) as (_, client):
        (run,) = run_all(client, ["plain"])
    assert run["status"] == "failed"
    assert "not JSON ('Hello! I speak plain text.')" in run["error_message"]
    assert "did not reply to turn 1" in run["error_message"]


# -- item 7: turn timeouts ------------------------------------------------------------


def test_the_shims_fallback_reply_reaches_the_tester_in_a_local_run() -> None:
    suite = """
    agent: {id: 1, project: 1}
    defaults: {first_speaker: tester}
    scenarios:
      - name: Slow agent
        tags: [slow]
        turns: [{say: "3", expect: {reply_contains: "more time"}}]
    """
    shim_s, tester_s = 0.3, 4 * UNIT_S
    config = ShimConfig(f"{SHIM_SAMPLES}:slow", port=0, turn_timeout_s=shim_s)
    with (
        start_shim_in_thread(config) as shim,
        sandbox(shim.url, textwrap.dedent(suite), turn_timeout_s=tester_s) as (_, client),
    ):
        (run,) = run_all(client, ["slow"])
    replies = [e["content"] for e in run["transcript_object"] if e["role"] == "Main Agent"]
    assert replies[0] == FALLBACK_REPLY
    assert run["success"] is True, run["evaluation"]


def test_local_turn_timeouts_keep_the_shims_below_the_testers() -> None:
    assert turn_timeouts(None, None) == (20.0, 30.0)
    assert turn_timeouts(None, 9.0) == (6.0, 9.0)
    assert turn_timeouts(45.0, None) == (45.0, 67.5)
    assert turn_timeouts(1.0, 2.0) == (1.0, 2.0)
    for shim_s, tester_s in ((None, None), (None, 0.3), (100.0, None)):
        low, high = turn_timeouts(shim_s, tester_s)
        assert low < high


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--turn-timeout", "5"], "--turn-timeout is for --serve or --local runs"),
        (["--tester-turn-timeout", "5"], "--tester-turn-timeout is for --local runs"),
        (
            ["--local", "--turn-timeout", "30", "--tester-turn-timeout", "30"],
            "--turn-timeout 30 must be below --tester-turn-timeout 30",
        ),
    ],
)
def test_turn_timeout_flags_that_cannot_work_exit_2(cekura, tmp_path, args, message) -> None:
    done = cekura(["run", "--tag", "x", *args], cwd=tmp_path, env={"CEKURA_API_KEY": "sk_test_x"})
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_check_turn_timeouts_accepts_what_works() -> None:
    check_turn_timeouts(5.0, 10.0, local=True, serve=False)
    check_turn_timeouts(5.0, None, local=False, serve=True)
    check_turn_timeouts(None, None, local=False, serve=False)
