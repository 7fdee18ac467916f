"""``cekura run`` / ``wait`` / ``scenarios list`` as a user runs them: the real CLI process
against the real sandbox on 127.0.0.1 (with faults injected) and the real shim."""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from e2e_helpers import API_KEY, cli_environment, interrupt_after_start, run_cli

from cekura_cli.exit_codes import ExitCode

POST_RUN = "POST /test_framework/v1/scenarios/run_scenarios_text/"
GET_RESULT = "GET /test_framework/v1/results/{id}/"
POST_END_CALLS = "POST /test_framework/v1/results/{id}/end_calls/"


def requests(handle, route: str) -> int:
    return handle.stats()["requests"].get(route, 0)


def test_passing_run_writes_every_report_and_exits_0(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = cli_environment(
        handle.url,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
    )
    result = run_cli(
        ["run", "--tag", "smoke-test", "--json", "report.json", "--junit-xml", "junit.xml"],
        env,
        tmp_path,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    assert result.stdout == ""  # human output goes to stderr only
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["verdict"] == "passed"
    assert report["counts"]["total"] == report["counts"]["passed"] >= 2
    assert report["pass_rate"] == 1.0
    assert {run["outcome"] for run in report["runs"]} == {"passed"}
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    cases = suite.findall(".//testcase")
    assert len(cases) == report["counts"]["total"]
    assert not suite.findall(".//failure") and not suite.findall(".//error")
    assert "PASSED" in summary.read_text() or "passed" in summary.read_text()
    assert f"result_id={report['result_id']}" in outputs.read_text()
    assert handle.stats()["results_created"] == 1


def test_failing_agent_exits_1_with_reasons_and_annotations(
    sandbox, echo_url: str, tmp_path: Path
) -> None:
    handle = sandbox(agent_url=echo_url)
    env = cli_environment(handle.url, GITHUB_ACTIONS="true")
    result = run_cli(["run", "-t", "smoke-test", "--json", "-"], env, tmp_path)
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    report = json.loads(result.stdout)  # stdout is the JSON document and nothing else
    assert report["verdict"] == "failed"
    assert report["exit_code"] == 1
    assert all(run["outcome"] == "failed" and run["reason"] for run in report["runs"])
    assert result.stderr.count("::error ") == report["counts"]["failed"]


def test_min_pass_rate_can_accept_partial_failures(sandbox, echo_url: str, tmp_path) -> None:
    handle = sandbox(agent_url=echo_url)
    result = run_cli(
        ["run", "-t", "smoke-test", "--min-pass-rate", "0"], cli_environment(handle.url), tmp_path
    )
    assert result.returncode == ExitCode.OK, result.stderr


@pytest.mark.parametrize(
    "faults",
    [
        ["GET results:429:times=2:retry_after=1"],
        ["GET results:503:times=3"],
        ["GET results:malformed:times=2"],
        ["GET runs_bulk:malformed:times=1", "GET runs_bulk:502:times=1"],
        ["GET results:drop:times=2"],
        ["GET scenarios:503:times=1", "GET agent:500:times=1"],
        ["POST run:429:times=1:retry_after=1"],
    ],
    ids=["429-retry-after", "503", "malformed", "bulk-faults", "dropped", "list-5xx", "post-429"],
)
def test_transient_faults_are_retried_and_create_exactly_one_result(
    sandbox, tmp_path: Path, faults: list[str]
) -> None:
    handle = sandbox(faults=faults)
    result = run_cli(
        ["run", "-t", "critical", "--json", "r.json"], cli_environment(handle.url), tmp_path
    )
    assert result.returncode == ExitCode.OK, result.stderr
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "passed"
    stats = handle.stats()
    assert stats["results_created"] == 1
    assert sum(stats["faults_fired"].values()) >= 1  # the faults really happened


def test_start_post_is_never_repeated_after_it_may_have_reached_the_service(
    sandbox, tmp_path: Path
) -> None:
    handle = sandbox(faults=["POST run:drop_after_read:times=1"])
    result = run_cli(["run", "-t", "critical"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.SERVICE, result.stderr
    assert "Traceback" not in result.stderr
    assert "duplicate" in result.stderr
    assert requests(handle, POST_RUN) == 1
    assert handle.stats()["results_created"] == 1


def test_start_post_5xx_is_not_repeated(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["POST run:503"])
    result = run_cli(["run", "-t", "critical"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.SERVICE
    stats = handle.stats()
    assert sum(stats["faults_fired"].values()) == 1  # one POST arrived, answered 503
    assert stats["results_created"] == 0


def test_wrong_api_key_exits_3_without_leaking_it(sandbox, tmp_path: Path) -> None:
    handle = sandbox(api_key="the-right-key-0000")
    result = run_cli(["run", "-t", "critical"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.SERVICE
    assert "rejected" in result.stderr
    assert API_KEY not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert handle.stats()["results_created"] == 0


def test_empty_selection_exits_5_before_starting_anything(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(["run", "-t", "no-such-tag"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.NO_SCENARIOS
    assert "matched no scenarios" in result.stderr
    assert requests(handle, POST_RUN) == 0


def test_unknown_scenario_id_exits_5(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(["run", "-s", "1,999"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.NO_SCENARIOS
    assert "999" in result.stderr
    assert requests(handle, POST_RUN) == 0


def test_dry_run_shows_the_plan_and_starts_nothing(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(
        ["run", "-t", "smoke-test", "--frequency", "2", "--dry-run", "--json", "-"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True
    assert plan["runs"] == 2 * len(plan["scenarios"])
    assert plan["request"]["scenarios"] == [s["id"] for s in plan["scenarios"]]
    assert requests(handle, POST_RUN) == 0


def test_no_wait_prints_only_the_id_then_wait_attaches(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url)
    started = run_cli(["run", "-t", "critical", "--no-wait"], env, tmp_path)
    assert started.returncode == ExitCode.OK, started.stderr
    result_id = started.stdout.strip()
    assert result_id.isdigit()
    waited = run_cli(["wait", result_id, "--json", "-"], env, tmp_path)
    assert waited.returncode == ExitCode.OK, waited.stderr
    assert json.loads(waited.stdout)["result_id"] == int(result_id)
    assert handle.stats()["results_created"] == 1


def test_wait_on_an_unknown_result_exits_3(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(["wait", "4242"], cli_environment(handle.url), tmp_path)
    assert result.returncode == ExitCode.SERVICE
    assert "Traceback" not in result.stderr


def test_timeout_ends_the_calls_writes_reports_and_exits_4(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["runs:never_finish"])
    result = run_cli(
        ["run", "-t", "critical", "--timeout", "3", "--json", "r.json", "--junit-xml", "j.xml"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert result.returncode == ExitCode.TIMEOUT, result.stderr
    assert requests(handle, POST_END_CALLS) >= 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["timed_out"] is True
    assert report["exit_code"] == 4
    ET.parse(tmp_path / "j.xml")  # still a valid JUnit file
    assert "/results/" in result.stderr  # the result URL is printed


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signals_end_the_calls_and_exit_130(sandbox, tmp_path: Path, signum: int) -> None:
    handle = sandbox(faults=["runs:never_finish"])
    code, stderr = interrupt_after_start(
        ["run", "-t", "critical", "--json", "r.json"], cli_environment(handle.url), tmp_path, signum
    )
    assert code == ExitCode.INTERRUPTED, stderr
    assert requests(handle, POST_END_CALLS) >= 1
    assert json.loads((tmp_path / "r.json").read_text())["interrupted"] is True
    assert "Traceback" not in stderr


def test_scenarios_list_resolves_the_selection(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url)
    listed = run_cli(["scenarios", "list", "-t", "critical", "--json", "-"], env, tmp_path)
    assert listed.returncode == ExitCode.OK, listed.stderr
    scenarios = json.loads(listed.stdout)
    assert scenarios and all("critical" in s["tags"] for s in scenarios)
    table = run_cli(
        ["scenarios", "list", "-t", "critical", "--exclude-tag", "smoke-test"], env, tmp_path
    )
    assert table.returncode == ExitCode.OK
    excluded = [s for s in scenarios if "smoke-test" in s["tags"]]
    for scenario in excluded:
        assert scenario["name"] not in table.stdout


def test_a_service_without_the_bulk_read_is_judged_from_the_result_summaries(
    sandbox, echo_url: str, tmp_path: Path
) -> None:
    handle = sandbox(agent_url=echo_url, faults=["GET runs_bulk:404"])
    result = run_cli(
        ["run", "-t", "critical", "--json", "-"], cli_environment(handle.url), tmp_path
    )
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["total"] == report["counts"]["failed"] > 0
    assert "using the result's summaries" in result.stderr
