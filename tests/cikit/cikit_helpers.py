"""Small builders for CI-kit tests: runs and reports without any service."""

from __future__ import annotations

from collections.abc import Sequence

from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict


def run(
    run_id: int,
    scenario_id: int | None,
    outcome: Outcome = Outcome.PASSED,
    *,
    name: str | None = None,
    reason: str | None = None,
) -> RunReport:
    return RunReport(
        run_id=run_id,
        scenario_id=scenario_id,
        scenario_name=name or f"Scenario {scenario_id}",
        case_name=name or f"Scenario {scenario_id}",
        status="completed",
        success=outcome is Outcome.PASSED,
        outcome=outcome,
        reason=reason if reason is not None else (None if outcome is Outcome.PASSED else "nope"),
        transcript=None,
        url=f"http://127.0.0.1/1/results/1?runId={run_id}",
    )


def report(
    runs: Sequence[RunReport],
    *,
    result_id: int = 1,
    url: str | None = None,
    agent_id: int | None = 1,
    min_pass_rate: float = 1.0,
) -> ResultReport:
    passed = sum(1 for r in runs if r.outcome is Outcome.PASSED)
    failed = sum(1 for r in runs if r.outcome is Outcome.FAILED)
    total = len(runs)
    ok = total > 0 and passed / total >= min_pass_rate
    return ResultReport(
        result_id=result_id,
        result_url=url or f"http://127.0.0.1/1/results/{result_id}",
        name="nightly",
        status="completed",
        verdict=Verdict.PASSED if ok else Verdict.FAILED,
        exit_code=0 if ok else 1,
        counts=Counts(total=total, passed=passed, failed=failed, errored=total - passed - failed),
        pass_rate=passed / total if total else 0.0,
        min_pass_rate=min_pass_rate,
        runs=tuple(runs),
        agent_id=agent_id,
    )


P, F, E = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR
