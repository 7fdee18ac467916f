"""Which scenarios a ``cekura run`` / ``cekura scenarios list`` selection resolves to.

Pure logic: the caller fetches the agent's scenarios (all pages) and hands them in.

Semantics (predictable rather than clever):

- no tags and no explicit ids -> every scenario of the agent (agent-level selection);
- tags match case-insensitively (surrounding whitespace ignored);
  ``match="any"``: a scenario with at least one of the tags matches,
  ``match="all"``: a scenario must carry every one of the tags;
- the selected set is (tag matches) UNION (explicit ``scenario_ids``);
- then every scenario carrying an excluded tag is removed: exclusion applies to
  everything, explicit ids included, so ``--exclude-tag flaky`` always means what it says;
- the result has no duplicates and keeps the service's order;
- ``missing_ids`` lists the explicit ids that are not in the list at all (in the order
  given). An id that exists but is excluded is not missing.

Flag values are repeatable and comma-separable: :func:`split_csv` flattens them and
:func:`parse_ids` turns scenario ids into ints with a usage error naming a bad value.

This module stays cheap to import (no pydantic at import time): command modules may
import it at top level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cekura_cli.errors import UsageError

if TYPE_CHECKING:
    from cekura_cli.api.models import Scenario

MatchMode = Literal["any", "all"]
MATCH_MODES: tuple[str, ...] = ("any", "all")

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: int() would also take "1_000" and "٣"


def _norm_tag(tag: str) -> str:
    return tag.strip().casefold()


@dataclass(frozen=True)
class Selection:
    """What the user asked to run. Build it from already-split flag values."""

    tags: tuple[str, ...] = ()
    match: MatchMode = "any"
    exclude_tags: tuple[str, ...] = ()
    scenario_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.match not in MATCH_MODES:
            raise UsageError(f"--match must be 'any' or 'all', got {self.match!r}")

    @property
    def has_filters(self) -> bool:
        """True when tags or ids narrow the selection (else: every scenario of the agent)."""
        return bool(self.tags or self.scenario_ids)

    def server_query(self) -> tuple[tuple[str, ...], str]:
        """``(tags, tag_filter_type)`` to narrow ``GET scenarios`` on the server.

        Only a hint: :func:`select` is always applied to what comes back, so the server
        can narrow the list but never widen the selection. Returns ``((), "or")`` (fetch
        everything) when the tags cannot be prefiltered: explicit ids are wanted too
        (they may carry none of the tags), or there are no tags. Exclusions are applied
        client-side only. Caveat: if the service compares tags case-sensitively, a tag
        typed in a different case than stored would be missed by the prefilter.
        """
        if not self.tags or self.scenario_ids:
            return (), "or"
        return tuple(self.tags), ("and" if self.match == "all" else "or")

    def describe(self) -> str:
        """A short human phrase for messages, e.g. ``tags any of smoke, login; not flaky``."""
        parts: list[str] = []
        if self.tags:
            mode = "all of" if self.match == "all" and len(self.tags) > 1 else "any of"
            if len(self.tags) == 1:
                parts.append(f"tag {self.tags[0]}")
            else:
                parts.append(f"tags {mode} {', '.join(self.tags)}")
        if self.scenario_ids:
            label = "scenario" if len(self.scenario_ids) == 1 else "scenarios"
            parts.append(f"{label} {', '.join(str(i) for i in self.scenario_ids)}")
        text = " or ".join(parts) if parts else "all scenarios of the agent"
        if self.exclude_tags:
            text += f"; excluding tags {', '.join(self.exclude_tags)}"
        return text


def split_csv(values: Iterable[str]) -> list[str]:
    """Flatten repeatable, comma-separable flag values.

    ``["a,b", " c ", "a", ""]`` -> ``["a", "b", "c"]``: split on commas, strip, drop
    empties, drop exact duplicates keeping the first occurrence.
    """
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            item = part.strip()
            if item and item not in seen:
                seen.add(item)
                out.append(item)
    return out


def parse_ids(values: Iterable[str], *, what: str = "scenario id") -> list[int]:
    """Parse repeatable, comma-separable numeric ids; dedupe keeping order.

    Raises :class:`UsageError` naming the first bad value: ``scenario id 'abc' is not
    a number`` or ``scenario id '0' is not a positive number``.
    """
    seen: set[int] = set()
    out: list[int] = []
    for item in split_csv(values):
        if not _DIGITS.fullmatch(item):
            raise UsageError(
                f"{what} {item!r} is not a number", hint=f"pass the numeric {what}, e.g. 123"
            )
        number = int(item)
        if number <= 0:
            raise UsageError(f"{what} {item!r} is not a positive number")
        if number not in seen:
            seen.add(number)
            out.append(number)
    return out


@dataclass(frozen=True)
class SelectionResult:
    scenarios: list[Scenario]
    """The selected scenarios, deduplicated, in the service's order."""
    missing_ids: list[int]
    """Explicit ids that were not in the scenario list (the caller decides how loud)."""

    @property
    def scenario_ids(self) -> list[int]:
        return [scenario.id for scenario in self.scenarios]


def select(scenarios: Sequence[Scenario], selection: Selection) -> SelectionResult:
    """Apply ``selection`` to the agent's scenarios (see the module docstring)."""
    wanted_tags = {_norm_tag(t) for t in selection.tags if _norm_tag(t)}
    excluded_tags = {_norm_tag(t) for t in selection.exclude_tags if _norm_tag(t)}
    wanted_ids = set(selection.scenario_ids)
    everything = not wanted_tags and not wanted_ids

    chosen: list[Scenario] = []
    seen: set[int] = set()
    for scenario in scenarios:
        if scenario.id in seen:
            continue  # pages can overlap when the list changes while we read it
        seen.add(scenario.id)
        tags = {_norm_tag(t) for t in scenario.tags}
        if tags & excluded_tags:
            continue
        if everything or scenario.id in wanted_ids or _tags_match(tags, wanted_tags, selection):
            chosen.append(scenario)

    missing = [sid for sid in dict.fromkeys(selection.scenario_ids) if sid not in seen]
    return SelectionResult(scenarios=chosen, missing_ids=missing)


def _tags_match(tags: set[str], wanted: set[str], selection: Selection) -> bool:
    if not wanted:
        return False
    if selection.match == "all":
        return wanted <= tags
    return bool(wanted & tags)
