"""run_outcome, merge_runs and build_report: exact reports for every verdict rule."""

from __future__ import annotations

import pytest

from cekura_cli.api.models import Result, Run, Status
from cekura_cli.errors import UsageError
from cekura_cli.orchestration.verdict import (
    build_report,
    meets_threshold,
    merge_runs,
    run_outcome,
    run_passed,
)
from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict

URL = "https://dashboard.cekura.ai/3/results/7"


def run(run_id: int, **fields) -> Run:
    return Run.model_validate({"id": run_id, **fields})


def result(runs=(), status: str = "completed", **fields) -> Result:
    runs = runs if isinstance(runs, dict) else list(runs)  # detail views key runs by id
    return Result.model_validate({"id": 7, "status": status, "runs": runs, **fields})


def ok(run_id: int, scenario: int = 1, **fields) -> dict:
    return {"id": run_id, "scenario": scenario, "status": "completed", "success": True, **fields}


def bad(run_id: int, scenario: int = 1, **fields) -> dict:
    return {"id": run_id, "scenario": scenario, "status": "completed", "success": False, **fields}


def report(runs, *, min_pass_rate: float = 1.0, **kwargs) -> ResultReport:
    return build_report(result(runs), [], min_pass_rate=min_pass_rate, result_url=URL, **kwargs)


# run_outcome -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "success", "error_message", "outcome"),
    [
        ("completed", True, None, Outcome.PASSED),
        ("completed", True, "transient hiccup", Outcome.PASSED),
        ("completed", False, None, Outcome.FAILED),
        ("completed", None, None, Outcome.FAILED),  # success missing is not a pass
        ("completed", False, "socket closed", Outcome.ERROR),
        ("failed", True, None, Outcome.FAILED),  # failed status wins over success
        ("failed", False, None, Outcome.FAILED),
        ("failed", None, "could not connect", Outcome.ERROR),
        ("timeout", True, None, Outcome.ERROR),
        ("timeout", False, None, Outcome.ERROR),
        ("cancelled", None, None, Outcome.ERROR),
        ("pending", None, None, Outcome.ERROR),
        ("in_queue", None, None, Outcome.ERROR),
        ("scaling_up", None, None, Outcome.ERROR),
        ("running", None, None, Outcome.ERROR),
        ("in_progress", True, None, Outcome.ERROR),
        ("evaluating", None, None, Outcome.ERROR),
        ("mystery", True, None, Outcome.ERROR),  # unknown status: not finished
    ],
)
def test_run_outcome(status, success, error_message, outcome):
    subject = run(1, status=status, success=success, error_message=error_message)
    assert run_outcome(subject) is outcome
    assert run_passed(subject) is (outcome is Outcome.PASSED)


def test_success_given_as_string_is_coerced_by_the_model():
    assert run_passed(run(1, status="COMPLETED", success="true"))
    assert not run_passed(run(1, status="completed", success="maybe"))


# the verdict -----------------------------------------------------------------------------


def test_all_passed_report_exactly():
    got = build_report(
        result([ok(11, 5), ok(12, 6)], name="CI · main@abc1234"),
        [],
        min_pass_rate=1.0,
        result_url=URL,
        run_url=lambda run_id: f"{URL}?runId={run_id}",
        scenario_names={5: "Booking", 6: "Refund"},
        elapsed_s=12.5,
    )
    assert got == ResultReport(
        result_id=7,
        result_url=URL,
        name="CI · main@abc1234",
        status="completed",
        verdict=Verdict.PASSED,
        exit_code=0,
        counts=Counts(total=2, passed=2, failed=0, errored=0),
        pass_rate=1.0,
        min_pass_rate=1.0,
        runs=(
            RunReport(
                run_id=11,
                scenario_id=5,
                scenario_name="Booking",
                case_name="Booking",
                status="completed",
                success=True,
                outcome=Outcome.PASSED,
                reason=None,
                transcript=None,
                url=f"{URL}?runId=11",
            ),
            RunReport(
                run_id=12,
                scenario_id=6,
                scenario_name="Refund",
                case_name="Refund",
                status="completed",
                success=True,
                outcome=Outcome.PASSED,
                reason=None,
                transcript=None,
                url=f"{URL}?runId=12",
            ),
        ),
        elapsed_s=12.5,
        notes=(),
    )


