"""The trend across many JSON reports (a nightly's artefacts): the pass rate per report
and the scenarios ordered by how often they failed. Pure: documents in, a model out.

Reading the files is :func:`cekura_cli.reporting.trend_page.load_reports`; this module
works on the parsed JSON documents only, so it is tested directly.

Order: reports are ordered by result id (the service numbers results in the order they
were created), then by file name; ``Trend.points`` is newest first. A ``--local`` run
always has result id 1, so its nightly files should carry the date in their names
(``report-2026-11-30.json``), which then decides.

A scenario is identified by its ``scenario_id`` (by its name when the id is missing).
"Failed" counts runs with outcome ``failed`` or ``error``: either way the scenario did
not pass that night.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ReportFile",
    "ScenarioTrend",
    "Trend",
    "TrendPoint",
    "build_trend",
    "is_report",
]

FAILING = frozenset({"failed", "error"})
_WORST = {"error": 3, "failed": 2, "passed": 1, "skipped": 0}
"""Which outcome a scenario's history shows when it ran several times in one report.
``skipped`` neither passes nor fails; any other unknown outcome counts as an error."""


@dataclass(frozen=True, slots=True)
class ReportFile:
    """One parsed JSON report and where it came from."""

    source: str
    """The file's path relative to the directory read (its label in the trend)."""
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    source: str
    result_id: int | None
    name: str | None
    result_url: str | None
    total: int
    passed: int
    failed: int
    """Runs that did not pass (outcome ``failed`` or ``error``)."""
    pass_rate: float
    """``passed / total`` (0.0 with no runs), computed from the counts."""
    min_pass_rate: float | None
    verdict: str


@dataclass(frozen=True, slots=True)
class ScenarioTrend:
    key: str
    """``id:<scenario_id>`` or ``name:<scenario name>``."""
    name: str
    """Its name in the newest report it appears in."""
    failed_runs: int
    runs: int
    reports_failed: int
    """Reports in which at least one of its runs did not pass."""
    reports: int
    history: tuple[str | None, ...]
    """Per point, newest first: its worst outcome in that report, ``None`` if absent."""
    last_reason: str | None
    """The reason of its newest failing run."""
    last_failure_url: str | None


@dataclass(frozen=True, slots=True)
class Trend:
    points: tuple[TrendPoint, ...]
    """Newest first."""
    scenarios: tuple[ScenarioTrend, ...]
    """Most failed runs first; ties: failed most recently, then by name."""
    skipped: tuple[str, ...] = ()
    """Files that were not JSON reports, each with why."""


def is_report(document: Any) -> bool:
    """Whether a parsed JSON document looks like a cekura JSON report."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("runs"), list)
        and isinstance(document.get("counts"), dict)
    )


def build_trend(reports: Iterable[ReportFile], skipped: Sequence[str] = ()) -> Trend:
    """The trend of ``reports`` (any order in; newest first out)."""
    ordered = sorted(reports, key=_order_key, reverse=True)
    points = tuple(_point(report) for report in ordered)
    return Trend(points=points, scenarios=_scenarios(ordered), skipped=tuple(skipped))


def _order_key(report: ReportFile) -> tuple[int, str]:
    result_id = _int(report.document.get("result_id"))
    return (result_id if result_id is not None else -1, report.source)


def _point(report: ReportFile) -> TrendPoint:
    document = report.document
    counts = document.get("counts") or {}
    runs = [run for run in document.get("runs") or () if isinstance(run, dict)]
    total = _int(counts.get("total"))
    passed = _int(counts.get("passed"))
    if total is None or passed is None:  # counts unusable: count the runs themselves
        total = len(runs)
        passed = sum(1 for run in runs if run.get("outcome") == "passed")
    total, passed = max(total, 0), min(max(passed, 0), max(total, 0))
    min_rate = document.get("min_pass_rate")
    return TrendPoint(
        source=report.source,
        result_id=_int(document.get("result_id")),
        name=_str(document.get("name")),
        result_url=_str(document.get("result_url")),
        total=total,
        passed=passed,
        failed=total - passed,
        pass_rate=passed / total if total else 0.0,
        min_pass_rate=float(min_rate) if isinstance(min_rate, (int, float)) else None,
        verdict=_str(document.get("verdict")) or "unknown",
    )


def _scenarios(ordered: Sequence[ReportFile]) -> tuple[ScenarioTrend, ...]:
    """Per scenario over ``ordered`` (newest first)."""
    count = len(ordered)
    stats: dict[str, dict[str, Any]] = {}
    for index, report in enumerate(ordered):
        for run in report.document.get("runs") or ():
            if not isinstance(run, dict):
                continue
            key, name = _scenario_key(run)
            entry = stats.get(key)
            if entry is None:
                entry = stats[key] = {
                    "name": name,
                    "failed_runs": 0,
                    "runs": 0,
                    "history": [None] * count,
                    "last_reason": None,
                    "last_url": None,
                    "last_failed_at": None,
                }
            outcome = run.get("outcome") if run.get("outcome") in _WORST else "error"
            entry["runs"] += 1
            worst = entry["history"][index]
            if worst is None or _WORST[outcome] > _WORST[worst]:
                entry["history"][index] = outcome
            if outcome in FAILING:
                entry["failed_runs"] += 1
                if entry["last_failed_at"] is None:  # the newest report comes first
                    entry["last_failed_at"] = index
                    entry["last_reason"] = _str(run.get("reason"))
                    entry["last_url"] = _str(run.get("url"))
    trends = [
        ScenarioTrend(
            key=key,
            name=entry["name"],
            failed_runs=entry["failed_runs"],
            runs=entry["runs"],
            reports_failed=sum(1 for outcome in entry["history"] if outcome in FAILING),
            reports=sum(1 for outcome in entry["history"] if outcome is not None),
            history=tuple(entry["history"]),
            last_reason=entry["last_reason"],
            last_failure_url=entry["last_url"],
        )
        for key, entry in stats.items()
    ]
    last_failed = {key: entry["last_failed_at"] for key, entry in stats.items()}
    trends.sort(
        key=lambda t: (
            -t.failed_runs,
            last_failed[t.key] if last_failed[t.key] is not None else count,
            t.name,
            t.key,
        )
    )
    return tuple(trends)


def _scenario_key(run: Mapping[str, Any]) -> tuple[str, str]:
    name = _str(run.get("scenario_name")) or _str(run.get("case_name")) or "unnamed scenario"
    scenario_id = _int(run.get("scenario_id"))
    if scenario_id is not None:
        return f"id:{scenario_id}", name
    return f"name:{name}", name


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
