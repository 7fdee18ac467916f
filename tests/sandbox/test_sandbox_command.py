"""`cekura sandbox serve`: options, errors (exit 2), and a real process stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from sandbox_helpers import UNIT_S, watchdog
from typer.testing import CliRunner

from cekura_cli.commands.sandbox import app
from cekura_cli.errors import ConfigError
from cekura_cli.exit_codes import ExitCode

SERVE = [sys.executable, "-c", "from cekura_cli.commands.sandbox import app; app()", "serve"]


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--scenarios",
        "--agent-websocket-url",
        "--secret-env",
        "--api-key-env",
        "--fault",
    ):
        assert option in result.output


def test_a_bad_scenario_file_is_a_config_error_with_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("scenarios:\n  - name: x\n    turns: [{say: hi, expect: {nope: 1}}]\n")
    result = CliRunner().invoke(app, ["serve", "--port", "0", "--scenarios", str(bad)])
    assert isinstance(result.exception, ConfigError)
    assert result.exception.exit_code == ExitCode.USAGE
    assert result.exception.message.startswith(f"{bad}:3: scenarios[0].turns[0].expect.nope: ")


def test_a_bad_fault_spec_is_a_config_error() -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "0", "--fault", "GET results:teapot"])
    assert isinstance(result.exception, ConfigError)
    assert "unknown action 'teapot'" in result.exception.message


def test_serve_runs_until_sigterm_and_exits_0(tmp_path: Path) -> None:
    (tmp_path / "cekura-scenarios.yaml").write_text(
        "scenarios:\n  - {name: One, tags: [a], turns: [{say: hi}]}\n"
        "  - {name: Two, tags: [b], turns: [{say: hi}]}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEKURA_")}
    env["SANDBOX_TEST_KEY"] = "serve-test-key-77"
    process = subprocess.Popen(
        [
            *SERVE,
            "--port",
            "0",
            "--api-key-env",
            "SANDBOX_TEST_KEY",
            "--fault",
            "GET scenarios:503:times=1",
        ],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        with watchdog(process):
            line = process.stderr.readline()  # the banner (EOF if it crashed)
        found = re.fullmatch(
            r"cekura sandbox: serving on (http://127\.0\.0\.1:\d+) \(2 scenarios\)\n", line
        )
        assert found, line
        url = found.group(1)
        headers = {"X-CEKURA-API-KEY": "serve-test-key-77"}
        with httpx.Client(base_url=url, headers=headers, timeout=UNIT_S) as client:
            assert client.get("/test_framework/v1/scenarios/").status_code == 503
            page = client.get("/test_framework/v1/scenarios/", params={"tags": "b"}).json()
            assert [s["name"] for s in page["results"]] == ["Two"]
            wrong = client.get("/test_framework/v1/scenarios/", headers={"X-CEKURA-API-KEY": "no"})
            assert wrong.status_code == 401
        stats = httpx.get(f"{url}/_sandbox/stats", timeout=UNIT_S).json()
        assert stats["faults_fired"] == {"GET scenarios:503:times=1": 1}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=2 * UNIT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=UNIT_S)


def test_serve_stops_on_sigint_too() -> None:
    process = subprocess.Popen(
        [*SERVE, "--port", "0"],
        env={k: v for k, v in os.environ.items() if not k.startswith("CEKURA_")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        with watchdog(process):
            assert "cekura sandbox: serving on" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=2 * UNIT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=UNIT_S)


def test_importing_the_command_and_the_package_stays_light() -> None:
    """`cekura --help` must stay fast: nothing heavy at import time."""
    code = (
        "import sys, cekura_cli.commands.sandbox, cekura_cli.sandbox\n"
        "heavy = ('pydantic', 'yaml', 'websockets', 'httpx', 'rich')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=2 * UNIT_S, check=True
    )
    assert done.stdout.strip() == "[]"


def test_through_the_cekura_entry_point_a_bad_file_exits_2(cekura, tmp_path: Path) -> None:
    bad = tmp_path / "cekura-scenarios.yaml"
    bad.write_text("scenarios:\n  - name: x\n    turns: [{say: hi}]\n    tag: [a]\n")
    done = cekura(["sandbox", "serve", "--port", "0"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "cekura: error: cekura-scenarios.yaml:4: scenarios[0].tag: unknown field 'tag'; "
        "did you mean 'tags'?"
    )
