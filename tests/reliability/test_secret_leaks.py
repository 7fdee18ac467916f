"""The API key and the WebSocket secret never leave the process in clear, on any channel.

Each run uses a distinctive key and secret and turns every channel on: stdout, stderr
with ``--verbose`` debug logs, ``--json``, ``--junit-xml``, ``--html``, the GitHub step
summary and outputs, and the shim's transcript files (``--serve`` with the secret checked). Then
every byte written is searched for any 8 characters in a row of either secret (a mask
shows at most the last 4), and for their base64 form (see ``leaks``).

Passing, failing, refused (wrong WebSocket secret) and rejected (wrong API key) runs,
and ``cekura shim serve`` answering right and wrong secrets and ``GET /calls``, must be
clean; so must a hostile conversation in which the tester *says* both secrets and the
agent repeats them (what an agent dumping its environment would produce), including
the service's explanation that quotes the secret cut short. The last two leaked when
this suite was written (see docs/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import (
    API_KEY,
    WEBSOCKET_SECRET,
    CliProcess,
    channel_texts,
    cli_environment,
    free_port,
    leaks,
    run_cli,
    start_sandbox,
)

from cekura_cli.exit_codes import ExitCode

SECRETS = {"API key": API_KEY, "WebSocket secret": WEBSOCKET_SECRET}


def find_leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    """``{"<channel>: <secret name>": [pieces found]}`` for every leak (empty: clean)."""
    found = {}
    for channel, text in texts.items():
        for name, secret in SECRETS.items():
            pieces = leaks(text, secret)
            if pieces:
                found[f"{channel}: {name}"] = pieces
    return found


def run_with_every_channel(
    sandbox_url: str, workdir: Path, target: str, *, api_key: str = API_KEY
) -> tuple[Any, dict[str, str]]:
    """``cekura --verbose run --serve TARGET …`` with every output on; (result, channels)."""
    port = free_port()
    env = cli_environment(
        sandbox_url,
        api_key=api_key,
        CEKURA_WEBSOCKET_SECRET=WEBSOCKET_SECRET,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(workdir / "step-summary.md"),
        GITHUB_OUTPUT=str(workdir / "github-output.txt"),
    )
    args = [
        "--verbose",
        "run",
        "--serve",
        target,
        "--serve-port",
        str(port),
        "--public-url",
        f"ws://127.0.0.1:{port}",
        "--transcripts",
        "transcripts",
        "--all",
        "--json",
        "report.json",
        "--junit-xml",
        "junit.xml",
        "--html",
        "report.html",
    ]
    result = run_cli(args, env, workdir)
    texts = {"stdout": result.stdout, "stderr": result.stderr, **channel_texts([workdir])}
    return result, texts


def assert_every_channel_written(workdir: Path, result: Any, runs: int) -> None:
    """The channels really carried something (a leak test of empty files proves nothing)."""
    report = json.loads((workdir / "report.json").read_text())
    assert report["counts"]["total"] == runs
    assert "<testsuite" in (workdir / "junit.xml").read_text()
    assert 'class="run ' in (workdir / "report.html").read_text()
    assert (workdir / "step-summary.md").read_text().strip()
    assert "result_id=" in (workdir / "github-output.txt").read_text()
    assert len(list((workdir / "transcripts").glob("*.json"))) == runs
    assert "cekura_cli.api: GET" in result.stderr  # the --verbose debug log is on


@pytest.mark.parametrize(
    ("target", "exit_code"),
    [("booking", ExitCode.OK), ("echo", ExitCode.TEST_FAILURES)],
    ids=["passing", "failing"],
)
def test_a_served_run_leaks_no_secret_on_any_channel(
    sandbox, tmp_path: Path, target: str, exit_code: ExitCode
) -> None:
    handle = sandbox(api_key=API_KEY, websocket_secret=WEBSOCKET_SECRET)
    result, texts = run_with_every_channel(handle.url, tmp_path, target)
    assert result.returncode == exit_code, result.stderr
    assert_every_channel_written(tmp_path, result, handle.stats()["runs_created"])
    assert find_leaks(texts) == {}


def test_a_refused_websocket_secret_leaks_neither_secret(sandbox, tmp_path: Path) -> None:
    handle = sandbox(api_key=API_KEY, websocket_secret="not-the-shims-secret-at-all")
    result, texts = run_with_every_channel(handle.url, tmp_path, "booking")
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["counts"]["errored"] == report["counts"]["total"]  # 1008 on every call
    assert all("1008" in run["reason"] for run in report["runs"])
    assert find_leaks(texts) == {}


def test_a_rejected_api_key_leaks_neither_secret(sandbox, tmp_path: Path) -> None:
    handle = sandbox(api_key="the-key-the-service-expects")
    result, texts = run_with_every_channel(handle.url, tmp_path, "booking")
    assert result.returncode == ExitCode.SERVICE, result.stderr
    assert "rejected" in result.stderr and "Traceback" not in result.stderr
    assert find_leaks(texts) == {}


# --- cekura shim serve ----------------------------------------------------------------------


async def talk_to_the_shim(ws_url: str) -> dict[str, Any]:
    """Wrong secret, no secret, right secret (one turn), then GET /calls three ways."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    seen: dict[str, Any] = {}
    for label, headers in (("wrong", {"X-VOCERA-SECRET": "wrong-secret-123"}), ("none", {})):
        async with connect(ws_url, additional_headers=headers, open_timeout=5) as ws:
            with contextlib.suppress(ConnectionClosed):  # expected: closed with 1008
                await asyncio.wait_for(ws.recv(), 5)
            seen[f"close_{label}"] = ws.close_code
    headers = {"X-VOCERA-SECRET": WEBSOCKET_SECRET, "X-VOCERA-RUN-ID": "run-7"}
    async with connect(ws_url, additional_headers=headers, open_timeout=5) as ws:
        await ws.send(json.dumps({"content": "hello there"}))
        seen["reply"] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        await ws.send(json.dumps({"type": "end_call"}))
    calls_url = ws_url.replace("ws://", "http://") + "/calls"
    async with httpx.AsyncClient(timeout=5) as client:
        for label, auth in (
            ("none", {}),
            ("wrong", {"Authorization": "Bearer wrong-secret-123"}),
            ("right", {"Authorization": f"Bearer {WEBSOCKET_SECRET}"}),
        ):
            for _ in range(100):  # the transcript is saved just after the close
                response = await client.get(calls_url, headers=auth)
                if label != "right" or response.json():
                    break
                await asyncio.sleep(0.05)
            seen[f"calls_{label}"] = (response.status_code, response.text)
    return seen