def test_mixed_outcomes_are_counted_and_fail_the_default_threshold():
    got = report(
        [
            ok(1),
            bad(2),
            {"id": 3, "status": "timeout"},
            {"id": 4, "status": "failed", "error_message": "refused"},
            {"id": 5, "status": "cancelled"},
            {"id": 6, "status": "failed"},
        ]
    )
    assert got.counts == Counts(total=6, passed=1, failed=2, errored=3)
    assert got.pass_rate == 1 / 6
    assert got.verdict is Verdict.FAILED
    assert got.exit_code == 1
    assert [r.outcome for r in got.runs] == [
        Outcome.PASSED,
        Outcome.FAILED,
        Outcome.ERROR,
        Outcome.ERROR,
        Outcome.ERROR,
        Outcome.FAILED,
    ]
    assert [r.reason for r in got.runs] == [
        None,
        "success: false",
        "status: timeout",
        "refused",
        "status: cancelled",
        "status: failed",
    ]


def test_pass_rate_ignores_success_rate():
    got = build_report(
        result([ok(1), bad(2)], success_rate=100), [], min_pass_rate=1.0, result_url=URL
    )
    assert got.pass_rate == 0.5
    assert got.verdict is Verdict.FAILED


def test_zero_runs_never_pass():
    got = report([], min_pass_rate=0.0)
    assert got.counts == Counts(total=0, passed=0, failed=0, errored=0)
    assert got.pass_rate == 0.0
    assert got.verdict is Verdict.FAILED
    assert got.exit_code == 1
    assert got.notes == ("the result has no runs, so it cannot pass",)


@pytest.mark.parametrize(
    ("passed", "total", "min_pass_rate", "verdict"),
    [
        (3, 3, 1.0, Verdict.PASSED),
        (2, 3, 1.0, Verdict.FAILED),
        (2, 3, 2 / 3, Verdict.PASSED),  # exactly equal passes
        (2, 3, 0.66, Verdict.PASSED),
        (2, 3, 0.6667, Verdict.FAILED),  # 0.6666… is below 0.6667: no fudging beyond 1e-9
        (3, 10, 0.1 + 0.2, Verdict.PASSED),  # 0.30000000000000004 vs 3/10: rounding forgiven
        (7, 10, 0.7, Verdict.PASSED),
        (6, 10, 0.7, Verdict.FAILED),
        (1, 2, 0.5, Verdict.PASSED),
        (0, 4, 0.0, Verdict.PASSED),  # a zero threshold only needs some runs
        (99, 100, 0.99, Verdict.PASSED),
        (98, 100, 0.99, Verdict.FAILED),
    ],
)
def test_min_pass_rate_boundaries(passed, total, min_pass_rate, verdict):
    runs = [ok(i) if i <= passed else bad(i) for i in range(1, total + 1)]
    got = report(runs, min_pass_rate=min_pass_rate)
    assert got.verdict is verdict
    assert got.exit_code == (0 if verdict is Verdict.PASSED else 1)
    assert meets_threshold(passed, total, min_pass_rate) is (verdict is Verdict.PASSED)


@pytest.mark.parametrize("rate", [-0.1, 1.01, float("nan"), float("inf")])
def test_min_pass_rate_outside_0_1_is_a_usage_error(rate):
    with pytest.raises(UsageError, match="--min-pass-rate must be between 0 and 1"):
        report([ok(1)], min_pass_rate=rate)


def test_timed_out_fails_with_exit_4_even_if_every_finished_run_passed():
    got = build_report(
        result([ok(1), {"id": 2, "status": "running"}, {"id": 3, "status": "pending"}], "running"),
        [],
        min_pass_rate=0.1,
        result_url=URL,
        timed_out=True,
    )
    assert got.verdict is Verdict.FAILED
    assert got.exit_code == 4
    assert got.counts == Counts(total=3, passed=1, failed=0, errored=2)
    assert got.status == "running"
    assert got.notes == ("2 runs had not finished (timed out)",)
    assert got.runs[1].reason == "did not finish (status: running)"


def test_interrupted_wins_over_timed_out():
    got = report([ok(1), {"id": 2, "status": "evaluating"}], timed_out=True, interrupted=True)
    assert (got.verdict, got.exit_code) == (Verdict.FAILED, 130)
    assert got.notes == ("1 run had not finished (interrupted)",)
    assert (got.timed_out, got.interrupted) == (True, True)


def test_a_completed_result_with_an_unfinished_run_notes_it():
    got = report([ok(1), {"id": 2, "status": "evaluating"}], min_pass_rate=0.5)
    assert got.notes == ("1 run had not finished",)
    assert got.verdict is Verdict.PASSED


