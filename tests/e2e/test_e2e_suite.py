"""`cekura run --suite` and `cekura suite` end to end: the real CLI, the real sandbox and shim.

The sandbox's `run_scenarios_json` is an independent implementation of the documented
endpoint (schema and rules checked again server-side, location-keyed 400s wrapped in
`errors`, a dry run with a plan and a cost); faults are injected into it.
"""

from __future__ import annotations

import json
from pathlib import Path

from e2e_helpers import API_KEY, cli_environment, interrupt_after_start, run_cli

SUITE = """\
version: "1"
suite: {name: E2E suite}
defaults: {tags: [ci]}
scenarios:
  - key: greet
    name: Greets and offers to book
    instructions: Say hello and ask what the assistant can do.
    tags: [smoke]
    local:
      turns:
        - say: Hi, what can you do for me?
          expect: {reply_contains: book}
  - key: topic
    name: Stays on topic
    instructions: Ask about the weather.
    tags: [smoke]
    metrics: [expected_outcome]
  - key: remote-only
    name: Hangs up on goodbye
    instructions: Say goodbye.
    tags: [critical]
"""


def suite_file(tmp_path: Path, text: str = SUITE, name: str = "cekura-suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_suite_runs_on_the_service_endpoint_with_case_keys(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    path = suite_file(tmp_path)
    env = cli_environment(handle.url)
    args = ["run", "--suite", str(path), "--tag", "smoke", "--json", "-", "--junit-xml", "j.xml"]
    done = run_cli(args, env, tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(r["case_key"], r["outcome"]) for r in report["runs"]] == [
        ("greet", "passed"),
        ("topic", "passed"),
    ]
    junit = (tmp_path / "j.xml").read_text(encoding="utf-8")
    assert 'name="greet"' in junit and 'name="topic"' in junit
    assert API_KEY not in done.stdout + done.stderr


def test_frequency_overrides_every_posted_case(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    done = run_cli(
        [
            "run",
            "--suite",
            str(suite_file(tmp_path)),
            "--case",
            "greet",
            "--frequency",
            "2",
            "--json",
            "-",
        ],
        cli_environment(handle.url),
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["case_name"] for r in report["runs"]] == [
        "Greets and offers to book #1",
        "Greets and offers to book #2",
    ]
    assert {r["case_key"] for r in report["runs"]} == {"greet"}


def test_the_dry_run_prices_the_suite_and_starts_nothing(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    done = run_cli(
        ["run", "--suite", str(suite_file(tmp_path)), "--dry-run", "--json", "-"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["total_runs"] == 3 and plan["test_case_count"] == 3
    assert plan["estimated_cost"] == 0.15 and plan["charged"] is False
    assert [c["case_key"] for c in plan["test_cases"]] == ["greet", "topic", "remote-only"]
    assert "estimated cost 0.15" in done.stderr
    assert handle.stats()["results_created"] == 0


def test_service_problems_come_back_as_file_lines_and_nothing_runs(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    text = SUITE.replace("metrics: [expected_outcome]", "metrics: [expected_outcome, nope_metric]")
    path = suite_file(tmp_path, text)
    for extra in ([], ["--dry-run"]):
        done = run_cli(
            ["run", "--suite", str(path), "--exclude-tag", "critical", *extra],
            cli_environment(handle.url),
            tmp_path,
        )
        assert done.returncode == 2, done.stderr
        assert (
            f"{path}:17: scenarios[1].metrics[1]: Metric 'nope_metric' does not exist"
            in done.stderr
        )
        assert "Traceback" not in done.stderr
    assert handle.stats()["results_created"] == 0


def test_a_start_answered_with_a_dropped_connection_is_not_repeated(
    sandbox, tmp_path: Path
) -> None:
    handle = sandbox(faults=["POST run_json:drop_after_read"])
    done = run_cli(
        ["run", "--suite", str(suite_file(tmp_path)), "--case", "greet", "--json", "-"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert done.returncode == 3, done.stderr
    assert "not repeated" in done.stderr
    assert handle.stats()["results_created"] == 1  # the one POST created exactly one result


def test_bad_input_is_one_line_and_nothing_is_posted(sandbox, tmp_path: Path) -> None:
    handle = sandbox()
    env = cli_environment(handle.url)
    dup = suite_file(tmp_path, SUITE.replace("key: topic", "key: greet"), "dup.yaml")
    cases = [
        (["--suite", str(dup)], 2, "duplicate key 'greet'"),
        (["--suite", str(tmp_path / "missing.yaml")], 2, "suite file not found"),
        (["--suite", str(suite_file(tmp_path)), "--tag", "nothing"], 5, "matched no test cases"),
        (["--suite", str(suite_file(tmp_path)), "--case", "zzz"], 5, "no test case with key 'zzz'"),
        (["--suite", str(suite_file(tmp_path)), "--scenario", "1"], 2, "use --case KEY"),
        (["--case", "greet", "--tag", "x"], 2, "--case KEY selects test cases of a --suite"),
        (["--suite", str(suite_file(tmp_path)), "--frequency", "4000"], 2, "at most 10,000"),
        (["--suite", str(suite_file(tmp_path)), "--personality", "3"], 2, "does not apply"),
        (["--suite", str(suite_file(tmp_path)), "--via=api-chat", "--serve=echo"], 2, "as text"),
    ]
    for args, code, message in cases:
        done = run_cli(["run", *args], env, tmp_path)
        assert done.returncode == code, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
    assert handle.stats()["results_created"] == 0


def test_local_runs_play_local_blocks_and_skip_the_rest(tmp_path: Path) -> None:
    path = suite_file(tmp_path)
    env = cli_environment("http://unused.invalid")
    del env["CEKURA_API_URL"]
    done = run_cli(
        ["run", "--local", "--suite", str(path), "--json", "-", "--junit-xml", "j.xml"],
        env,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(r["case_key"], r["outcome"]) for r in report["runs"]] == [
        ("greet", "passed"),
        ("topic", "skipped"),
        ("remote-only", "skipped"),
    ]
    assert report["counts"]["skipped"] == 2 and report["counts"]["total"] == 1
    junit = (tmp_path / "j.xml").read_text(encoding="utf-8")
    assert junit.count("<skipped ") == 2 and 'skipped="2"' in junit


def test_a_local_run_with_no_local_blocks_selected_runs_nothing(tmp_path: Path) -> None:
    path = suite_file(tmp_path)
    env = cli_environment("http://unused.invalid")
    del env["CEKURA_API_URL"]
    done = run_cli(["run", "--local", "--suite", str(path), "--tag", "critical"], env, tmp_path)
    assert done.returncode == 5
    assert "has a local: block" in done.stderr


def test_a_failing_local_block_fails_the_run(tmp_path: Path) -> None:
    path = suite_file(tmp_path)
    env = cli_environment("http://unused.invalid")
    del env["CEKURA_API_URL"]
    done = run_cli(
        ["run", "--local", "--serve", "echo", "--suite", str(path), "--json", "-"], env, tmp_path
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["runs"][0]["outcome"] == "failed" and report["runs"][0]["case_key"] == "greet"


def test_hostile_service_text_is_cleaned(sandbox, tmp_path: Path) -> None:
    # The sandbox echoes the metric slug in its message: the slug here is valid for the
    # schema but the name carries a terminal escape and a workflow command.
    text = SUITE.replace("name: Stays on topic", 'name: "\\e[31m::error::pwned"')
    handle = sandbox()
    done = run_cli(
        ["run", "--suite", str(suite_file(tmp_path, text)), "--case", "topic", "--json", "-"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b[31m" not in done.stderr and "\x1b" not in done.stdout
    assert not any(line.startswith("::error::pwned") for line in done.stderr.splitlines())


def test_suite_validate_and_init_work_offline(tmp_path: Path) -> None:
    env = cli_environment("http://unused.invalid")
    for name in ("CEKURA_API_KEY", "CEKURA_API_URL", "CEKURA_AGENT_ID"):
        env.pop(name)
    made = run_cli(["suite", "init", "starter.yaml"], env, tmp_path)
    assert made.returncode == 0, made.stderr
    again = run_cli(["suite", "init", "starter.yaml"], env, tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    bad = suite_file(tmp_path, SUITE.replace("key: topic", "key: greet"), "dup.yaml")
    checked = run_cli(["suite", "validate", "starter.yaml", str(bad)], env, tmp_path)
    assert checked.returncode == 2
    assert "starter.yaml: valid" in checked.stderr
    assert f"{bad}:13: scenarios[1].key: duplicate key 'greet'" in checked.stderr
    good = run_cli(["suite", "validate", "starter.yaml"], env, tmp_path)
    assert good.returncode == 0
    local = run_cli(["run", "--local", "--suite", "starter.yaml", "--json", "-"], env, tmp_path)
    assert local.returncode == 0, local.stderr
    outcomes = [r["outcome"] for r in json.loads(local.stdout)["runs"]]
    assert outcomes == ["passed", "skipped"]


def _end_calls(handle) -> int:
    return sum(count for route, count in handle.stats()["requests"].items() if "end_calls" in route)


def test_a_suite_run_that_times_out_ends_its_calls_and_reports(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["runs:never_finish"])
    done = run_cli(
        ["run", "--suite", str(suite_file(tmp_path)), "--case", "greet", "--timeout", "3",
         "--json", "r.json", "--junit-xml", "j.xml"],
        cli_environment(handle.url),
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert _end_calls(handle) >= 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["timed_out"] is True and report["runs"][0]["case_key"] == "greet"
    assert 'name="greet"' in (tmp_path / "j.xml").read_text()


def test_an_interrupted_suite_run_ends_its_calls_and_exits_130(sandbox, tmp_path: Path) -> None:
    handle = sandbox(faults=["runs:never_finish"])
    code, stderr = interrupt_after_start(
        ["run", "--suite", str(suite_file(tmp_path)), "--tag", "smoke", "--json", "r.json"],
        cli_environment(handle.url),
        tmp_path,
    )
    assert code == 130, stderr
    assert _end_calls(handle) >= 1
    assert handle.stats()["results_created"] == 1
    assert json.loads((tmp_path / "r.json").read_text())["interrupted"] is True
    assert "Traceback" not in stderr


def test_a_test_suite_also_serves_as_the_scenario_file_of_a_tag_run(tmp_path: Path) -> None:
    path = suite_file(tmp_path)
    env = cli_environment("http://unused.invalid")
    del env["CEKURA_API_URL"]
    done = run_cli(
        ["run", "--local", "--scenarios", str(path), "--tag", "smoke", "--json", "-"], env, tmp_path
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [r["scenario_name"] for r in report["runs"]] == ["Greets and offers to book"]
