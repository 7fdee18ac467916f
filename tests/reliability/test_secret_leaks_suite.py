"""`cekura run --suite`: a service that echoes the API key (in its 400 problems, in a dry
run's plan) or hostile text never gets either printed in clear, on stdout or stderr."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx
from reliability_helpers import API_KEY, leaks

from cekura_cli.cli import run_cli
from cekura_cli.exit_codes import ExitCode

BASE = "https://api.example.test"
PATH = "/test_framework/v1/scenarios/run_scenarios_json/"
SUITE = """\
version: "1"
scenarios:
  - key: one
    name: One
    instructions: Say hi.
"""
HOSTILE = f"\x1b]0;pwned\x07\x1b[31m{API_KEY}\n::error::injected"


@pytest.fixture
def suite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CEKURA_API_KEY", API_KEY)
    monkeypatch.setenv("CEKURA_API_URL", BASE)
    monkeypatch.setenv("CEKURA_AGENT_ID", "1")
    monkeypatch.setenv("CI", "true")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE, encoding="utf-8")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run_cli(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_echoed_keys_in_400_problems_are_masked(suite_env: Path, capsys) -> None:
    problems = {"errors": {"scenarios[0].name": [HOSTILE], "agent_id": [f"key {API_KEY}"]}}
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/test_framework/v1/aiagents/1/").mock(
            return_value=httpx.Response(200, json={"id": 1, "project": 3})
        )
        route = router.post(PATH).mock(return_value=httpx.Response(400, json=problems))
        code, output = _run(["run", "--suite", str(suite_env)], capsys)
    assert code == ExitCode.USAGE, output
    assert route.call_count == 1
    assert "suite.yaml:4: scenarios[0].name:" in output
    assert leaks(output, API_KEY) == []
    assert "\x1b" not in output and "\x07" not in output
    assert not any(line.startswith("::error::injected") for line in output.splitlines())


def test_a_dry_run_plan_echoing_the_key_is_masked(suite_env: Path, capsys) -> None:
    plan = {
        "dry_run": True,
        "valid": True,
        "plan": {"total_runs": 1, "estimated_cost": 0.35, "currency": HOSTILE},
    }
    with respx.mock(base_url=BASE) as router:
        router.post(PATH).mock(return_value=httpx.Response(200, json=plan))
        code, output = _run(["run", "--suite", str(suite_env), "--dry-run", "--json", "-"], capsys)
    assert code == ExitCode.OK, output
    assert "0.35" in output
    assert leaks(output, API_KEY) == []
    assert "\x1b" not in output
    assert not any(line.startswith("::error::injected") for line in output.splitlines())
