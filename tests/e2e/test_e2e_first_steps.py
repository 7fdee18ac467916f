"""A new user's first steps and interrupts, through the real CLI process (issue 10).

The README's ``ci_agent.py`` passes the scenario file shipped for it; ``--local`` checks
flags, config and the agent before it starts anything; an interrupted job counts the runs
it cut short instead of listing each as ``ERROR cancelled``.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
from e2e_helpers import cli_environment, interrupt_after_start, run_cli

from cekura_cli.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_AGENT = ROOT / "examples" / "ci_agent.py"
EXAMPLE_SUITE = ROOT / "examples" / "ci-agent-scenarios.yaml"
STARTED = ("shim serving", "local sandbox on")


def _local_env(**extra: str) -> dict[str, str]:
    env = cli_environment("http://unused.invalid", **extra)
    for name in ("CEKURA_API_KEY", "CEKURA_API_URL", "CEKURA_AGENT_ID"):
        env.pop(name)
    return env


def _readme_agent() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(# ci_agent\.py.*?)```", readme, re.S)
    assert block, "README.md lost its ci_agent.py example"
    return block.group(1)


def test_the_readme_agent_is_the_shipped_example():
    assert _readme_agent() == EXAMPLE_AGENT.read_text(encoding="utf-8")


def test_the_readme_agent_passes_its_scenario_file(tmp_path):
    done = run_cli(
        [
            "run",
            "--local",
            "--scenarios",
            str(EXAMPLE_SUITE),
            "--serve",
            f"{EXAMPLE_AGENT}:reply",
            "--tag",
            "smoke-test",
            "--json",
            "r.json",
        ],
        _local_env(),
        tmp_path,
    )
    assert done.returncode == ExitCode.OK, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["counts"]["total"] == 3 and report["counts"]["passed"] == 3


def test_the_bundled_suite_against_another_agent_says_why_it_fails(tmp_path):
    done = run_cli(
        ["run", "--local", "--serve", f"{EXAMPLE_AGENT}:reply", "--tag", "smoke-test"],
        _local_env(),
        tmp_path,
    )
    assert done.returncode == ExitCode.TEST_FAILURES
    assert "the bundled example suite is written for the 'booking' demo agent" in done.stderr
    assert "examples/ci-agent-scenarios.yaml" in done.stderr


def test_local_no_wait_is_refused_before_anything_starts(tmp_path):
    done = run_cli(["run", "--local", "--no-wait", "--tag", "smoke-test"], _local_env(), tmp_path)
    assert done.returncode == ExitCode.USAGE
    assert done.stderr.startswith("cekura: error: --no-wait cannot be used with --local")
    assert done.stdout == ""
    assert not any(word in done.stderr for word in STARTED)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("import sys\nsys.exit(3)\n", "it called sys.exit(3) while loading"),
        ("raise RuntimeError('no model file')\n", "RuntimeError: no model file"),
    ],
    ids=["sys.exit", "raises"],
)
def test_an_agent_that_exits_or_raises_while_loading_is_one_line_exit_2(tmp_path, body, expected):
    (tmp_path / "bad_agent.py").write_text(body + "def reply(h, c):\n    return 'x'\n")
    done = run_cli(
        ["run", "--local", "--serve", "bad_agent.py:reply", "--tag", "smoke-test"],
        _local_env(),
        tmp_path,
    )
    assert done.returncode == ExitCode.USAGE, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("cekura: error: --serve bad_agent.py:reply: cannot import agent")
    assert expected in first
    assert "Traceback" not in done.stderr


def test_local_checks_the_config_before_starting_the_shim_and_sandbox(tmp_path):
    (tmp_path / "cekura.toml").write_text("timeout = -5\n")
    done = run_cli(["run", "--local", "--tag", "smoke-test"], _local_env(), tmp_path)
    assert done.returncode == ExitCode.USAGE
    assert "invalid timeout" in done.stderr
    assert not any(word in done.stderr for word in STARTED)


def test_a_bad_setting_reads_without_pydantic_wrapper_words(tmp_path):
    done = run_cli(["run", "--local", "--tag", "x"], _local_env(CEKURA_DASHBOARD_URL="x"), tmp_path)
    assert done.returncode == ExitCode.USAGE
    assert "Value error" not in done.stderr
    assert "must start with http:// or https://" in done.stderr


def test_scenarios_list_works_offline(tmp_path):
    done = run_cli(["scenarios", "list", "--local", "--json", "-"], _local_env(), tmp_path)
    assert done.returncode == ExitCode.OK, done.stderr
    names = [s["name"] for s in json.loads(done.stdout)]
    assert "Greets and offers to book" in names

    done = run_cli(
        ["scenarios", "list", "--local", "--scenarios", str(EXAMPLE_SUITE), "-t", "smoke-test"],
        _local_env(COLUMNS="100"),
        tmp_path,
    )
    assert done.returncode == ExitCode.OK, done.stderr
    assert "3 scenarios" in done.stdout and "Ends the call on goodbye" in done.stdout


def test_scenarios_list_local_with_no_match_exits_5(tmp_path):
    done = run_cli(["scenarios", "list", "--local", "-t", "nope"], _local_env(), tmp_path)
    assert done.returncode == ExitCode.NO_SCENARIOS


def test_one_run_is_one_run(sandbox, tmp_path):
    handle = sandbox()
    done = run_cli(["run", "-s", "1", "--dry-run"], cli_environment(handle.url), tmp_path)
    assert "1 run would start" in done.stderr and "1 runs" not in done.stderr


@pytest.mark.parametrize("columns", ["80", "160"])
def test_an_interrupted_job_counts_what_it_cut_short(sandbox, tmp_path, columns):
    handle = sandbox(faults=["runs:never_finish"])
    code, stderr = interrupt_after_start(
        ["run", "-t", "critical", "--frequency", "40", "--json", "r.json"],
        cli_environment(handle.url, COLUMNS=columns),
        tmp_path,
        signal.SIGINT,
    )
    assert code == ExitCode.INTERRUPTED, stderr
    report = json.loads((tmp_path / "r.json").read_text())
    total = len(report["runs"])
    assert total == 120  # the JSON report still has every run
    assert f"{total} runs cut short (not listed)" in stderr
    assert "cancelled" not in stderr.split("calls ended")[-1]  # no ERROR cancelled rows
    assert len(stderr.splitlines()) < 20
    assert stderr.rstrip("\n").splitlines()[-1].startswith("FAILED: 0/120 passed")


def test_shim_serve_with_an_agent_that_exits_while_loading_is_one_line_exit_2(tmp_path):
    (tmp_path / "bad_agent.py").write_text("import sys\nsys.exit('no config')\n")
    done = run_cli(["shim", "serve", "bad_agent.py:reply", "--port", "0"], _local_env(), tmp_path)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.splitlines()[0] == (
        "cekura: error: cannot import agent 'bad_agent.py': "
        "it called sys.exit('no config') while loading"
    )
    assert "serving" not in done.stderr


def test_api_chat_names_serve_when_the_agent_fails_to_load(tmp_path):
    (tmp_path / "bad_agent.py").write_text("raise RuntimeError('no model file')\n")
    args = ["run", "--local", "--via", "api-chat", "--serve", "bad_agent.py:reply"]
    done = run_cli(
        [*args, "-t", "smoke-test"],
        _local_env(),
        tmp_path,
    )
    assert done.returncode == ExitCode.USAGE, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("cekura: error: ")]
    assert len(errors) == 1
    assert errors[0].startswith("cekura: error: --serve bad_agent.py:reply: cannot import agent")
    assert "RuntimeError: no model file" in errors[0]
