"""The CI kit end to end: the real CLI process, ``--local`` (the real sandbox and shim).

A 12-scenario file for the ``echo`` agent where every third scenario fails, so shards,
baselines, quarantine, reruns and k-of-n all have something to decide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

FAILING = {3, 6, 9, 12}


def scenario_file(path: Path, count: int = 12, failing: set[int] = FAILING) -> Path:
    lines = ["version: 1", "defaults:", "  first_speaker: tester", "scenarios:"]
    for i in range(1, count + 1):
        word = "fail" if i in failing else "pass"
        lines += [
            f"  - name: Scenario {i}",
            "    tags: [ci]",
            "    turns:",
            f"      - say: please {word} number {i}",
            "        expect:",
            "          reply_contains: pass",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cekura(args: Sequence[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CEKURA_", "GITHUB_", "GITLAB_", "CI_")) and k != "CI"
    }
    environ.update({"CI": "true", "COLUMNS": "160", **env})
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def local(*args: str) -> list[str]:
    return ["run", "--local", "--serve", "echo", "--scenarios", "s.yaml", "--tag", "ci", *args]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the scenario file and the unsharded report ``full.json``."""
    root = tmp_path_factory.mktemp("cikit")
    scenario_file(root / "s.yaml")
    done = cekura(local("--json", "full.json"), root)
    assert done.returncode == 1, done.stderr
    return root


def scenario_ids(doc: dict) -> list[int]:
    return sorted(run["scenario_id"] for run in doc["runs"])


