"""API chat end to end on loopback: the real sandbox (its scripted tester plays the
simulated user), the real HTTP client and the shim's adapters, with faults injected."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from apichat_helpers import TURNS, drive, start_chat_sandbox, write_agents


@pytest.fixture
def sandbox(tmp_path: Path):
    handles = []

    def start(*faults: str):
        handle = start_chat_sandbox(tmp_path, faults)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def assert_all_passed(driven) -> None:
    assert {run.status.value for run in driven.runs.values()} == {"completed"}
    assert all(run.success for run in driven.runs.values()), driven.runs
    assert driven.pool.failures() == {}


def content_submits(driven) -> list[int]:
    return sorted(chat["content_submits"] for chat in driven.chats.values())


def test_echo_passes_every_scenario_with_one_request_in_flight(sandbox, tmp_path: Path) -> None:
    driven = drive(sandbox(), "echo", transcripts=tmp_path / "transcripts", frequency=3)
    assert_all_passed(driven)
    assert len(driven.runs) == 6
    assert max(driven.transport.max_in_flight.values()) == 1
    assert content_submits(driven) == sorted(list(TURNS.values()) * 3)
    files = list((tmp_path / "transcripts").glob("*.json"))
    assert len(files) == 6
    doc = json.loads(files[0].read_text())
    assert doc["transcript_object"][0]["role"] == "Testing Agent"
    assert doc["ended_by"] == "tester"


def test_a_submit_recorded_then_dropped_is_never_sent_again(sandbox) -> None:
    driven = drive(sandbox("POST chat:drop_after_read:nth=2"), "echo", concurrency=1)
    assert_all_passed(driven)
    assert driven.stats["faults_fired"] == {"POST chat:drop_after_read:nth=2": 1}
    assert content_submits(driven) == sorted(TURNS.values())  # not one submit more


def test_a_submit_refused_with_503_before_it_was_recorded_is_sent_once_more(sandbox) -> None:
    driven = drive(sandbox("POST chat:503:nth=1"), "echo", concurrency=1)
    assert_all_passed(driven)
    assert content_submits(driven) == sorted(TURNS.values())
    assert driven.transport.requests["POST"] == sum(TURNS.values()) + 1


def test_429_with_retry_after_and_503_polls_are_ridden_out(sandbox) -> None:
    driven = drive(
        sandbox("POST chat:429:retry_after=0.2:times=2", "GET chat_turn:503:times=3"), "echo"
    )
    assert_all_passed(driven)
    assert content_submits(driven) == sorted(TURNS.values())
    fired = driven.stats["faults_fired"]
    assert fired["POST chat:429:retry_after=0.2:times=2"] == 2
    assert fired["GET chat_turn:503:times=3"] == 3


def test_a_slow_simulated_user_is_polled_until_ready(sandbox) -> None:
    driven = drive(sandbox("chat:slow_user:delay=1"), "echo")
    assert_all_passed(driven)
    # each conversation's first reply is polled on the fixed schedule (50 ms, 100 ms, …):
    # seen generating at least once before it was ready
    assert all(chat["polls_per_turn"][0] >= 2 for chat in driven.chats.values())


def test_an_error_turn_is_resubmitted_once(sandbox) -> None:
    driven = drive(sandbox("chat:error:nth=1"), "echo", concurrency=1)
    assert_all_passed(driven)
    assert sorted(c["content_submits"] for c in driven.chats.values()) == [2, 4]


def test_replies_that_always_fail_end_that_chat_with_the_reason(sandbox) -> None:
    driven = drive(sandbox("chat:error"), "echo")
    failures = driven.pool.failures()
    assert len(failures) == 2
    assert all("failed twice" in cause for cause in failures.values())
    assert all(run.status.value == "failed" for run in driven.runs.values())


@pytest.mark.parametrize(
    ("target", "cause"),
    [
        ("agents.py:boom", "agent error: ValueError"),
        ("agents.py:hang", "turn timeout"),
    ],
)
def test_an_agent_that_fails_ends_only_its_own_conversation(
    sandbox, tmp_path: Path, monkeypatch, target: str, cause: str
) -> None:
    write_agents(tmp_path)
    monkeypatch.chdir(tmp_path)
    driven = drive(sandbox(), target, turn_timeout_s=1.0)
    failures = driven.pool.failures()
    (failed_run,) = failures
    assert cause in failures[failed_run]
    assert driven.runs[failed_run].status.value == "failed"
    others = [run for run_id, run in driven.runs.items() if run_id != failed_run]
    assert others and all(run.success for run in others)


def test_an_agent_process_that_exits_ends_its_conversations(sandbox) -> None:
    driven = drive(sandbox(), "exec:python3 -c 'import sys; sys.exit(3)'")
    failures = driven.pool.failures()
    assert len(failures) == 2
    assert all("exited with code 3" in cause for cause in failures.values()), failures


def test_hostile_agent_text_is_kept_verbatim_in_the_transcript(
    sandbox, tmp_path: Path, monkeypatch
) -> None:
    write_agents(tmp_path)
    monkeypatch.chdir(tmp_path)
    driven = drive(sandbox(), "agents.py:hostile", transcripts=tmp_path / "t")
    assert len(driven.runs) == 2
    doc = json.loads(next((tmp_path / "t").glob("*.json")).read_text())
    said = [e["content"] for e in doc["transcript_object"] if e["role"] == "Main Agent"]
    assert said and all("::error::pwned" in text for text in said)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_at_most_concurrency_conversations_are_driven_at_once(
    sandbox, tmp_path: Path, monkeypatch, concurrency: int
) -> None:
    write_agents(tmp_path)
    monkeypatch.chdir(tmp_path)
    driven = drive(sandbox(), "agents.py:counted", concurrency=concurrency, frequency=3)
    assert_all_passed(driven)
    module = driven.pool.agent._fn.__globals__  # the loaded agents.py
    assert 1 <= module["busy"]["max"] <= concurrency
    if concurrency > 1:
        assert module["busy"]["max"] > 1  # the limit, not the driver, held it down


class _TurnHandler(BaseHTTPRequestHandler):
    """An HTTP agent (docs/shim.md): echoes each message event, 500 for "beta"."""

    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        content = event.get("content")
        status, body = 200, b""
        if event["event"] == "message" and content == "beta":
            status = 500
        elif event["event"] == "message":
            body = json.dumps([{"content": content, "metadata": {"run": event["run_id"]}}])
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_http_agent_is_driven_through_the_shims_http_adapter(sandbox, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TurnHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/turn"
        driven = drive(sandbox(), url, transcripts=tmp_path / "t")
    finally:
        server.shutdown()
        server.server_close()
    failures = driven.pool.failures()
    assert list(failures.values()) == ["agent error: HTTP agent answered 500"]
    passed = [run for run in driven.runs.values() if run.success]
    assert len(passed) == 1
    docs = [json.loads(f.read_text()) for f in (tmp_path / "t").glob("*.json")]
    assert {doc["metadata"].get("run") for doc in docs} == {doc["run_id"] for doc in docs}