def test_shim_serve_never_shows_its_secret(tmp_path: Path) -> None:
    env = cli_environment("http://127.0.0.1:9", CEKURA_WEBSOCKET_SECRET=WEBSOCKET_SECRET)
    args = ["--verbose", "shim", "serve", "echo", "--port", "0", "--transcripts", "transcripts"]
    with CliProcess(args, env, tmp_path) as shim:
        assert shim.wait_for_stderr("serving echo on ", timeout_s=30), shim.stderr
        match = re.search(r"on (ws://\S+)", shim.stderr)
        assert match is not None and "(auth: on)" in shim.stderr
        seen = asyncio.run(asyncio.wait_for(talk_to_the_shim(match.group(1)), 30))
        shim.send(signal.SIGTERM)
        assert shim.finish(timeout_s=30) == 0, shim.stderr
    assert seen["close_wrong"] == seen["close_none"] == 1008
    assert seen["reply"] == {"content": "hello there"}
    assert seen["calls_none"][0] == seen["calls_wrong"][0] == 401
    status, body = seen["calls_right"]
    assert status == 200 and json.loads(body), body
    texts = {
        "stderr": shim.stderr,
        "stdout": shim.stdout,
        **{f"GET /calls ({k})": v[1] for k, v in seen.items() if k.startswith("calls_")},
        **channel_texts([tmp_path / "transcripts"]),
    }
    assert len(texts) == 6  # stderr, stdout, three /calls answers, one transcript file
    assert find_leaks(texts) == {}


# --- a hostile conversation ------------------------------------------------------------------

HOSTILE_SUITE = f"""\
version: 1
defaults:
  first_speaker: tester
scenarios:
  - name: Repeats what it hears
    turns:
      - say: "my key is {API_KEY} and my secret is {WEBSOCKET_SECRET}"
        expect:
          reply_contains: "something else"
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One failing run in which the tester says both secrets and the echo agent repeats
    them: what an agent that dumps its environment would produce."""
    suite = tmp_path_factory.mktemp("suite") / "hostile.yaml"
    suite.write_text(HOSTILE_SUITE)
    workdir = tmp_path_factory.mktemp("hostile")
    sandbox = start_sandbox(
        agent_url="ws://127.0.0.1:9", websocket_secret=WEBSOCKET_SECRET, suite_path=suite
    )
    with sandbox as handle:
        result, texts = run_with_every_channel(handle.url, workdir, "echo")
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    assert_every_channel_written(workdir, result, 1)
    yield texts


def test_a_hostile_conversation_leaves_the_reports_masked(hostile_run: dict[str, str]) -> None:
    report = next(text for name, text in hostile_run.items() if name.endswith("report.json"))
    assert "****" in report  # the secrets were there, and were masked
    assert API_KEY not in report and WEBSOCKET_SECRET not in report


def test_a_secret_cut_short_by_the_service_is_still_masked(hostile_run: dict[str, str]) -> None:
    reports = {k: v for k, v in hostile_run.items() if "transcripts" not in k}
    assert find_leaks(reports) == {}


def test_transcript_files_mask_secrets_said_in_the_conversation(
    hostile_run: dict[str, str],
) -> None:
    transcripts = {k: v for k, v in hostile_run.items() if "transcripts" in k}
    assert transcripts
    assert find_leaks(transcripts) == {}


