"""``--html`` on ``run`` and ``wait``, and ``report trend`` over real runs: the real CLI
process against the real sandbox and shim on 127.0.0.1."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from e2e_helpers import cli_environment, run_cli

from cekura_cli.exit_codes import ExitCode


def blocks(page: str) -> dict[str, str]:
    """``{run id: its block}`` in page order."""
    return {
        match.group(1): match.group(0)
        for match in re.finditer(
            r'<details class="run [^"]*" id="run-(\d+)".*?</details>', page, re.S
        )
    }


def test_a_failing_run_writes_a_page_that_says_why_each_run_failed(
    sandbox, echo_url: str, tmp_path: Path
) -> None:
    handle = sandbox(agent_url=echo_url)
    result = run_cli(
        ["run", "-t", "smoke-test", "--json", "report.json", "--html", "out/report.html"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert result.returncode == ExitCode.TEST_FAILURES, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    found = blocks(page)
    assert sorted(found) == sorted(str(run["run_id"]) for run in report["runs"])
    for run in report["runs"]:
        block = found[str(run["run_id"])]
        assert 'data-outcome="failed"' in block
        assert html.escape(run["reason"][:60], quote=False) in block
        assert f'href="{run["url"]}"' in block.replace("&amp;", "&")
        assert 'class="k-tester"' in block and 'class="k-agent"' in block
    assert 'data-tags="smoke-test' in page and '<option value="smoke-test">' in page
    assert handle.stats()["results_created"] == 1


def test_wait_writes_the_page_for_an_existing_result(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url)
    started = run_cli(["run", "-t", "critical", "--no-wait"], env, tmp_path)
    assert started.returncode == ExitCode.OK, started.stderr
    result_id = started.stdout.strip()
    waited = run_cli(["wait", result_id, "--html", "wait.html"], env, tmp_path)
    assert waited.returncode == ExitCode.OK, waited.stderr
    page = (tmp_path / "wait.html").read_text(encoding="utf-8")
    assert f"result {result_id} (completed)" in page
    assert 'data-outcome="passed"' in page and 'data-outcome="failed"' not in page
    assert handle.stats()["results_created"] == 1


def test_an_unwritable_html_path_fails_before_anything_starts(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    (tmp_path / "taken").mkdir()
    result = run_cli(
        ["run", "-t", "smoke-test", "--html", "taken"], cli_environment(handle.url), tmp_path
    )
    assert result.returncode == ExitCode.USAGE
    assert "is a directory" in result.stderr and "Traceback" not in result.stderr
    assert handle.stats()["results_created"] == 0


def test_no_wait_with_html_is_a_usage_error(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    result = run_cli(
        ["run", "-t", "smoke-test", "--no-wait", "--html", "r.html"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert result.returncode == ExitCode.USAGE
    assert "--no-wait cannot write --html" in result.stderr
    assert handle.stats()["results_created"] == 0


def test_a_timed_out_run_still_writes_its_page(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["runs:never_finish"])
    result = run_cli(
        ["run", "-t", "smoke-test", "--timeout", "3", "--html", "late.html"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert result.returncode == ExitCode.TIMEOUT, result.stderr
    page = (tmp_path / "late.html").read_text(encoding="utf-8")
    assert "timed out before the result finished" in page
    assert 'data-outcome="error"' in page


def test_report_trend_over_real_nightly_reports(
    sandbox, echo_url: str, booking_url: str, tmp_path: Path
) -> None:
    reports = tmp_path / "nightly"
    for night, agent in enumerate([booking_url, echo_url, booking_url], start=1):
        handle = sandbox(agent_url=agent)
        run = run_cli(
            ["run", "-t", "smoke-test", "--json", f"nightly/{night}/report.json"],
            cli_environment(handle.url),
            tmp_path,
        )
        assert run.returncode in (ExitCode.OK, ExitCode.TEST_FAILURES), run.stderr
    trend = run_cli(
        ["report", "trend", "nightly", "--html", "trend.html"],
        cli_environment("http://127.0.0.1:9"),
        tmp_path,
    )
    assert trend.returncode == ExitCode.OK, trend.stderr
    assert "trend of 3 reports" in trend.stderr
    page = (tmp_path / "trend.html").read_text(encoding="utf-8")
    assert page.count("<circle") == 3
    assert page.count('class="dot-failed"') == 1
    assert reports.is_dir()


def test_report_merge_writes_one_page_for_every_shard(
    sandbox, echo_url: str, tmp_path: Path
) -> None:
    handle = sandbox(agent_url=echo_url)
    for shard in ("a", "b"):
        run = run_cli(
            [
                "run",
                "-t",
                "smoke-test",
                "--shard",
                f"{'ab'.index(shard) + 1}/2",
                "--json",
                f"{shard}.json",
            ],  # fmt: skip
            cli_environment(handle.url),
            tmp_path,
        )
        assert run.returncode in (ExitCode.OK, ExitCode.TEST_FAILURES), run.stderr
    merged = run_cli(
        ["report", "merge", "a.json", "b.json", "--html", "merged.html"],
        cli_environment("http://127.0.0.1:9"),
        tmp_path,
    )
    assert merged.returncode == ExitCode.TEST_FAILURES, merged.stderr
    page = (tmp_path / "merged.html").read_text(encoding="utf-8")
    runs = sum(len(json.loads((tmp_path / f"{s}.json").read_text())["runs"]) for s in "ab")
    assert runs >= 2 and page.count('<details class="run ') == runs
    assert page.count('data-outcome="failed"') == runs  # the echo agent fails every one
