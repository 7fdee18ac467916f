"""``cekura report compare BASE NEW``: what changed between two reports. Pure.

Units are scenarios (or suite test cases), keyed as in :mod:`.shard`; a unit fails in
a report when its k-of-n verdict failed, else when any of its runs did not pass.

- **newly failing**: passed in BASE, fails in NEW (a regression);
- **fixed**: failed in BASE, passes in NEW;
- **still failing**: fails in both;
- **new**: only in NEW (with whether it fails there);
- **gone**: only in BASE.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cekura_cli.orchestration.gating import group_runs, unit_status
from cekura_cli.reporting.model import ResultReport


@dataclass(frozen=True)
class Unit:
    key: str
    name: str
    failing: bool


@dataclass(frozen=True)
class Comparison:
    base_result_id: int
    new_result_id: int
    newly_failing: list[Unit] = field(default_factory=list)
    fixed: list[Unit] = field(default_factory=list)
    still_failing: list[Unit] = field(default_factory=list)
    passing: list[Unit] = field(default_factory=list)
    new: list[Unit] = field(default_factory=list)
    gone: list[Unit] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        """A new failure: newly failing, or new and failing."""
        return bool(self.newly_failing) or any(unit.failing for unit in self.new)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready; names are report text (hostile): secrets masked, controls removed."""
        from cekura_cli.reporting._text import clean

        def units(items: list[Unit]) -> list[dict[str, object]]:
            return [
                {"key": clean(u.key), "name": clean(u.name), "failing": u.failing} for u in items
            ]

        return {
            "base_result_id": self.base_result_id,
            "new_result_id": self.new_result_id,
            "regressed": self.regressed,
            "counts": {
                name: len(getattr(self, name))
                for name in ("newly_failing", "fixed", "still_failing", "passing", "new", "gone")
            },
            "newly_failing": units(self.newly_failing),
            "fixed": units(self.fixed),
            "still_failing": units(self.still_failing),
            "new": units(self.new),
            "gone": units(self.gone),
        }


def _names(report: ResultReport) -> dict[str, str]:
    return {key: runs[0].scenario_name for key, runs in group_runs(report.runs).items()}


def compare(base: ResultReport, new: ResultReport) -> Comparison:
    """Classify every unit of either report (in NEW's order, then BASE's)."""
    before, after = unit_status(base), unit_status(new)
    base_names, new_names = _names(base), _names(new)
    result = Comparison(base_result_id=base.result_id, new_result_id=new.result_id)
    for key, failing in after.items():
        unit = Unit(key, new_names[key], failing)
        if key not in before:
            result.new.append(unit)
        elif failing and before[key]:
            result.still_failing.append(unit)
        elif failing:
            result.newly_failing.append(unit)
        elif before[key]:
            result.fixed.append(unit)
        else:
            result.passing.append(unit)
    for key, failing in before.items():
        if key not in after:
            result.gone.append(Unit(key, base_names[key], failing))
    return result