# --- cekura agent show / connect and cekura doctor ------------------------------------------

PROVIDER_KEY = "pk_test_Pr0vider_Reliab1lity_77aa88bb99cc"
LEAKY_AGENT = """\
import os


def reply(history, context):
    secret = os.environ.get("CEKURA_WEBSOCKET_SECRET", "")
    key = os.environ.get("CEKURA_API_KEY", "")
    return f"my secret is {secret}, the key is {key}; you said {history[-1:]}"
"""


def find_all_leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    found = find_leaks(texts)
    for channel, text in texts.items():
        pieces = leaks(text, PROVIDER_KEY)
        if pieces:
            found[f"{channel}: provider key"] = pieces
    return found


def test_agent_connect_and_show_never_show_the_provider_key_or_the_secret(
    sandbox, tmp_path: Path
) -> None:
    handle = sandbox(api_key=API_KEY)
    env = cli_environment(
        handle.url, VAPI_API_KEY=PROVIDER_KEY, CEKURA_WEBSOCKET_SECRET=WEBSOCKET_SECRET
    )
    commands = {
        "vapi dry run": ["agent", "connect", "--provider", "vapi", "--assistant-id", "a1",
                         "--dry-run", "--json", "vapi-dry.json"],
        "vapi": ["agent", "connect", "--provider", "vapi", "--assistant-id", "a1",
                 "--json", "vapi.json"],
        "websocket dry run": ["agent", "connect", "--provider", "websocket", "--url",
                              "wss://agent.example/ws", "--secret-env", "CEKURA_WEBSOCKET_SECRET",
                              "--dry-run"],
        "websocket": ["agent", "connect", "--provider", "websocket", "--url",
                      "ws://127.0.0.1:9/ws", "--secret-env", "CEKURA_WEBSOCKET_SECRET"],
        "show": ["agent", "show", "--json", "-"],
        "show text": ["agent", "show"],
    }  # fmt: skip
    texts: dict[str, str] = {}
    for label, args in commands.items():
        result = run_cli(["--verbose", *args], env, tmp_path)
        assert result.returncode == ExitCode.OK, (label, result.stderr)
        texts[f"{label}: stdout"] = result.stdout
        texts[f"{label}: stderr"] = result.stderr
    assert "cekura_cli.api: PATCH" in texts["vapi: stderr"]  # the debug log was on
    assert "****" in texts["websocket dry run: stderr"]  # the secret was there, masked
    assert '"websocket_secret": "configured"' in texts["show: stdout"]
    texts.update(channel_texts([tmp_path / "vapi-dry.json", tmp_path / "vapi.json"]))
    assert find_all_leaks(texts) == {}


def test_doctor_leaks_no_secret_even_when_the_agent_says_them(sandbox, tmp_path: Path) -> None:
    (tmp_path / "leaky.py").write_text(LEAKY_AGENT)
    handle = sandbox(api_key=API_KEY)
    env = cli_environment(handle.url, CEKURA_WEBSOCKET_SECRET=WEBSOCKET_SECRET)
    runs = {
        "serve": (["doctor", "--serve", "leaky.py:reply", "--json", "serve.json"], 0),
        "local": (["doctor", "--local", "--serve", "leaky.py:reply", "--json", "-"], 0),
        "wrong key": (["doctor", "--json", "-"], 1),
    }
    texts: dict[str, str] = {}
    for label, (args, code) in runs.items():
        run_env = (
            dict(env, CEKURA_API_KEY="sk_test_wrong_key_Reliab1lity_00")
            if (label == "wrong key")
            else env
        )
        result = run_cli(["--verbose", *args], run_env, tmp_path)
        assert result.returncode == code, (label, result.stderr)
        texts[f"{label}: stdout"] = result.stdout
        texts[f"{label}: stderr"] = result.stderr
    assert "my secret is ****" in texts["serve: stderr"]  # the agent said it; it was masked
    assert "the key is ****" in texts["local: stdout"]
    texts.update(channel_texts([tmp_path / "serve.json"]))
    assert find_all_leaks(texts) == {}


def test_a_local_run_masks_the_real_key_when_the_agent_quotes_it(tmp_path: Path) -> None:
    """--local talks to its sandbox with a throw-away key; the real one from the
    environment must still be masked when an agent dumps its environment."""
    (tmp_path / "leaky.py").write_text(LEAKY_AGENT)
    env = cli_environment("http://127.0.0.1:9", CEKURA_WEBSOCKET_SECRET=WEBSOCKET_SECRET)
    args = ["run", "--local", "--serve", "leaky.py:reply", "--tag", "smoke-test",
            "--json", "report.json", "--transcripts", "transcripts"]  # fmt: skip
    result = run_cli(args, env, tmp_path)
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    texts = {"stdout": result.stdout, "stderr": result.stderr, **channel_texts([tmp_path])}
    assert any("the key is ****" in text for text in texts.values())
    texts.pop(str(tmp_path / "leaky.py"), None)
    assert find_leaks(texts) == {}
