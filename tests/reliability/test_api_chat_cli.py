"""``cekura run --serve TARGET`` in API-chat mode through the real CLI process: no tunnel,
the documented exit codes, SIGINT / SIGTERM / ``--timeout`` ending every open chat and the
result, the agent's failure as the run's reason, and no secret on any channel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reliability_helpers import (
    API_KEY,
    POST_END_CALLS,
    SIGNALS,
    CliProcess,
    channel_texts,
    cli_environment,
    leaks,
    requests_to,
    run_cli,
    start_sandbox,
    unfinished_runs,
)

from cekura_cli.exit_codes import ExitCode

POST_CHAT = "POST /test_framework/v1/runs/{id}/chat/"
POST_END_CHAT = "POST /test_framework/v1/runs/{id}/end-chat/"
POST_API_CHAT_RUN = "POST /test_framework/v1/scenarios/run_scenarios_api_chat/"
POST_TEXT_RUN = "POST /test_framework/v1/scenarios/run_scenarios_text/"
AGENTS = (
    """\
def boom(history, context):
    if len(history) > 2:
        raise RuntimeError("the agent blew up")
    return "Hello! How can I help you book an appointment?" if not history else "ok"


def leaky(history, context):
    return "my key is """
    + API_KEY
    + """"
"""
)


@pytest.fixture
def chat_sandbox():
    handles = []

    def start(*faults: str):
        handle = start_sandbox(agent_url="ws://127.0.0.1:9", faults=faults)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def test_serve_without_public_url_runs_over_api_chat(chat_sandbox, tmp_path: Path) -> None:
    handle = chat_sandbox()
    args = ["run", "-t", "smoke-test", "--serve", "booking", "--transcripts", "t"]
    result = run_cli([*args, "--json", "r.json"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "API chat: booking plays the agent" in result.stderr
    assert requests_to(handle, POST_API_CHAT_RUN) == 1
    assert requests_to(handle, POST_TEXT_RUN) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["verdict"] == "passed" and report["counts"]["total"] == 3
    assert len(list((tmp_path / "t").glob("*.json"))) == 3


def test_an_agent_failure_is_that_runs_reason(chat_sandbox, tmp_path: Path) -> None:
    handle = chat_sandbox()
    (tmp_path / "agents.py").write_text(AGENTS)
    args = ["run", "-t", "smoke-test", "--serve", "agents.py:boom", "--json", "r.json"]
    result = run_cli(args, cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    errored = [run for run in report["runs"] if run["outcome"] == "error"]
    assert errored and all("agent error: RuntimeError" in run["reason"] for run in errored)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", list(SIGNALS.values()), ids=list(SIGNALS))
def test_a_signal_ends_every_open_chat_and_the_result(
    chat_sandbox, tmp_path: Path, signum: int
) -> None:
    handle = chat_sandbox("chat:slow_user:delay=60")
    args = ["run", "-t", "smoke-test", "--serve", "booking", "--json", "r.json"]
    with CliProcess(args, cli_environment(handle.url), tmp_path) as cli:
        runs = 3
        assert cli.wait_for(lambda: requests_to(handle, POST_CHAT) >= runs), cli.stderr
        cli.send(signum)
        code = cli.finish(timeout_s=30)
    assert code == ExitCode.INTERRUPTED, cli.stderr
    assert "ending every open chat" in cli.stderr and "Traceback" not in cli.stderr
    assert requests_to(handle, POST_END_CHAT) == runs
    assert requests_to(handle, POST_END_CALLS) == 1
    assert unfinished_runs(handle) == 0
    assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == ExitCode.INTERRUPTED


def test_timeout_ends_every_open_chat_and_exits_4(chat_sandbox, tmp_path: Path) -> None:
    handle = chat_sandbox("chat:slow_user:delay=60")
    args = ["run", "-t", "smoke-test", "--serve", "booking", "--timeout", "3", "--json", "r.json"]
    result = run_cli(args, cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.TIMEOUT, result.stderr
    assert requests_to(handle, POST_END_CHAT) == 3
    assert requests_to(handle, POST_END_CALLS) == 1
    assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == ExitCode.TIMEOUT


def test_an_agent_saying_the_key_leaks_it_nowhere(chat_sandbox, tmp_path: Path) -> None:
    handle = chat_sandbox()
    (tmp_path / "agents.py").write_text(AGENTS)
    args = ["--verbose", "run", "-t", "smoke-test", "--serve", "agents.py:leaky"]
    args += ["--transcripts", "t", "--json", "r.json", "--junit-xml", "j.xml"]
    result = run_cli(args, cli_environment(handle.url), tmp_path)
    assert result.returncode in (ExitCode.OK, ExitCode.TEST_FAILURES), result.stderr
    outputs = [tmp_path / "t", tmp_path / "r.json", tmp_path / "j.xml"]
    texts = {"stdout": result.stdout, "stderr": result.stderr, **channel_texts(outputs)}
    assert len(texts) == 2 + 3 + 2  # three transcripts, the JSON report, the JUnit file
    assert any("my key is" in text for text in texts.values())  # the agent did say it
    found = {name: leaks(text, API_KEY) for name, text in texts.items()}
    assert {name: pieces for name, pieces in found.items() if pieces} == {}


def test_local_via_api_chat_runs_the_same_path_offline(tmp_path: Path) -> None:
    env = cli_environment("http://127.0.0.1:9")
    env.pop("CEKURA_API_URL")
    args = ["run", "--local", "--via", "api-chat", "-t", "smoke-test", "--json", "r.json"]
    result = run_cli(args, env, tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    assert "shim serving" not in result.stderr  # nothing listens: the CLI plays the agent
    assert json.loads((tmp_path / "r.json").read_text())["counts"]["passed"] == 3


def test_an_agent_with_no_opening_line_is_told_so(tmp_path: Path) -> None:
    env = cli_environment("http://127.0.0.1:9")
    env.pop("CEKURA_API_URL")
    args = ["run", "--local", "--via", "api-chat", "--serve", "echo", "-t", "smoke-test"]
    result = run_cli([*args, "--json", "r.json"], env, tmp_path)
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert {run["reason"] for run in report["runs"]} == {"the agent has no opening line"}


def test_dry_run_shows_the_api_chat_request_and_starts_nothing(chat_sandbox, tmp_path) -> None:
    handle = chat_sandbox()
    args = ["run", "-t", "smoke-test", "--serve", "echo", "--concurrency", "4", "--dry-run"]
    result = run_cli(
        [*args, "--timeout", "600", "--json", "-"], cli_environment(handle.url), tmp_path
    )
    assert result.returncode == ExitCode.OK, result.stderr
    body = json.loads(result.stdout)["request"]
    assert body["timeout"] == 600 and "concurrency_limit" not in body
    assert "websocket_url" not in body
    assert requests_to(handle, POST_API_CHAT_RUN) == 0


def test_a_bad_target_is_exit_2_before_anything_starts(chat_sandbox, tmp_path) -> None:
    handle = chat_sandbox()
    (tmp_path / "broken.py").write_text("raise SystemExit('no config file')\n")
    for target in ("missing.py:reply", "broken.py:reply"):
        args = ["run", "-t", "smoke-test", "--serve", target]
        result = run_cli(args, cli_environment(handle.url), tmp_path)
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("cekura: error: ")
    assert requests_to(handle, POST_API_CHAT_RUN) == 0
