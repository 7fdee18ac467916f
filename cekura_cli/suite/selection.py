"""Which test cases of a suite file a ``--tag/--exclude-tag/--match/--case`` selection means.

Pure. The same rules as a tag run (:mod:`cekura_cli.orchestration.selection`), applied
to the file's cases instead of the agent's scenarios:

- a case's tags are its own plus ``defaults.tags``; tags compare case-insensitively;
- no ``--tag`` and no ``--case``: every case of the file (the file is the selection);
- selected = (tag matches, ``--match any|all``) UNION (``--case KEY``), then every case
  carrying an excluded tag is removed;
- ``--case KEY`` matches a case's ``key``, or the name of a keyless case;
  ``missing_keys`` lists the ones that match nothing (in the order given);
- file order is kept, no duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cekura_cli.suite.model import SuiteCase


@dataclass(frozen=True)
class CaseSelection:
    tags: tuple[str, ...] = ()
    match: str = "any"
    exclude_tags: tuple[str, ...] = ()
    case_keys: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        if self.tags:
            parts.append(f"tags {', '.join(self.tags)} (match {self.match})")
        if self.case_keys:
            parts.append(f"cases {', '.join(self.case_keys)}")
        if self.exclude_tags:
            parts.append(f"excluding {', '.join(self.exclude_tags)}")
        return "; ".join(parts) or "every case"


@dataclass(frozen=True)
class CaseSelectionResult:
    cases: list[SuiteCase]
    missing_keys: list[str]


def _fold(tag: str) -> str:
    return tag.strip().casefold()


def select_cases(cases: Sequence[SuiteCase], selection: CaseSelection) -> CaseSelectionResult:
    wanted = {_fold(t) for t in selection.tags if t.strip()}
    excluded = {_fold(t) for t in selection.exclude_tags if t.strip()}
    keys = [k for k in selection.case_keys if k]
    everything = not wanted and not keys

    def matches_tags(case: SuiteCase) -> bool:
        have = {_fold(t) for t in case.tags}
        if not wanted:
            return False
        return wanted <= have if selection.match == "all" else bool(wanted & have)

    chosen: list[SuiteCase] = []
    found: set[str] = set()
    for case in cases:
        by_key = case.identity in keys
        if by_key:
            found.add(case.identity)
        if not (everything or by_key or matches_tags(case)):
            continue
        if excluded & {_fold(t) for t in case.tags}:
            continue
        chosen.append(case)
    missing = [k for k in dict.fromkeys(keys) if k not in found]
    return CaseSelectionResult(chosen, missing)
