"""The CI-kit gates on top of ``--min-pass-rate``: k-of-n, quarantine, baseline. Pure.

Rules (PRODUCT.md §11, docs/ci/README.md):

- **units**: without ``--min-passes`` every run is a unit; with it, every scenario (or
  suite test case) is one unit that passes when at least K of its n runs passed, and
  each of its runs shows ``k/n``;
- **quarantine**: runs of quarantined scenarios are reported as usual but never gate;
  their reason says so in every report format;
- **baseline** with ``fail_on="new-failures"``: a unit that fails now *and* failed in
  the baseline is a known failure and does not gate; a unit that is new (absent from
  the baseline) and fails does gate. ``fail_on="any"`` only reports the comparison;
- **verdict**: passed iff there are runs, we neither timed out nor were interrupted, and
  the gating units reach ``min_pass_rate`` (every unit excluded from gating: passed);
- ``counts`` and ``pass_rate`` always describe every run, gated or not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cekura_cli.exit_codes import ExitCode
from cekura_cli.orchestration.shard import case_key, scenario_key
from cekura_cli.reporting.model import (
    Gate,
    Outcome,
    ResultReport,
    RunReport,
    ScenarioTally,
    Verdict,
)

FAIL_ON = ("any", "new-failures")


@dataclass(frozen=True)
class GatePolicy:
    """What ``cekura run`` was asked to gate on, besides ``--min-pass-rate``."""

    min_passes: int | None = None
    quarantine: frozenset[str] = frozenset()
    """Keys (``scenario:<id>`` / ``case:<key>``), see :func:`parse_quarantine`."""
    baseline: ResultReport | None = None
    fail_on: str = "any"

    @property
    def active(self) -> bool:
        return bool(self.min_passes or self.quarantine or self.baseline is not None)


def unit_key(run: RunReport) -> str:
    """The identity of the scenario or test case a run belongs to (stable across results)."""
    key = getattr(run, "case_key", None)  # suite test cases (docs/json-report.md)
    if key:
        return case_key(str(key))
    if run.scenario_id is not None:
        return scenario_key(run.scenario_id)
    return f"name:{run.scenario_name}"


def group_runs(runs: Iterable[RunReport]) -> dict[str, list[RunReport]]:
    """Runs by unit key, keys in order of first appearance."""
    groups: dict[str, list[RunReport]] = {}
    for run in runs:
        groups.setdefault(unit_key(run), []).append(run)
    return groups


def unit_failing(runs: Sequence[RunReport], tally: ScenarioTally | None = None) -> bool:
    """A unit fails when its k-of-n verdict failed, else when any of its runs did not pass."""
    if tally is not None:
        return tally.verdict is Verdict.FAILED
    return any(run.outcome is not Outcome.PASSED for run in runs)


def unit_status(report: ResultReport) -> dict[str, bool]:
    """``{key: failing}`` for every unit of ``report`` (k-of-n tallies win where present)."""
    tallies = {tally.key: tally for tally in report.scenarios}
    return {
        key: unit_failing(runs, tallies.get(key)) for key, runs in group_runs(report.runs).items()
    }


def parse_quarantine(text: str) -> frozenset[str]:
    """A quarantine file: one scenario id or case key a line, ``#`` starts a comment."""
    keys = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if entry.isdigit() and entry.isascii():
            keys.add(scenario_key(int(entry)))
        elif entry.startswith(("scenario:", "case:")):
            keys.add(entry)
        else:
            keys.add(case_key(entry))
    return frozenset(keys)


def describe_key(key: str) -> str:
    kind, _, value = key.partition(":")
    return {"scenario": f"scenario {value}", "case": f"case {value!r}"}.get(kind, value)


def apply_gates(report: ResultReport, policy: GatePolicy) -> ResultReport:
    """Flag quarantined runs and known failures, then decide the verdict again."""
    known: set[str] = set()
    if policy.baseline is not None and policy.fail_on == "new-failures":
        base = unit_status(policy.baseline)
        known = {key for key, failing in base.items() if failing}
    baseline_id = policy.baseline.result_id if policy.baseline is not None else None
    runs = [
        dataclasses.replace(run, quarantined=unit_key(run) in policy.quarantine)
        for run in report.runs
    ]
    gate = Gate(
        min_passes=policy.min_passes,
        fail_on=policy.fail_on,
        baseline_result_id=baseline_id,
        quarantine=tuple(sorted(policy.quarantine)),
    )
    flagged = dataclasses.replace(report, runs=tuple(runs), gate=gate)
    return decide(flagged, known_failures=known, label_runs=True)


