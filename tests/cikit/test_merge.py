"""report merge: one verdict over the shards; a result twice or another agent is refused."""

from __future__ import annotations

import dataclasses

import pytest
from cikit_helpers import F, P, report, run

from cekura_cli.ci_kit import ReportContext, nothing_to_run
from cekura_cli.errors import UsageError
from cekura_cli.orchestration.gating import GatePolicy, apply_gates
from cekura_cli.orchestration.merge import merge_reports
from cekura_cli.reporting.model import Verdict


def test_merged_counts_and_verdict_cover_every_shard():
    a = report([run(1, 1, P), run(2, 2, P)], result_id=1)
    b = report([run(3, 3, F)], result_id=2)
    merged = merge_reports([("a.json", a), ("b.json", b)])
    assert (merged.counts.total, merged.counts.passed, merged.counts.failed) == (3, 2, 1)
    assert merged.verdict is Verdict.FAILED and merged.exit_code == 1
    assert merged.merged_from == (1, 2)
    assert merge_reports([("a.json", a)]).verdict is Verdict.PASSED


def test_min_pass_rate_defaults_to_the_strictest_and_can_be_given():
    a = report([run(1, 1, P), run(2, 2, F)], min_pass_rate=0.5)
    b = report([run(3, 3, P), run(4, 4, P)], result_id=2, min_pass_rate=0.9)
    assert merge_reports([("a", a), ("b", b)]).min_pass_rate == 0.9
    assert merge_reports([("a", a), ("b", b)]).verdict is Verdict.FAILED  # 3/4 < 0.9
    assert merge_reports([("a", a), ("b", b)], min_pass_rate=0.75).verdict is Verdict.PASSED


def test_merging_a_report_with_itself_is_refused():
    a = report([run(1, 1, P)])
    with pytest.raises(UsageError, match="merging a report with itself is refused"):
        merge_reports([("a.json", a), ("copy.json", a)])


def test_same_result_id_on_different_services_is_two_results():
    a = report([run(1, 1, P)], url="http://127.0.0.1:1001/1/results/1")
    b = report([run(1, 2, P)], url="http://127.0.0.1:1002/1/results/1")
    merged = merge_reports([("a", a), ("b", b)])
    assert merged.counts.total == 2


def test_reports_of_different_agents_are_refused():
    a = report([run(1, 1, P)], agent_id=1)
    b = report([run(2, 2, P)], result_id=2, agent_id=2)
    with pytest.raises(UsageError, match="agent 2"):
        merge_reports([("a.json", a), ("b.json", b)])


def test_empty_shards_add_nothing():
    a = report([run(1, 1, P)])
    empty = nothing_to_run(ReportContext(agent_id=1, shard="2/2"), "empty")
    merged = merge_reports([("a", a), ("e", empty)])
    assert merged.counts.total == 1 and merged.verdict is Verdict.PASSED
    assert merge_reports([("e", empty)]).verdict is Verdict.FAILED  # nothing ran anywhere


def test_quarantine_and_k_of_n_survive_the_merge():
    policy = GatePolicy(min_passes=1, quarantine=frozenset({"scenario:3"}))
    a = apply_gates(report([run(1, 1, P), run(2, 1, F)], result_id=1), policy)
    b = apply_gates(report([run(3, 3, F), run(4, 3, F)], result_id=2), policy)
    merged = merge_reports([("a", a), ("b", b)])
    assert merged.verdict is Verdict.PASSED  # 1 reached 1/2; 3 is quarantined
    assert [t.key for t in merged.scenarios] == ["scenario:1", "scenario:3"]
    assert all(r.quarantined for r in merged.runs if r.scenario_id == 3)


def test_timed_out_shard_makes_the_merge_exit_4():
    a = report([run(1, 1, P)])
    b = dataclasses.replace(report([run(2, 2, P)], result_id=2), timed_out=True)
    assert merge_reports([("a", a), ("b", b)]).exit_code == 4


def test_repeated_case_names_stay_unique():
    a = report([run(1, 1, P, name="Same")])
    b = report([run(2, 2, P, name="Same")], result_id=2)
    names = [r.case_name for r in merge_reports([("a", a), ("b", b)]).runs]
    assert len(set(names)) == 2
