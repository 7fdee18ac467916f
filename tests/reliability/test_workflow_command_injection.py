"""Hostile text from a real agent and a real scenario file never becomes an Actions command.

A real ``cekura run --local --serve hostile_agent.py:reply`` under ``GITHUB_ACTIONS=true``:
the agent answers with workflow commands on their own lines, indented, with ANSI
escapes, and ``##[stop-commands]x``; a scenario's name and the tester's line carry
more. The whole output is then read with the runner's grammar
(:mod:`actions_runner_grammar`, which shares no code with cekura): the only commands it
may act on are cekura's own stop/resume pairs and its ``::error`` annotations, one per
failing run, each naming a scenario of the JSON report. PRODUCT.md §13.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from actions_runner_grammar import every_command, runner_commands

HOSTILE_REPLY = (  # short lines first: failure reasons quote the start of the reply
    "::add-mask::m\\n"
    "  ::set-output name=v::p\\n"
    "##[stop-commands]x\\n"
    "\\x1b[31m::error::red\\x1b[0m\\r::notice::cr\\n"
    "##[error]boom at the start\\n"
    "    ::warning file=a.py::indented"
)

AGENT = f'''
def reply(history, context):
    return "{HOSTILE_REPLY}"
'''

SCENARIOS = r"""
version: 1
scenarios:
  - name: "::error::scenario name ##[warning]w"
    tags: [smoke-test]
    turns:
      - say: "Tester says ::add-mask::hello\n  ::notice::from the tester"
        expect:
          reply_contains: booked
  - name: "Checks ##[group]x"
    tags: [smoke-test]
    turns:
      - say: hi
        expect:
          reply_contains: "##[endgroup]"
  - name: Plain
    tags: [smoke-test]
    turns:
      - say: hello
        expect:
          reply_contains: "stop-commands"
"""

TOKEN = re.compile(r"cekura-[0-9a-f]{32}")


def child_env(extra: dict[str, str]) -> dict[str, str]:
    prefixes = ("CEKURA_", "GITHUB_", "GITLAB_", "CI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k != "CI"}
    return env | extra


@pytest.fixture
def hostile_run(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    (tmp_path / "hostile_agent.py").write_text(AGENT)
    (tmp_path / "scenarios.yaml").write_text(SCENARIOS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cekura_cli",
            "run",
            "--local",
            "--serve",
            "hostile_agent.py:reply",
            "--scenarios",
            "scenarios.yaml",
            "--tag",
            "smoke-test",
            "--json",
            "report.json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=child_env({"GITHUB_ACTIONS": "true", "CI": "true", "COLUMNS": "100"}),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return done, json.loads((tmp_path / "report.json").read_text())


def test_only_cekuras_own_commands_reach_the_runner(hostile_run) -> None:
    done, report = hostile_run
    assert done.returncode == 1, done.stderr
    # not vacuous: the hostile text is in the log, as text
    for fragment in ("::add-mask::", "stop-commands]x", "::set-output", "from the tester"):
        assert fragment in done.stderr

    acted = runner_commands(done.stderr)
    names = [command.name for command in acted]
    case_names = {run["case_name"] for run in report["runs"] if run["outcome"] != "passed"}
    assert len(case_names) == 2  # "Plain" passes: the reply does say stop-commands
    errors = [command for command in acted if command.name == "error"]
    titles = {_unescape(c.properties.removeprefix("title=")) for c in errors}
    assert titles == case_names  # every failing run annotated, and nothing else
    for command in acted:
        if command.name in ("error",):
            continue
        if command.name == "stop-commands":
            assert TOKEN.fullmatch(command.data), command.line
            continue
        assert TOKEN.fullmatch(command.name), f"not cekura's: {command.line!r}"
    stops = [c.data for c in acted if c.name == "stop-commands"]
    resumes = [c.name for c in acted if TOKEN.fullmatch(c.name)]
    assert stops == resumes  # every block closed, in order
    assert len(set(stops)) == len(stops)  # a fresh token each time
    assert names[0] == "stop-commands"  # the block opens before anything else is printed
    # even a reader that ignores the block finds only cekura's own commands
    assert every_command(done.stderr) == acted


def test_stdout_json_is_inert_even_without_the_block(tmp_path: Path) -> None:
    (tmp_path / "hostile_agent.py").write_text(AGENT)
    (tmp_path / "scenarios.yaml").write_text(SCENARIOS)
    done = subprocess.run(
        [sys.executable, "-m", "cekura_cli", "run", "--local", "--serve"]
        + ["hostile_agent.py:reply", "--scenarios", "scenarios.yaml", "--tag", "smoke-test"]
        + ["--json", "-"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=child_env({"GITHUB_ACTIONS": "true", "CI": "true"}),
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert any("##[" in (run["reason"] or "") for run in document["runs"])  # same values
    assert every_command(done.stdout) == []  # read on its own, without the block


def _unescape(value: str) -> str:
    for escaped, plain in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r")):
        value = value.replace(escaped, plain)
    return value.replace("%25", "%").replace("##\u200b[", "##[")