def decide(
    report: ResultReport,
    *,
    known_failures: set[str] | None = None,
    label_runs: bool = False,
) -> ResultReport:
    """Verdict, exit code, k-of-n tallies and notes from the runs' flags and ``report.gate``.

    Used by :func:`apply_gates` and by ``cekura report merge`` (whose runs come flagged
    from the shard reports). A unit gates when none of its runs is quarantined and it is
    not in ``known_failures`` (nor flagged ``gating: false`` in a report read back).
    """
    gate = report.gate or Gate()
    min_passes = gate.min_passes
    known = known_failures or set()
    groups = group_runs(report.runs)
    tallies: dict[str, ScenarioTally] = {}
    gating_units: dict[str, bool] = {}  # key -> passed, for units that gate
    for key, runs in groups.items():
        quarantined = any(run.quarantined for run in runs)
        passed = sum(1 for run in runs if run.outcome is Outcome.PASSED)
        if min_passes is not None:
            tally = ScenarioTally(
                key=key,
                scenario_name=runs[0].scenario_name,
                passed=passed,
                runs=len(runs),
                min_passes=min_passes,
                verdict=Verdict.PASSED if passed >= min_passes else Verdict.FAILED,
                quarantined=quarantined,
            )
            tallies[key] = tally
        failing = unit_failing(runs, tallies.get(key))
        excluded = quarantined or (key in known and failing) or not all(r.gating for r in runs)
        if excluded:
            continue
        if min_passes is not None:
            gating_units[key] = not failing
        else:
            for run in runs:
                gating_units[f"{key}#{run.run_id}"] = run.outcome is Outcome.PASSED

    runs = _final_runs(report.runs, tallies, known, gate if label_runs else None)
    from cekura_cli.orchestration.verdict import meets_threshold

    total_units = len(gating_units)
    passed_units = sum(gating_units.values())
    if not report.runs:
        passes = False
    elif total_units == 0:
        passes = True  # every run is quarantined or a known failure
    else:
        passes = meets_threshold(passed_units, total_units, report.min_pass_rate)
    passes = passes and not (report.timed_out or report.interrupted)
    verdict = Verdict.PASSED if passes else Verdict.FAILED
    if report.interrupted:
        exit_code = ExitCode.INTERRUPTED
    elif report.timed_out:
        exit_code = ExitCode.TIMEOUT
    else:
        exit_code = ExitCode.OK if passes else ExitCode.TEST_FAILURES
    notes = list(report.notes) + _gate_notes(runs, tallies, gate, total_units, passed_units)
    return dataclasses.replace(
        report,
        runs=tuple(runs),
        verdict=verdict,
        exit_code=int(exit_code),
        scenarios=tuple(tallies.values()),
        notes=tuple(dict.fromkeys(notes)),
    )


def _final_runs(
    runs: Sequence[RunReport],
    tallies: Mapping[str, ScenarioTally],
    known: set[str],
    label: Gate | None,
) -> list[RunReport]:
    """Each run's ``gating`` and ``passes``; with ``label``, reasons that say why.

    The reason reads, in order: why it does not gate (a non-passing run only), the
    scenario's ``k/n`` (k-of-n only), then the run's own reason.
    """
    out = []
    for run in runs:
        key = unit_key(run)
        tally = tallies.get(key)
        known_failure = key in known and _fails(run, tally)
        gating = run.gating and not run.quarantined and not known_failure
        changes: dict[str, object] = {"gating": gating}
        parts: list[str] = []
        if run.outcome is not Outcome.PASSED and not gating:
            parts.append(
                "quarantined, not gating"
                if run.quarantined
                else f"failing in baseline result {label and label.baseline_result_id} too, "
                "not gating"
            )
        if tally is not None:
            changes["passes"] = f"{tally.passed}/{tally.runs}"
            parts.append(f"scenario {changes['passes']} passed (needs {tally.min_passes})")
        if label is not None and parts:
            changes["reason"] = ": ".join([*parts, run.reason] if run.reason else parts)
        out.append(dataclasses.replace(run, **changes))
    return out


def _fails(run: RunReport, tally: ScenarioTally | None) -> bool:
    if tally is not None:
        return tally.verdict is Verdict.FAILED
    return run.outcome is not Outcome.PASSED


def _gate_notes(
    runs: Sequence[RunReport],
    tallies: Mapping[str, ScenarioTally],
    gate: Gate,
    total_units: int,
    passed_units: int,
) -> list[str]:
    notes = []
    quarantined = sum(1 for run in runs if run.quarantined)
    if quarantined:
        noun = "run is" if quarantined == 1 else "runs are"
        notes.append(f"quarantine: {quarantined} {noun} reported but not gating")
    known = sum(1 for run in runs if not run.gating and not run.quarantined)
    if known:
        noun = "run fails" if known == 1 else "runs fail"
        notes.append(
            f"baseline: {known} {noun} as in baseline result {gate.baseline_result_id}; "
            "only new failures gate (--fail-on new-failures)"
        )
    if tallies:
        reached = sum(1 for t in tallies.values() if t.verdict is Verdict.PASSED)
        notes.append(
            f"k-of-n: {reached}/{len(tallies)} scenarios passed at least "
            f"{gate.min_passes} of their runs"
        )
        missed = [t for t in tallies.values() if t.verdict is Verdict.FAILED]
        if missed:
            shown = ", ".join(f"{t.scenario_name} ({t.passed}/{t.runs})" for t in missed[:10])
            more = f" and {len(missed) - 10} more" if len(missed) > 10 else ""
            notes.append(f"k-of-n: below {gate.min_passes} passes: {shown}{more}")
    if quarantined or known or tallies:
        unit = "scenarios" if tallies else "runs"
        notes.append(f"gate: {passed_units}/{total_units} gating {unit} passed")
    return notes
