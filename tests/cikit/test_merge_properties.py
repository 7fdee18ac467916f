"""Property: splitting a result into shards and merging them gives the unsharded verdict."""

from __future__ import annotations

from cikit_helpers import report, run
from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.orchestration.gating import GatePolicy, apply_gates
from cekura_cli.orchestration.merge import merge_reports
from cekura_cli.orchestration.shard import Shard, scenario_key
from cekura_cli.reporting.model import Outcome

outcomes = st.sampled_from([o for o in Outcome if o is not Outcome.SKIPPED])  # run outcomes
runs_of = st.lists(
    st.tuples(st.integers(min_value=1, max_value=40), outcomes), min_size=1, max_size=80
)


@settings(max_examples=150, deadline=None)
@given(
    runs_of,
    st.integers(min_value=1, max_value=6),
    st.sampled_from([None, 1, 2]),
    st.frozensets(st.integers(min_value=1, max_value=40), max_size=5),
    st.sampled_from([1.0, 0.8, 0.5]),
)
def test_merged_shards_equal_the_unsharded_report(pairs, total, min_passes, quarantined, rate):
    runs = [run(1000 + i, sid, outcome) for i, (sid, outcome) in enumerate(pairs)]
    policy = GatePolicy(
        min_passes=min_passes, quarantine=frozenset(scenario_key(i) for i in quarantined)
    )
    whole = apply_gates(report(runs, min_pass_rate=rate), policy)
    shards = []
    for k in range(1, total + 1):
        part = [r for r in runs if Shard(k, total).holds(scenario_key(r.scenario_id))]
        if part:
            shard_report = report(part, result_id=k, min_pass_rate=rate)
            shards.append((f"shard{k}.json", apply_gates(shard_report, policy)))
    merged = merge_reports(shards)
    assert merged.counts == whole.counts
    assert (merged.verdict, merged.exit_code) == (whole.verdict, whole.exit_code)
    assert sorted(t.key for t in merged.scenarios) == sorted(t.key for t in whole.scenarios)
    assert sorted(r.run_id for r in merged.runs) == sorted(r.run_id for r in whole.runs)
