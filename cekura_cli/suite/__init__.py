"""Suite files (tests as code): Cekura's test-suite v1 format, validated offline, run anywhere.

Layout: :mod:`.source` (JSON/YAML with the line of every location, :class:`Problem`),
:mod:`.schema` (the bundled service schema, jsonschema draft 2020-12, imported lazily),
:mod:`.rules` (what the schema cannot say, ``local:`` blocks), :mod:`.loading`
(check + build), :mod:`.model` (cases), :mod:`.selection` (``--tag``/``--case``),
:mod:`.posting` (the posted spec; the service's 400s mapped back to the file),
:mod:`.report` (``case_key``, skipped cases), :mod:`.local` (the offline backend) and
:mod:`.runner` (``cekura run --suite``).

For other commands (``cekura doctor``, ``--shard``)::

    resolve_suite_cases(path, tags=(), match="any", exclude_tags=(), case_keys=())
        -> list[SuiteCase]   # .identity (key, else name), .key, .name, .tags, .index
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cekura_cli.suite.model import SuiteCase

__all__ = ["resolve_suite_cases"]


def resolve_suite_cases(
    path: Path,
    *,
    tags: Sequence[str] = (),
    match: str = "any",
    exclude_tags: Sequence[str] = (),
    case_keys: Sequence[str] = (),
) -> list[SuiteCase]:
    """Load + check ``path`` and select its cases; at least one, else an error.

    Raises :class:`~cekura_cli.suite.source.SuiteFileError` (exit 2) for an invalid file
    and :class:`~cekura_cli.errors.NoScenariosError` (exit 5) for unknown case keys or an
    empty selection. No network.
    """
    from cekura_cli.errors import NoScenariosError
    from cekura_cli.suite.loading import load_suite_file
    from cekura_cli.suite.selection import CaseSelection, select_cases

    suite = load_suite_file(path)
    selection = CaseSelection(tuple(tags), match, tuple(exclude_tags), tuple(case_keys))
    outcome = select_cases(suite.cases, selection)
    if outcome.missing_keys:
        raise NoScenariosError(
            f"{path}: no test case with key {', '.join(map(repr, outcome.missing_keys))}"
        )
    if not outcome.cases:
        raise NoScenariosError(
            f"{path}: the selection matched no test cases ({selection.describe()})"
        )
    return outcome.cases
