"""A loaded suite file: its test cases, with their identity, tags, frequency and line.

Pure data. :mod:`cekura_cli.suite.loading` builds it from a validated file; selection
(:mod:`.selection`), posting (:mod:`.posting`) and reporting (:mod:`.report`) read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cekura_cli.suite.source import SourceDoc


@dataclass(frozen=True)
class SuiteCase:
    """One test case of a suite file."""

    index: int
    """Its position in the file's ``scenarios`` list (0-based, as in ``scenarios[3]``)."""
    name: str
    key: str | None
    """The case's ``key`` as written; None for a keyless case (named by its name)."""
    tags: tuple[str, ...]
    """Its own tags plus ``defaults.tags`` (what ``--tag`` matches, case-insensitively)."""
    frequency: int
    line: int | None
    spec: Mapping[str, Any]
    """The case as it is posted: everything but its ``local:`` block."""
    local: Mapping[str, Any] | None = None
    """The ``local:`` block (scripted turns and expectations for the sandbox), if any."""

    @property
    def identity(self) -> str:
        """Stable id for sharding and history: the key, else the name."""
        return self.key if self.key is not None else self.name


@dataclass(frozen=True)
class SuiteFile:
    """A valid suite file."""

    file: str
    doc: SourceDoc = field(repr=False)
    cases: tuple[SuiteCase, ...]
    top: Mapping[str, Any]
    """Top-level keys other than ``scenarios`` and ``local`` (version, suite, defaults…)."""
    local: Mapping[str, Any] | None = None
    """The top-level ``local:`` block (sandbox agent and defaults), if any."""

    @property
    def name(self) -> str | None:
        suite = self.top.get("suite")
        value = suite.get("name") if isinstance(suite, dict) else None
        return value if isinstance(value, str) and value.strip() else None

    def case_by_identity(self) -> dict[str, SuiteCase]:
        return {case.identity: case for case in self.cases}
