"""Suite identity in the report: each run's ``case_key``, and skipped cases. Pure.

The service creates a scenario per posted case and names its runs after the case, so a
run is matched to its case by the scenario id the start response gave it, else by its
scenario name (names are unique in a valid suite). A case that was selected but not
run (no ``local:`` block in a ``--local`` run) is added as a ``skipped`` entry: it
counts in ``counts.skipped``, never in ``total`` or the pass rate, so it can neither
pass nor fail the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from cekura_cli.reporting.model import Outcome, ResultReport, RunReport
from cekura_cli.suite.model import SuiteCase

SKIP_REASON = "no local: block; this case runs only against the service"


def skipped_entry(case: SuiteCase, reason: str = SKIP_REASON) -> RunReport:
    return RunReport(
        run_id=None,
        scenario_id=None,
        scenario_name=case.name,
        case_name=case.name,
        status="skipped",
        success=None,
        outcome=Outcome.SKIPPED,
        reason=reason,
        transcript=None,
        url=None,
        case_key=case.key,
    )


def add_suite_identity(
    report: ResultReport,
    cases: Sequence[SuiteCase],
    *,
    case_by_scenario_id: Mapping[int, SuiteCase],
    skipped: Sequence[SuiteCase] = (),
) -> ResultReport:
    """``report`` with ``case_key`` on every run it can place, and ``skipped`` cases added."""
    by_name = {case.name.strip().casefold(): case for case in cases}
    runs = []
    for run in report.runs:
        case = case_by_scenario_id.get(run.scenario_id) if run.scenario_id is not None else None
        if case is None:
            case = by_name.get(run.scenario_name.strip().casefold())
        runs.append(replace(run, case_key=case.key) if case is not None else run)
    runs.extend(skipped_entry(case) for case in skipped)
    counts = replace(report.counts, skipped=len(skipped))
    notes = report.notes
    if skipped:
        noun = "case" if len(skipped) == 1 else "cases"
        notes = (*notes, f"{len(skipped)} {noun} skipped: no local: block (service only)")
    return replace(report, runs=tuple(runs), counts=counts, notes=notes)


def cases_by_scenario(
    runs: Sequence[Any], cases: Sequence[SuiteCase], *, frequency: int | None = None
) -> dict[int, SuiteCase]:
    """Which case each scenario id of a start response belongs to.

    By the run's ``scenario_name`` (names are unique in a valid suite); where the service
    named a run differently, by position, if the response lists exactly one run per
    posted case and repetition, in the posted order (the shape the service answers with).
    """
    by_name = {case.name.strip().casefold(): case for case in cases}
    expanded = [case for case in cases for _ in range(frequency or case.frequency)]
    positional = len(runs) == len(expanded)
    mapping: dict[int, SuiteCase] = {}
    for position, run in enumerate(runs):
        if run.scenario is None:
            continue
        case = by_name.get((run.scenario_name or "").strip().casefold())
        if case is None and positional:
            case = expanded[position]
        if case is not None:
            mapping.setdefault(run.scenario, case)
    return mapping


def identity_decorator(
    cases: Sequence[SuiteCase],
    case_by_scenario_id: Mapping[int, SuiteCase],
    skipped: Sequence[SuiteCase] = (),
) -> Callable[[ResultReport], ResultReport]:
    """The report hook ``runner.ReportOptions.decorate`` takes for a suite run."""

    def decorate(report: ResultReport) -> ResultReport:
        return add_suite_identity(
            report, cases, case_by_scenario_id=case_by_scenario_id, skipped=skipped
        )

    return decorate
