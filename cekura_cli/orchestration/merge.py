"""``cekura report merge``: shard reports -> one report, one verdict, one exit code. Pure.

- reports of shards of one run (or of any different results) merge; a result given
  twice (same ``result_id`` and ``result_url``) is refused ("merging a report with
  itself"), and so are reports of different agents or with different ``--min-passes``;
- empty shards (``result_id`` 0, no runs: nothing was started) add nothing;
- runs keep their flags (quarantined, gating) and reasons from the shard runs, and
  the verdict is decided again over all of them (:func:`gating.decide`) with the
  strictest ``min_pass_rate`` of the inputs unless one is given;
- timed out / interrupted anywhere -> the merged report is too (exit 4 / 130).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

from cekura_cli.errors import UsageError
from cekura_cli.orchestration.gating import decide
from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict


def is_empty_shard(report: ResultReport) -> bool:
    return report.result_id == 0 and not report.runs


def merge_reports(
    reports: Sequence[tuple[str, ResultReport]], *, min_pass_rate: float | None = None
) -> ResultReport:
    """Merge ``(source, report)`` pairs; ``source`` (a file name) is for error messages."""
    if not reports:
        raise UsageError("report merge needs at least one report")
    seen: dict[tuple[int, str], str] = {}
    agents: dict[int, str] = {}
    min_passes: dict[int | None, str] = {}
    real: list[ResultReport] = []
    for source, report in reports:
        if report.agent_id is not None:
            agents.setdefault(report.agent_id, source)
        if is_empty_shard(report):
            continue
        identity = (report.result_id, report.result_url)
        if identity in seen:
            raise UsageError(
                f"{source} and {seen[identity]} are the same result "
                f"({report.result_id}): merging a report with itself is refused"
            )
        seen[identity] = source
        min_passes.setdefault(report.gate.min_passes if report.gate else None, source)
        real.append(report)
    if len(agents) > 1:
        (a, first), (b, second) = list(agents.items())[:2]
        raise UsageError(f"{second} is a report of agent {b}, {first} of agent {a}: not merged")
    if len(min_passes) > 1:
        raise UsageError("the reports used different --min-passes; merge reports of one run")
    if not real:
        # Every shard was empty: nothing ran anywhere, which never passes.
        real = [reports[0][1]]
    threshold = min_pass_rate if min_pass_rate is not None else max(r.min_pass_rate for r in real)
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"--min-pass-rate must be between 0 and 1, got {threshold}")
    runs = _unique_case_names([run for report in real for run in report.runs])
    tally = Counter(run.outcome for run in runs)
    total = len(runs)
    first = real[0]
    shards = sorted({r.shard for r in reports_of(reports) if r.shard})
    notes = [f"merged {len(real)} reports: results {', '.join(str(r.result_id) for r in real)}"]
    if shards:
        notes.append(f"shards: {', '.join(shards)}")
    gates = [r.gate for r in real if r.gate is not None]
    gate = None
    if gates:
        quarantine = tuple(sorted({key for g in gates for key in g.quarantine}))
        gate = dataclasses.replace(gates[0], quarantine=quarantine)
    merged = ResultReport(
        result_id=first.result_id,
        result_url=first.result_url,
        name=first.name,
        status=_status(real),
        verdict=Verdict.FAILED,
        exit_code=1,
        counts=Counts(
            total=total,
            passed=tally[Outcome.PASSED],
            failed=tally[Outcome.FAILED],
            errored=tally[Outcome.ERROR],
        ),
        pass_rate=tally[Outcome.PASSED] / total if total else 0.0,
        min_pass_rate=threshold,
        runs=tuple(runs),
        elapsed_s=max((r.elapsed_s for r in real if r.elapsed_s is not None), default=None),
        timed_out=any(r.timed_out for r in real),
        interrupted=any(r.interrupted for r in real),
        notes=tuple(notes),
        agent_id=next(iter(agents), None),
        shard=None,
        gate=gate,
        merged_from=tuple(r.result_id for r in real),
    )
    return decide(merged)


def reports_of(pairs: Sequence[tuple[str, ResultReport]]) -> list[ResultReport]:
    return [report for _, report in pairs]


def _status(reports: Sequence[ResultReport]) -> str:
    statuses = [r.status for r in reports]
    return next((s for s in statuses if s != "completed"), "completed")


def _unique_case_names(runs: list[RunReport]) -> list[RunReport]:
    """Test case names stay unique in one file: a repeated name gets `` (run <id>)``."""
    counts = Counter(run.case_name for run in runs)
    return [
        dataclasses.replace(run, case_name=f"{run.case_name} (run {run.run_id})")
        if counts[run.case_name] > 1
        else run
        for run in runs
    ]
