"""From a result and its runs to the :class:`ResultReport` every reporter renders.

Rules (PRODUCT.md §3; per-run rules in :mod:`.outcome`, reasons in :mod:`.reasons`):

- counts: ``total`` runs, of which ``passed``, ``failed`` (a check failed) and
  ``errored`` (infrastructure or unfinished); they always sum to ``total``;
- ``pass_rate = passed / total`` from the runs, never the service's ``success_rate``
  (its scale varies); 0.0 when there are no runs;
- verdict PASSED iff ``total > 0`` and ``pass_rate >= min_pass_rate`` and we neither
  timed out nor were interrupted. The comparison forgives 1e-9 of float rounding
  (``0.1 + 0.2`` vs 3/10 passes) but nothing more: 2 of 3 runs do not reach 0.6667;
- exit code: interrupted -> 130, timed out -> 4, verdict failed -> 1, else 0;
- runs come from ``runs/bulk`` (detailed) merged by id with ``result.runs`` (summary),
  detailed fields winning, so a run the bulk call missed is still reported; ordered
  by ascending run id (the service's order);
- names: the run's ``scenario_name``, else ``scenario_names[scenario]``, else
  ``scenario <id>`` (``run <id>`` when even the scenario id is unknown); the case name
  adds `` #n`` (1-based by ascending run id) only for scenarios that ran more than once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from cekura_cli.api.models import Result, Run, Status
from cekura_cli.errors import UsageError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.orchestration.outcome import run_outcome, run_passed
from cekura_cli.orchestration.reasons import failure_reason, render_transcript
from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict
from cekura_cli.wording import count

__all__ = [
    "PASS_RATE_EPSILON",
    "build_report",
    "failure_reason",
    "merge_runs",
    "meets_threshold",
    "render_transcript",
    "run_outcome",
    "run_passed",
]

PASS_RATE_EPSILON = 1e-9
"""Float rounding forgiven when comparing the pass rate with ``--min-pass-rate``."""


def merge_runs(summary: Iterable[Run], detailed: Iterable[Run]) -> list[Run]:
    """Union by run id, ascending; a detailed run's fields win where it has them.

    A field the detailed run does not carry (absent or null) keeps the summary's
    value, and an unrecognised detailed status does not overwrite a known one.
    """
    merged: dict[int, Run] = {}
    for run in summary:
        merged[run.id] = _overlay(merged[run.id], run) if run.id in merged else run
    for run in detailed:
        merged[run.id] = _overlay(merged[run.id], run) if run.id in merged else run
    return [merged[run_id] for run_id in sorted(merged)]


def _overlay(base: Run, update: Run) -> Run:
    changes = {}
    for name in update.model_fields_set:
        value = getattr(update, name)
        if value is None:
            continue
        if name == "status" and value is Status.UNKNOWN and base.status is not Status.UNKNOWN:
            continue
        changes[name] = value
    return base.model_copy(update=changes) if changes else base


def meets_threshold(passed: int, total: int, min_pass_rate: float) -> bool:
    """``passed / total >= min_pass_rate`` with float rounding forgiven; False if no runs."""
    if total <= 0:
        return False
    return passed / total >= min_pass_rate - PASS_RATE_EPSILON


def _check_min_pass_rate(min_pass_rate: float) -> None:
    # NaN fails both comparisons, so this also rejects it.
    if not (0.0 <= min_pass_rate <= 1.0):
        raise UsageError(f"--min-pass-rate must be between 0 and 1, got {min_pass_rate}")


def _scenario_name(run: Run, scenario_names: Mapping[int, str]) -> str:
    if run.scenario_name and run.scenario_name.strip():
        return run.scenario_name.strip()
    if run.scenario is not None:
        known = scenario_names.get(run.scenario)
        if known and known.strip():
            return known.strip()
        return f"scenario {run.scenario}"
    return f"run {run.id}"


def _case_names(runs: Sequence[Run], names: Sequence[str]) -> list[str]:
    """Scenario name plus `` #n`` for repeats; ``runs`` are in ascending id order."""
    keys = [
        ("id", run.scenario) if run.scenario is not None else ("name", name)
        for run, name in zip(runs, names, strict=True)
    ]
    occurrences = Counter(keys)
    seen: Counter[tuple[str, object]] = Counter()
    case_names = []
    for key, name in zip(keys, names, strict=True):
        if occurrences[key] > 1:
            seen[key] += 1
            case_names.append(f"{name} #{seen[key]}")
        else:
            case_names.append(name)
    return case_names


