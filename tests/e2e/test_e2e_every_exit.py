"""Every exit path of the real CLI against the real sandbox, read the way CI reads it:
``--json -`` always carries a document (PRODUCT.md §13), report paths are checked
before anything starts, special files are written in place, and ``cekura wait`` links
carry the project id."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from e2e_helpers import cli_environment, dev_files_are_intact, run_cli

from cekura_cli.exit_codes import ExitCode

POST_RUN = "POST /test_framework/v1/scenarios/run_scenarios_text/"


def _posts(handle) -> int:
    return handle.stats()["requests"].get(POST_RUN, 0)


def _error_document(result, exit_code: int, kind: str) -> dict:
    assert result.returncode == exit_code, result.stderr
    document = json.loads(result.stdout)  # the document, and nothing else, on stdout
    assert document["exit_code"] == exit_code
    assert document["error"]["kind"] == kind
    assert document["error"]["message"] in result.stderr  # the same line the user saw
    assert "Traceback" not in result.stderr
    return document


@pytest.mark.parametrize(
    ("args", "exit_code", "kind", "message"),
    [
        (["--agent-id", "99", "-t", "smoke-test"], 2, "usage", "agent 99 not found"),
        (["--tag", ""], 2, "usage", "--tag got an empty value"),
        ([], 2, "usage", "no selection"),
        (["-t", "smoke-test", "--frequency", "5000"], 2, "usage", "over --max-runs"),
        (["-t", "no-such-tag"], 5, "no_scenarios", "matched no scenarios"),
    ],
)
def test_errors_before_the_start_give_an_error_document(
    sandbox, tmp_path: Path, args: list[str], exit_code: int, kind: str, message: str
) -> None:
    handle = sandbox()
    result = run_cli(["run", *args, "--json", "-"], cli_environment(handle.url), tmp_path)
    assert message in _error_document(result, exit_code, kind)["error"]["message"]
    assert _posts(handle) == 0  # nothing started, nothing paid


def test_a_rejected_key_gives_an_auth_document(sandbox, tmp_path: Path) -> None:
    handle = sandbox(api_key="sk_test_the_right_key_0000")
    result = run_cli(
        ["run", "-t", "critical", "--json", "-"], cli_environment(handle.url), tmp_path
    )
    _error_document(result, ExitCode.SERVICE, "auth")
    assert _posts(handle) == 0


def test_an_unwritable_report_path_fails_before_the_run(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    (tmp_path / "blocker").write_text("")
    result = run_cli(
        ["run", "-t", "critical", "--junit-xml", "blocker/junit.xml", "--json", "-"],
        cli_environment(handle.url),
        tmp_path,
    )
    document = _error_document(result, ExitCode.USAGE, "usage")
    assert "--junit-xml" in document["error"]["message"]
    assert handle.stats()["requests"] == {}  # not even the scenarios were listed


def test_a_service_failure_after_the_start_still_writes_every_report(
    sandbox, tmp_path: Path
) -> None:
    handle = sandbox(faults=["GET results:400"])
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = cli_environment(
        handle.url,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
    )
    result = run_cli(
        ["run", "-t", "critical", "--json", "-", "--junit-xml", "junit.xml"], env, tmp_path
    )
    assert result.returncode == ExitCode.SERVICE, result.stderr
    report = json.loads(result.stdout)
    assert report["exit_code"] == 3 and report["verdict"] == "failed"
    assert report["result_id"] >= 1
    assert any("the service failed while waiting" in note for note in report["notes"])
    assert f"cekura wait {report['result_id']}" in result.stderr
    assert ET.parse(tmp_path / "junit.xml").getroot().tag == "testsuites"
    assert "Cekura" in summary.read_text()
    assert f"result_id={report['result_id']}" in outputs.read_text()
    assert handle.stats()["results_created"] == 1


def test_the_result_id_is_an_output_before_the_wait_ends(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["runs:never_finish"])
    outputs = tmp_path / "outputs.txt"
    env = cli_environment(handle.url, GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(outputs))
    result = run_cli(["run", "-t", "critical", "--timeout", "2", "--json", "-"], env, tmp_path)
    assert result.returncode == ExitCode.TIMEOUT, result.stderr
    lines = outputs.read_text().splitlines()
    assert lines[0].startswith("result_id=")  # written at the start, before the outcome
    assert json.loads(result.stdout)["exit_code"] == 4


def test_special_files_are_written_in_place(sandbox, tmp_path: Path) -> None:
    assert dev_files_are_intact(), "/dev/null or /dev/stdout was broken before the test"
    handle = sandbox()
    result = run_cli(
        ["run", "-t", "critical", "--junit-xml", "/dev/null", "--json", "/dev/stdout"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    assert json.loads(result.stdout)["verdict"] == "passed"
    assert dev_files_are_intact()  # as root, both used to be replaced (and are repaired)


def test_wait_links_carry_the_project_id(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url)
    started = run_cli(["run", "-t", "critical", "--no-wait"], env, tmp_path)
    result_id = started.stdout.strip()
    waited = run_cli(["wait", result_id, "--json", "-"], env, tmp_path)
    assert waited.returncode == ExitCode.OK, waited.stderr
    report = json.loads(waited.stdout)
    assert report["result_url"].endswith(f"/1/results/{result_id}")
    assert all(f"/1/results/{result_id}?runId=" in run["url"] for run in report["runs"])


def test_wait_on_an_unknown_result_gives_a_not_found_document(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(["wait", "4242", "--json", "-"], cli_environment(handle.url), tmp_path)
    _error_document(result, ExitCode.SERVICE, "not_found")


def test_scenarios_list_names_an_unknown_agent(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(
        ["scenarios", "list", "--agent-id", "99", "--json", "-"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert "agent 99 not found" in _error_document(result, 2, "usage")["error"]["message"]


def test_a_failure_reading_the_run_details_still_reports_the_result(
    sandbox, tmp_path: Path
) -> None:
    handle = sandbox(faults=["GET runs_bulk:401"])
    result = run_cli(
        ["run", "-t", "critical", "--json", "-"], cli_environment(handle.url), tmp_path
    )
    assert result.returncode == ExitCode.SERVICE, result.stderr
    report = json.loads(result.stdout)
    assert report["exit_code"] == 3 and report["status"] == "completed"
    assert report["counts"]["total"] >= 1  # judged from the result's own summaries
    assert "rejected" in result.stderr  # the error itself is still the message


def test_api_chat_runs_publish_the_result_id_at_the_start_too(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.txt"
    env = cli_environment("http://127.0.0.1:9", GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(outputs))
    for name in ("CEKURA_API_KEY", "CEKURA_API_URL", "CEKURA_AGENT_ID"):
        env.pop(name)
    result = run_cli(["run", "--local", "--via", "api-chat", "-t", "smoke-test"], env, tmp_path)
    assert result.returncode == ExitCode.OK, result.stderr
    lines = outputs.read_text().splitlines()
    assert lines[0] == "result_id=1" and lines[1].startswith("result_url=")
    assert "verdict=passed" in lines[2:]  # and the full outputs at the end