def test_four_shards_merge_into_the_unsharded_verdict(work: Path):
    full = load(work / "full.json")
    codes = []
    for k in range(1, 5):
        done = cekura(local("--shard", f"{k}/4", "--json", f"shard{k}.json"), work)
        assert f"shard {k}/4:" in done.stderr
        codes.append(done.returncode)
    shards = [load(work / f"shard{k}.json") for k in range(1, 5)]
    ids = [scenario_ids(doc) for doc in shards]
    assert sorted(i for part in ids for i in part) == list(range(1, 13))  # disjoint, covering
    assert all(doc["shard"] == f"{k}/4" for k, doc in enumerate(shards, 1))
    assert codes == [1 if set(part) & FAILING else 0 for part in ids]

    names = [f"shard{k}.json" for k in range(1, 5)]
    merged = cekura(["report", "merge", *names, "--json", "-", "--junit-xml", "m.xml"], work)
    assert merged.returncode == 1, merged.stderr
    doc = json.loads(merged.stdout)
    assert doc["counts"] == full["counts"] == {"total": 12, "passed": 8, "failed": 4, "errored": 0}
    assert doc["verdict"] == full["verdict"] == "failed"
    assert scenario_ids(doc) == scenario_ids(full)
    assert len(doc["merged_from"]) == sum(1 for part in ids if part)
    suite = ET.parse(work / "m.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("12", "4")
    assert "FAILED: 8/12 passed" in merged.stderr

    again = cekura(local("--shard", "2/4", "--json", "again.json"), work)
    assert again.returncode in (0, 1)
    assert scenario_ids(load(work / "again.json")) == ids[1]  # deterministic


def test_merge_writes_the_github_outputs_and_summary(work: Path, tmp_path: Path):
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    done = cekura(["report", "merge", "full.json"], work, **env)
    assert done.returncode == 1
    assert "verdict=failed" in out.read_text() and "total=12" in out.read_text()
    assert "8/12 passed" in summary.read_text()


def test_merging_a_report_with_itself_is_refused(work: Path):
    done = cekura(["report", "merge", "full.json", "full.json"], work)
    assert done.returncode == 2
    assert "merging a report with itself is refused" in done.stderr
    assert "Traceback" not in done.stderr


def test_baseline_gates_only_new_failures_and_compare_names_them(work: Path, tmp_path: Path):
    gated = cekura(local("--baseline", "full.json", "--fail-on", "new-failures"), work)
    assert gated.returncode == 0, gated.stderr  # the same 4 fail as in the baseline
    assert "only new failures gate" in gated.stderr
    assert "failing in baseline result 1 too, not gating" in gated.stderr

    regressed_dir = tmp_path
    scenario_file(regressed_dir / "s.yaml", failing=FAILING | {1})
    (regressed_dir / "full.json").write_text((work / "full.json").read_text())
    args = local("--baseline", "full.json", "--fail-on", "new-failures", "--json", "new.json")
    regressed = cekura(args, regressed_dir)
    assert regressed.returncode == 1
    compared = cekura(["report", "compare", "full.json", "new.json", "--json", "-"], regressed_dir)
    assert compared.returncode == 1
    doc = json.loads(compared.stdout)
    assert [u["key"] for u in doc["newly_failing"]] == ["scenario:1"]
    assert doc["counts"]["still_failing"] == 4 and doc["counts"]["fixed"] == 0
    assert "newly failing (1):" in compared.stderr

    same = cekura(["report", "compare", "full.json", "full.json"], work)
    assert same.returncode == 0 and "no new failures" in same.stderr


def test_quarantine_reports_but_does_not_gate_in_every_format(work: Path, tmp_path: Path):
    (work / "quarantine.txt").write_text("# flaky\n3\n6\n9  # tool timeout\n12\n99\n")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    args = local("--quarantine", "quarantine.txt", "--json", "q.json", "--junit-xml", "q.xml")
    done = cekura(args, work, **env)
    assert done.returncode == 0, done.stderr
    assert "warning: --quarantine lists scenario 99, not in the selection" in done.stderr
    assert "quarantined, not gating" in done.stderr  # the table
    doc = load(work / "q.json")
    assert doc["verdict"] == "passed" and doc["counts"]["failed"] == 4
    assert sorted(r["scenario_id"] for r in doc["runs"] if r["quarantined"]) == sorted(FAILING)
    assert "quarantine: 4 runs are reported but not gating" in doc["notes"]
    suite = ET.parse(work / "q.xml").getroot()
    # skipped is counted on <testsuite>: the Jenkins XSD does not allow it on <testsuites>
    assert (suite.get("failures"), suite.find("testsuite").get("skipped")) == ("0", "4")
    skipped = suite.findall(".//skipped")
    assert all(s.get("message", "").startswith("quarantined, not gating") for s in skipped)
    assert "quarantined, not gating" in summary.read_text()


def test_rerun_failed_runs_only_what_failed(work: Path):
    done = cekura(local("--rerun-failed", "full.json", "--json", "rerun.json"), work)
    assert done.returncode == 1
    assert scenario_ids(load(work / "rerun.json")) == sorted(FAILING)
    assert "rerunning 4 of the 4 scenarios that failed" in done.stderr

    bare = ["run", "--local", "--serve", "echo", "--scenarios", "s.yaml"]  # no --tag
    plan = cekura([*bare, "--rerun-failed", "full.json", "--dry-run", "--json", "-"], work)
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert sorted(s["id"] for s in doc["scenarios"]) == sorted(FAILING)
    assert doc["request"]["scenarios"] == sorted(FAILING)


def test_rerun_of_a_passing_report_starts_nothing(work: Path, tmp_path: Path):
    scenario_file(tmp_path / "s.yaml", failing=set())
    first = cekura(local("--json", "ok.json"), tmp_path)
    assert first.returncode == 0
    done = cekura(local("--rerun-failed", "ok.json", "--json", "none.json"), tmp_path)
    assert done.returncode == 0
    assert "nothing to rerun" in done.stderr and "started result" not in done.stderr
    assert load(tmp_path / "none.json")["result_id"] == 0


FLAKY_AGENT = """
calls = 0

def reply(history, context):
    global calls
    if not history:
        calls += 1
        return None
    # every third conversation fails: passes 2 of 3
    return "nope" if calls % 3 == 0 else "pass: " + history[-1]["content"]
"""


def test_repeat_and_min_passes_judge_each_scenario_k_of_n(tmp_path: Path):
    scenario_file(tmp_path / "s.yaml", count=1, failing=set())
    (tmp_path / "flaky.py").write_text(FLAKY_AGENT)
    base = ["run", "--local", "--serve", "flaky.py:reply", "--scenarios", "s.yaml", "--tag", "ci"]
    args = [*base, "--repeat", "3", "--concurrency", "1", "--junit-xml", "k.xml"]
    lenient = cekura([*args, "--min-passes", "2", "--json", "k2.json"], tmp_path)
    assert lenient.returncode == 0, lenient.stderr
    doc = load(tmp_path / "k2.json")
    assert doc["counts"] == {"total": 3, "passed": 2, "failed": 1, "errored": 0}
    assert doc["scenarios"][0] | {"scenario_name": ""} == {
        "key": "scenario:1",
        "scenario_name": "",
        "passed": 2,
        "runs": 3,
        "min_passes": 2,
        "verdict": "passed",
        "quarantined": False,
    }
    assert {r["passes"] for r in doc["runs"]} == {"2/3"}
    assert "scenario 2/3 passed (needs 2)" in lenient.stderr
    assert "scenario passes: 2/3" in (tmp_path / "k.xml").read_text()

    strict = cekura([*args, "--min-passes", "3", "--json", "k3.json"], tmp_path)
    assert strict.returncode == 1
    assert load(tmp_path / "k3.json")["scenarios"][0]["verdict"] == "failed"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--shard", "0/3"], "--shard 0/3: K must be between 1 and N (3)"),
        (["--shard", "3/2"], "--shard 3/2: K must be between 1 and N (2)"),
        (["--shard", "two"], "--shard must be K/N"),
        (["--repeat", "2", "--min-passes", "3"], "--min-passes 3 must be between 1 and --repeat"),
        (["--min-passes", "1"], "--min-passes K goes with --repeat N"),
        (["--repeat", "2", "--frequency", "2"], "either --repeat N (k-of-n) or --frequency N"),
        (["--fail-on", "new-failures"], "--fail-on new-failures needs --baseline"),
        (["--fail-on", "some"], "--fail-on must be 'new-failures' or 'any'"),
        (["--baseline", "garbage.json"], "garbage.json: not JSON"),
        (["--rerun-failed", "missing.json"], "cannot read report missing.json"),
        (["--rerun-failed", "other-agent.json"], "is a report of agent 999, not of agent 1"),
        (["--baseline", "other-agent.json"], "is a report of agent 999, not of agent 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(work: Path, extra: list[str], message: str):
    (work / "garbage.json").write_text('{"runs": ')
    other = load(work / "full.json") | {"agent_id": 999}
    (work / "other-agent.json").write_text(json.dumps(other))
    done = cekura(local(*extra), work)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and "started result" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("cekura: error")]
    assert len(errors) == 1


def test_merge_refuses_other_agents_and_malformed_reports(work: Path):
    other = load(work / "full.json") | {"agent_id": 999, "result_url": "http://elsewhere/1"}
    (work / "other.json").write_text(json.dumps(other))
    done = cekura(["report", "merge", "full.json", "other.json"], work)
    assert done.returncode == 2 and "agent 999" in done.stderr
    (work / "bad.json").write_text('{"schema_version": 1, "result_id": "x"}')
    bad = cekura(["report", "merge", "full.json", "bad.json"], work)
    assert bad.returncode == 2 and "bad.json: not a cekura JSON report" in bad.stderr
    cmp = cekura(["report", "compare", "full.json", "other.json"], work)
    assert cmp.returncode == 2 and "not comparable" in cmp.stderr


def test_an_empty_shard_starts_nothing_passes_and_merges_away(work: Path):
    from cekura_cli.orchestration.shard import partition, scenario_key

    parts = partition(list(range(1, 13)), scenario_key, 40)
    empty = next(k for k, part in enumerate(parts, 1) if not part)
    full = next(k for k, part in enumerate(parts, 1) if part)
    done = cekura(local("--shard", f"{empty}/40", "--json", "empty.json"), work)
    assert done.returncode == 0, done.stderr
    assert f"shard {empty}/40 holds none of the selected scenarios" in done.stderr
    assert "started result" not in done.stderr
    doc = load(work / "empty.json")
    assert (doc["result_id"], doc["runs"], doc["shard"]) == (0, [], f"{empty}/40")
    other = cekura(local("--shard", f"{full}/40", "--json", "one.json"), work)
    merged = cekura(["report", "merge", "empty.json", "one.json", "--json", "-"], work)
    assert merged.returncode == other.returncode
    assert json.loads(merged.stdout)["counts"] == load(work / "one.json")["counts"]
