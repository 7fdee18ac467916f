"""``cekura shim serve``: through typer's CliRunner and as a real process (SIGTERM drain)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cekura_cli.commands.shim import app
from cekura_cli.errors import UsageError

UNIT = 10.0
SECRET = "cmd-s3cret-Value-42ab"
ENTRY = "import sys; from cekura_cli.cli import run_cli; sys.exit(run_cli(sys.argv[1:]))"


def test_help_lists_the_options():
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--secret-env",
        "--transcripts",
        "--max-conversations",
        "--turn-timeout",
    ):
        assert option in result.output


def test_bad_target_is_a_usage_error():
    result = CliRunner().invoke(app, ["serve", "no-such-agent"])
    assert isinstance(result.exception, UsageError)
    assert result.exception.exit_code == 2
    assert "unknown agent TARGET" in str(result.exception)


def test_port_in_use_is_a_usage_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "echo", "--port", str(port)])
    assert isinstance(result.exception, UsageError)
    assert str(result.exception) == f"port {port} on 127.0.0.1 is already in use"


def run_entry(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        timeout=UNIT * 3,
        env=env,
    )


def test_bad_target_exits_2_through_the_cli():
    result = run_entry("shim", "serve", "nope")
    assert result.returncode == 2
    assert "unknown agent TARGET 'nope'" in result.stderr


def start_process(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "MY_SHIM_SECRET": SECRET}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ENTRY,
            "shim",
            "serve",
            *args,
            "--port",
            "0",
            "--secret-env",
            "MY_SHIM_SECRET",
            "--transcripts",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.fullmatch(
        r"cekura shim: serving (\S+) on (ws://127\.0\.0\.1:\d+) \(auth: on\)\n", line
    )
    if not match:
        proc.kill()
        raise AssertionError(f"unexpected first line: {line!r}")
    return proc, match.group(2)


def test_sigterm_drains_open_conversations_and_exits_0(tmp_path):
    proc, url = start_process(tmp_path, "booking")
    try:

        async def scenario():
            headers = {"X-VOCERA-SECRET": SECRET, "X-VOCERA-RUN-ID": "5"}
            async with connect(url, additional_headers=headers) as ws:
                greeting = json.loads(await asyncio.wait_for(ws.recv(), UNIT))
                await ws.send(json.dumps({"content": "book an appointment tomorrow"}))
                for _ in range(3):
                    await asyncio.wait_for(ws.recv(), UNIT)
                proc.send_signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed) as info:
                    await asyncio.wait_for(ws.recv(), UNIT)
                return greeting, info.value.rcvd

        greeting, close = asyncio.run(scenario())
        rest = proc.communicate(timeout=UNIT)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert greeting["content"].startswith("Hello!")
    assert (close.code, close.reason) == (1001, "server shutting down")
    assert proc.returncode == 0
    assert SECRET not in rest
    (path,) = tmp_path.iterdir()
    doc = json.loads(path.read_text())
    assert doc["ended_by"] == "server_shutdown"
    assert doc["run_id"] == "5"
    assert [e["role"] for e in doc["transcript_object"]] == [
        "Main Agent",
        "Testing Agent",
        "Function Call",
        "Function Call Result",
        "Main Agent",
    ]


def test_sigint_with_nothing_open_exits_0_and_keeps_finished_transcripts(tmp_path):
    proc, url = start_process(tmp_path, "echo")
    try:

        async def scenario():
            async with connect(url, additional_headers={"X-VOCERA-SECRET": SECRET}) as ws:
                await ws.send(json.dumps({"content": "hi"}))
                await asyncio.wait_for(ws.recv(), UNIT)

        asyncio.run(scenario())
        deadline = time.monotonic() + UNIT
        while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=UNIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    (path,) = tmp_path.iterdir()
    assert json.loads(path.read_text())["ended_by"] == "disconnect"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_the_secret_is_not_in_the_agents_environment(tmp_path):
    """The command reads the secret, then removes it from the environment agents see."""
    agent = tmp_path / "env_agent.py"
    agent.write_text(
        "import os\n"
        "def reply(history, context):\n"
        "    if not history:\n"
        "        return None\n"
        "    return str(os.environ.get('MY_SHIM_SECRET'))\n"
    )
    out = tmp_path / "out"
    proc, url = start_process(out, f"{agent}:reply")
    try:

        async def scenario():
            async with connect(url, additional_headers={"X-VOCERA-SECRET": SECRET}) as ws:
                await ws.send(json.dumps({"content": "env?"}))
                return json.loads(await asyncio.wait_for(ws.recv(), UNIT))

        reply = asyncio.run(scenario())
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=UNIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert reply == {"content": "None"}