def test_note_when_the_service_counts_more_runs_than_it_listed():
    got = build_report(result([ok(1)], total_runs_count="3"), [], min_pass_rate=1.0, result_url=URL)
    assert got.notes == ("the service counts 3 runs but listed 1",)


# names -------------------------------------------------------------------------------------


def test_repeated_scenarios_get_numbered_by_ascending_run_id():
    got = report(
        [
            ok(30, 1, scenario_name="Login"),
            ok(10, 1, scenario_name="Login"),
            ok(20, 2, scenario_name="Refund"),
            ok(40, 1, scenario_name="Login"),
            ok(50, 3, scenario_name="Solo"),
            ok(60, 2, scenario_name="Refund"),
        ]
    )
    assert [(r.run_id, r.case_name) for r in got.runs] == [
        (10, "Login #1"),
        (20, "Refund #1"),
        (30, "Login #2"),
        (40, "Login #3"),
        (50, "Solo"),
        (60, "Refund #2"),
    ]


def test_two_scenarios_with_the_same_name_are_not_numbered_as_repeats():
    got = report([ok(1, 1, scenario_name="Same"), ok(2, 2, scenario_name="Same")])
    assert [r.case_name for r in got.runs] == ["Same", "Same"]


def test_scenario_name_fallbacks():
    got = report(
        [
            ok(1, 5, scenario_name=" From run "),
            ok(2, 6),
            ok(3, 8, scenario_name=""),
            {"id": 4, "status": "completed", "success": True},
            {"id": 5, "status": "completed", "success": True},
        ],
        scenario_names={5: "From list", 6: "Listed", 8: " "},
    )
    assert [(r.scenario_id, r.scenario_name, r.case_name) for r in got.runs] == [
        (5, "From run", "From run"),
        (6, "Listed", "Listed"),
        (8, "scenario 8", "scenario 8"),
        (None, "run 4", "run 4"),
        (None, "run 5", "run 5"),
    ]


# merging detail and bulk runs --------------------------------------------------------------


def test_detailed_runs_win_and_none_is_lost():
    summary = result(
        {
            "12": {"status": "completed", "scenario": 2, "scenario_name": "B"},
            "11": {"status": "running", "scenario": 1, "scenario_name": "A"},
            "13": {"status": "completed", "scenario": 3, "scenario_name": "C", "success": True},
        }
    )
    detailed = [
        run(11, status="completed", success=False, error_message=None, duration=3.5),
        run(12, status="completed", success=True, transcript="Main Agent: hi"),
        run(14, status="timeout", scenario=4),  # listed by bulk only: kept as well
    ]
    got = build_report(summary, detailed, min_pass_rate=0.5, result_url=URL)
    assert [
        (r.run_id, r.scenario_name, r.status, r.success, r.outcome, r.transcript, r.duration_s)
        for r in got.runs
    ] == [
        (11, "A", "completed", False, Outcome.FAILED, None, 3.5),
        (12, "B", "completed", True, Outcome.PASSED, "Main Agent: hi", None),
        (13, "C", "completed", True, Outcome.PASSED, None, None),  # bulk missed it
        (14, "scenario 4", "timeout", None, Outcome.ERROR, None, None),
    ]
    assert got.counts == Counts(total=4, passed=2, failed=1, errored=1)
    assert got.verdict is Verdict.PASSED


def test_merge_keeps_known_fields_the_detail_lacks():
    summary = [run(1, status="completed", scenario=9, scenario_name="Nine", success=True)]
    detail = [run(1, status="weird_new_status", transcript="x")]
    (merged,) = merge_runs(summary, detail)
    assert merged.status is Status.COMPLETED  # unknown does not overwrite a known status
    assert (merged.scenario, merged.scenario_name, merged.success) == (9, "Nine", True)
    assert merged.transcript == "x"


def test_merge_lets_a_fresh_detail_status_replace_the_summary():
    (merged,) = merge_runs([run(1, status="running")], [run(1, status="cancelled")])
    assert merged.status is Status.CANCELLED


def test_merge_of_duplicates_within_one_source():
    merged = merge_runs([], [run(2, status="running"), run(1), run(2, status="completed")])
    assert [(r.id, r.status) for r in merged] == [
        (1, Status.UNKNOWN),
        (2, Status.COMPLETED),
    ]
