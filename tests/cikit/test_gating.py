"""k-of-n, quarantine and baseline gates: pure, decided from the runs alone."""

from __future__ import annotations

from cikit_helpers import E, F, P, report, run

from cekura_cli.orchestration.gating import GatePolicy, apply_gates, parse_quarantine
from cekura_cli.reporting.model import Verdict


def test_k_of_n_passes_a_scenario_with_enough_passes_and_shows_k_of_n():
    runs = [run(1, 10, P), run(2, 10, F), run(3, 10, P)]
    runs += [run(4, 20, F), run(5, 20, E), run(6, 20, P)]
    gated = apply_gates(report(runs), GatePolicy(min_passes=2))
    assert gated.verdict is Verdict.FAILED and gated.exit_code == 1  # scenario 20: 1/3
    tallies = {t.key: (t.passed, t.runs, t.verdict) for t in gated.scenarios}
    assert tallies == {
        "scenario:10": (2, 3, Verdict.PASSED),
        "scenario:20": (1, 3, Verdict.FAILED),
    }
    assert [r.passes for r in gated.runs] == ["2/3"] * 3 + ["1/3"] * 3
    assert gated.runs[1].reason == "scenario 2/3 passed (needs 2): nope"
    assert gated.runs[5].reason == "scenario 1/3 passed (needs 2)"
    assert "k-of-n: 1/2 scenarios passed at least 2 of their runs" in gated.notes
    assert gated.counts.passed == 3 and gated.pass_rate == 0.5  # counts stay per run


def test_k_of_n_passes_when_every_scenario_reaches_k():
    runs = [run(1, 10, P), run(2, 10, F), run(3, 20, F), run(4, 20, P)]
    gated = apply_gates(report(runs), GatePolicy(min_passes=1))
    assert gated.verdict is Verdict.PASSED and gated.exit_code == 0


def test_quarantined_failures_are_reported_but_do_not_gate():
    runs = [run(1, 10, P), run(2, 11, F, reason="flaky tool call")]
    gated = apply_gates(report(runs), GatePolicy(quarantine=frozenset({"scenario:11"})))
    assert gated.verdict is Verdict.PASSED and gated.exit_code == 0
    flagged = gated.runs[1]
    assert flagged.quarantined and not flagged.gating
    assert flagged.reason == "quarantined, not gating: flaky tool call"
    assert "quarantine: 1 run is reported but not gating" in gated.notes
    assert gated.counts.failed == 1  # still counted and shown


def test_quarantine_does_not_hide_other_failures():
    runs = [run(1, 10, F), run(2, 11, F)]
    gated = apply_gates(report(runs), GatePolicy(quarantine=frozenset({"scenario:11"})))
    assert gated.verdict is Verdict.FAILED and gated.exit_code == 1
    assert gated.runs[0].reason == "nope"


def test_new_failures_only_gate_on_regressions():
    base = report([run(1, 10, F), run(2, 11, P), run(3, 12, P)], result_id=7)
    now = report([run(11, 10, F), run(12, 11, P), run(13, 12, P)], result_id=8)
    policy = GatePolicy(baseline=base, fail_on="new-failures")
    gated = apply_gates(now, policy)
    assert gated.verdict is Verdict.PASSED  # 10 failed before too
    assert gated.runs[0].reason == "failing in baseline result 7 too, not gating: nope"
    assert gated.gate is not None and gated.gate.baseline_result_id == 7

    regressed = report([run(11, 10, F), run(12, 11, F), run(13, 12, P)], result_id=9)
    assert apply_gates(regressed, policy).verdict is Verdict.FAILED  # 11 is new


def test_a_new_scenario_that_fails_is_a_new_failure():
    base = report([run(1, 10, P)], result_id=7)
    now = report([run(11, 10, P), run(12, 99, F)], result_id=8)
    gated = apply_gates(now, GatePolicy(baseline=base, fail_on="new-failures"))
    assert gated.verdict is Verdict.FAILED


def test_fail_on_any_with_a_baseline_still_fails_on_known_failures():
    base = report([run(1, 10, F)], result_id=7)
    now = report([run(11, 10, F), run(12, 11, P)], result_id=8)
    gated = apply_gates(now, GatePolicy(baseline=base, fail_on="any"))
    assert gated.verdict is Verdict.FAILED and gated.runs[0].gating


def test_timeouts_still_exit_4_whatever_the_gates():
    import dataclasses

    timed_out = dataclasses.replace(report([run(1, 10, P)]), timed_out=True)
    gated = apply_gates(timed_out, GatePolicy(quarantine=frozenset({"scenario:10"})))
    assert gated.verdict is Verdict.FAILED and gated.exit_code == 4


def test_zero_runs_never_pass_even_with_gates():
    assert apply_gates(report([]), GatePolicy(min_passes=1)).verdict is Verdict.FAILED


def test_parse_quarantine_file():
    text = "# flaky since March\n12\n  34  # tool timeout\n\nlogin-happy-path\ncase:refund\n"
    assert parse_quarantine(text) == frozenset(
        {"scenario:12", "scenario:34", "case:login-happy-path", "case:refund"}
    )


def test_reasons_say_why_first_then_k_of_n_then_the_run_reason():
    runs = [run(1, 10, P), run(2, 10, F, reason="tool timeout"), run(3, 11, F), run(4, 11, P)]
    policy = GatePolicy(min_passes=2, quarantine=frozenset({"scenario:10"}))
    gated = apply_gates(report(runs), policy)
    assert (
        gated.runs[1].reason
        == "quarantined, not gating: scenario 1/2 passed (needs 2): tool timeout"
    )
    assert gated.runs[2].reason == "scenario 1/2 passed (needs 2): nope"  # 11 gates, and fails
    assert gated.verdict is Verdict.FAILED


def test_a_known_failure_that_now_reaches_k_is_not_called_a_baseline_failure():
    base = report([run(1, 10, F)], result_id=7)
    now = report([run(11, 10, P), run(12, 10, F)], result_id=8)
    gated = apply_gates(now, GatePolicy(min_passes=1, baseline=base, fail_on="new-failures"))
    assert gated.verdict is Verdict.PASSED
    assert gated.runs[1].gating  # the scenario passes k-of-n, so its runs gate (and pass)
    assert gated.runs[1].reason == "scenario 1/2 passed (needs 1): nope"


def test_the_notes_name_the_scenarios_below_k_with_their_k_of_n():
    runs = [run(1, 1, P), run(2, 1, F)]  # scenario 1 reaches 1/2
    runs += [run(100 + i, 20 + i, F) for i in range(12)]  # 20..31 at 0/1
    gated = apply_gates(report(runs), GatePolicy(min_passes=1))
    line = next(n for n in gated.notes if n.startswith("k-of-n: below 1 passes:"))
    assert line.startswith("k-of-n: below 1 passes: Scenario 20 (0/1), Scenario 21 (0/1)")
    assert line.endswith("Scenario 29 (0/1) and 2 more")
    assert "Scenario 1 (" not in line  # scenarios that reached K are not listed
