"""Load a suite file: parse, check everything (schema + rules), build the :class:`SuiteFile`.

Every problem is collected before anything fails, so one ``cekura suite validate`` (or
one failed ``cekura run --suite``) lists them all, each with its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cekura_cli.suite.model import SuiteCase, SuiteFile
from cekura_cli.suite.source import Problem, SourceDoc, SuiteFileError, read_source


def check_source(doc: SourceDoc) -> list[Problem]:
    """Every problem of a parsed file, in line order (schema first on the same line)."""
    from cekura_cli.suite.rules import rule_problems
    from cekura_cli.suite.schema import schema_problems

    problems = schema_problems(doc) + rule_problems(doc)
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: p.line if p.line is not None else 0)


def check_file(path: Path, *, display: str | None = None) -> list[Problem]:
    """Every problem of the file at ``path`` (``[]``: valid). Never raises for bad input."""
    try:
        doc = read_source(path, display=display)
    except SuiteFileError as exc:
        return exc.problems
    return check_source(doc)


def load_suite_file(path: Path, *, display: str | None = None) -> SuiteFile:
    """The valid suite at ``path``; raises :class:`SuiteFileError` listing every problem."""
    doc = read_source(path, display=display)
    problems = check_source(doc)
    if problems:
        raise SuiteFileError(problems, hint=f"check it offline with 'cekura suite validate {path}'")
    return build_suite(doc)


def build_suite(doc: SourceDoc) -> SuiteFile:
    """The :class:`SuiteFile` of an already checked document."""
    data: dict[str, Any] = doc.data
    defaults = data.get("defaults") or {}
    default_tags = tuple(defaults.get("tags") or ())
    default_frequency = int(defaults.get("frequency") or 1)
    cases = []
    for index, raw in enumerate(data["scenarios"]):
        own_tags = tuple(raw.get("tags") or ())
        tags = tuple(dict.fromkeys(own_tags + default_tags))
        cases.append(
            SuiteCase(
                index=index,
                name=raw["name"],
                key=raw.get("key"),
                tags=tags,
                frequency=int(raw.get("frequency") or default_frequency),
                line=doc.line_of(["scenarios", index]),
                spec={k: v for k, v in raw.items() if k != "local"},
                local=raw.get("local"),
            )
        )
    top = {k: v for k, v in data.items() if k not in ("scenarios", "local")}
    return SuiteFile(file=doc.file, doc=doc, cases=tuple(cases), top=top, local=data.get("local"))
