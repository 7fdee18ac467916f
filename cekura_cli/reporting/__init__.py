"""Reporters: how a finished :class:`~cekura_cli.reporting.model.ResultReport` leaves the tool.

- :mod:`.console` — the human table and verdict (stderr, rich);
- :mod:`.progress` — the live bar / plain progress lines while waiting;
- file and CI reporters, registered in :data:`REPORTERS` behind one
  :class:`Reporter` protocol: :mod:`.json_report` (``--json``), :mod:`.junit`
  (``--junit-xml``), :mod:`.html` (``--html``), :mod:`.github` (``GITHUB_ACTIONS=true``).

A new reporter is one module plus one line in :data:`REPORTERS`: a factory that
looks at the :class:`ReportTargets` the user asked for and returns a reporter, or
``None`` when it has nothing to do. Kept import-light: the reporter modules (and rich)
are imported only when a factory runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from cekura_cli.reporting.model import ResultReport

__all__ = ["REPORTERS", "ReportTargets", "Reporter", "ReporterFactory", "reporters_for"]


class Reporter(Protocol):
    """Writes one finished report somewhere (a file, stdout, the CI)."""

    name: str

    def write(self, report: ResultReport) -> None: ...


@dataclass(frozen=True)
class ReportTargets:
    """Where the user asked the report to go (flags and environment, already resolved)."""

    json: str | Path | None = None
    """``--json``: a path, or ``"-"`` for stdout."""
    junit_xml: str | Path | None = None
    """``--junit-xml`` path."""
    html: str | Path | None = None
    """``--html`` path."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The process environment (``GITHUB_ACTIONS``, ``GITHUB_STEP_SUMMARY``, …)."""
    stdout: TextIO | None = None
    """Where ``--json -`` goes; ``None`` means ``sys.stdout`` at write time."""
    stderr: TextIO | None = None
    """Where workflow commands go; ``None`` means ``sys.stderr`` at write time."""


ReporterFactory = Callable[[ReportTargets], "Reporter | None"]


def _json(targets: ReportTargets) -> Reporter | None:
    if targets.json is None:
        return None
    from cekura_cli.reporting.json_report import JsonReporter

    return JsonReporter(targets.json, stdout=targets.stdout)


def _junit(targets: ReportTargets) -> Reporter | None:
    if targets.junit_xml is None:
        return None
    from cekura_cli.reporting.junit import JUnitReporter

    return JUnitReporter(targets.junit_xml)


def _html(targets: ReportTargets) -> Reporter | None:
    if targets.html is None:
        return None
    from cekura_cli.reporting.html import HtmlReporter

    return HtmlReporter(targets.html)


def _github(targets: ReportTargets) -> Reporter | None:
    if targets.environ.get("GITHUB_ACTIONS") != "true":
        return None
    from cekura_cli.reporting.github import GitHubReporter

    return GitHubReporter(targets.environ, stream=targets.stderr)


REPORTERS: dict[str, ReporterFactory] = {
    "json": _json,
    "junit": _junit,
    "html": _html,
    "github": _github,
}
"""Every file/CI reporter, by name, in the order they are written."""


def reporters_for(targets: ReportTargets) -> list[Reporter]:
    """The reporters that have something to do for ``targets``, in registry order."""
    reporters = []
    for factory in REPORTERS.values():
        reporter = factory(targets)
        if reporter is not None:
            reporters.append(reporter)
    return reporters