def _notes(result: Result, runs: Sequence[Run], *, timed_out: bool, interrupted: bool) -> list[str]:
    notes: list[str] = []
    if not runs:
        notes.append("the result has no runs, so it cannot pass")
    unfinished = sum(1 for run in runs if not run.status.is_terminal)
    if unfinished:
        noun = "run" if unfinished == 1 else "runs"
        why = " (interrupted)" if interrupted else " (timed out)" if timed_out else ""
        notes.append(f"{unfinished} {noun} had not finished{why}")
    listed = len(runs)
    expected = result.total_runs_count
    if expected is not None and expected > listed:
        notes.append(f"the service counts {count(expected, 'run')} but listed {listed}")
    return notes


def build_report(
    result: Result,
    runs: Sequence[Run],
    *,
    # the gate
    min_pass_rate: float,
    # links and names
    result_url: str,
    run_url: Callable[[int], str] | None = None,
    scenario_names: Mapping[int, str] | None = None,
    scenario_tags: Mapping[int, Sequence[str]] | None = None,
    # how the wait ended
    elapsed_s: float | None = None,
    timed_out: bool = False,
    interrupted: bool = False,
) -> ResultReport:
    """The report of ``result`` (see the module docstring for every rule).

    ``runs`` are the detailed runs (from ``runs/bulk``); pass ``[]`` to report from
    ``result.runs`` alone. Raises :class:`UsageError` for a ``min_pass_rate`` outside
    0..1; never for odd run data.
    """
    _check_min_pass_rate(min_pass_rate)
    merged = merge_runs(result.runs, runs)
    names = [_scenario_name(run, scenario_names or {}) for run in merged]
    case_names = _case_names(merged, names)

    reports: list[RunReport] = []
    tally: Counter[Outcome] = Counter()
    for run, name, case_name in zip(merged, names, case_names, strict=True):
        outcome = run_outcome(run)
        tally[outcome] += 1
        reports.append(
            RunReport(
                run_id=run.id,
                scenario_id=run.scenario,
                scenario_name=name,
                case_name=case_name,
                status=run.status.value,
                success=run.success,
                outcome=outcome,
                reason=failure_reason(run),
                transcript=render_transcript(run),
                url=run_url(run.id) if run_url is not None else None,
                duration_s=run.duration,
                tags=tuple((scenario_tags or {}).get(run.scenario, ()))
                if run.scenario is not None
                else (),
            )
        )

    total = len(merged)
    passed = tally[Outcome.PASSED]
    counts = Counts(
        total=total, passed=passed, failed=tally[Outcome.FAILED], errored=tally[Outcome.ERROR]
    )
    pass_rate = passed / total if total else 0.0
    passes = meets_threshold(passed, total, min_pass_rate) and not (timed_out or interrupted)
    verdict = Verdict.PASSED if passes else Verdict.FAILED
    if interrupted:
        exit_code = ExitCode.INTERRUPTED
    elif timed_out:
        exit_code = ExitCode.TIMEOUT
    elif verdict is Verdict.FAILED:
        exit_code = ExitCode.TEST_FAILURES
    else:
        exit_code = ExitCode.OK

    return ResultReport(
        result_id=result.id,
        result_url=result_url,
        name=result.name,
        status=result.status.value,
        verdict=verdict,
        exit_code=int(exit_code),
        counts=counts,
        pass_rate=pass_rate,
        min_pass_rate=min_pass_rate,
        runs=tuple(reports),
        elapsed_s=elapsed_s,
        timed_out=timed_out,
        interrupted=interrupted,
        notes=tuple(_notes(result, merged, timed_out=timed_out, interrupted=interrupted)),
        agent_id=result.agent,
    )
