"""The report model: what every reporter renders. Pure data, no I/O.

Built by :mod:`cekura_cli.orchestration.verdict` from a finished (or timed-out /
interrupted) result; rendered by the reporters in this package (console table, JSON,
JUnit XML, GitHub step summary / annotations / outputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Outcome(str, Enum):
    """How one run ended, for reporting."""

    PASSED = "passed"
    FAILED = "failed"  # the conversation happened and a check failed
    ERROR = "error"  # infrastructure: connection failure, error_message, timeout, cancelled,
    # or the run had not finished when we stopped waiting
    SKIPPED = "skipped"  # a suite case that was not run (no local: block in a --local run)


class Verdict(str, Enum):
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunReport:
    run_id: int | None
    """None only for a skipped case (nothing ran)."""
    scenario_id: int | None
    scenario_name: str
    case_name: str
    """Scenario name, with ``#n`` appended when the scenario ran more than once."""
    status: str
    """The run's status value (``completed``, ``failed``, ``timeout``, …)."""
    success: bool | None
    outcome: Outcome
    reason: str | None
    """Why it failed: error message, failed metric or expected-outcome explanation."""
    transcript: str | None
    url: str | None
    duration_s: float | None = None
    quarantined: bool = False
    """Listed in ``--quarantine``: reported, but never gates the verdict."""
    gating: bool = True
    """Whether this run counts toward the verdict (not quarantined, not a known failure)."""
    passes: str | None = None
    """With ``--min-passes``: its scenario's ``k/n`` (passed runs / runs), e.g. ``2/3``."""
    tags: tuple[str, ...] = ()
    """The scenario's tags, when the selection was resolved (``run``); empty otherwise."""
    case_key: str | None = None
    """The suite case's ``key`` (``--suite`` runs): its identity across renames."""

    @property
    def test_name(self) -> str:
        """JUnit testcase name: the case key (plus ``#n`` for repeats), else the case name."""
        if not self.case_key:
            return self.case_name
        repeat = self.case_name[len(self.scenario_name) :]
        return self.case_key + (repeat if self.case_name.startswith(self.scenario_name) else "")


@dataclass(frozen=True, slots=True)
class ScenarioTally:
    """One scenario's k-of-n verdict (``--repeat N --min-passes K``)."""

    key: str
    """``scenario:<id>`` or ``case:<key>`` (see :mod:`cekura_cli.orchestration.shard`)."""
    scenario_name: str
    passed: int
    runs: int
    min_passes: int
    verdict: Verdict
    quarantined: bool = False


@dataclass(frozen=True, slots=True)
class Gate:
    """The gates ``cekura run`` applied on top of ``--min-pass-rate``."""

    min_passes: int | None = None
    fail_on: str = "any"
    """``any`` or ``new-failures`` (with a baseline)."""
    baseline_result_id: int | None = None
    quarantine: tuple[str, ...] = ()
    """Quarantined keys (``scenario:<id>`` / ``case:<key>``) as given."""


@dataclass(frozen=True, slots=True)
class Counts:
    total: int
    passed: int
    failed: int
    errored: int
    skipped: int = 0
    """Suite cases reported but not run; not part of ``total`` or the pass rate."""


@dataclass(frozen=True, slots=True)
class ResultReport:
    result_id: int
    result_url: str
    name: str | None
    status: str
    verdict: Verdict
    exit_code: int
    counts: Counts
    pass_rate: float
    """passed / total, 0..1; 0.0 when there are no runs."""
    min_pass_rate: float
    runs: tuple[RunReport, ...]
    """In the service's order (ascending run id). Reporters sort failures first themselves."""
    elapsed_s: float | None = None
    timed_out: bool = False
    interrupted: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Extra one-line remarks for humans (e.g. "3 runs had not finished")."""
    agent_id: int | None = None
    """The agent under test, when the service said: stable across runs (JUnit classname)."""
    shard: str | None = None
    """``K/N`` when the run was one shard of a split selection."""
    gate: Gate | None = None
    """The CI-kit gates in force (k-of-n, quarantine, baseline), if any."""
    scenarios: tuple[ScenarioTally, ...] = ()
    """With ``--min-passes``: one k-of-n verdict per scenario."""
    merged_from: tuple[int, ...] = ()
    """``cekura report merge``: the result ids merged into this report."""

    def failures_first(self) -> list[RunReport]:
        """Runs ordered errors, then failures, then passes; stable within each group."""
        order = {Outcome.ERROR: 0, Outcome.FAILED: 1, Outcome.PASSED: 2, Outcome.SKIPPED: 3}
        return sorted(self.runs, key=lambda run: order[run.outcome])


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of a result while we wait for it."""

    result_id: int
    status: str
    total: int
    done: int
    passed: int
    failed: int
    elapsed_s: float
