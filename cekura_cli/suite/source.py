"""Read a suite file (JSON or YAML) into data plus the line of every location in it.

Problems are reported as ``FILE:LINE: location: message`` everywhere (offline
validation, the service's 400s mapped back, selection errors), so loading keeps a
line index: the 1-based line of every mapping value and list item, keyed by its path
(``("scenarios", 3, "metrics", 1)``), and of every mapping key.

JSON is read with :mod:`json` (exact JSON semantics) and its lines come from composing
the same text with PyYAML (JSON is YAML 1.2; the rare JSON that PyYAML's YAML 1.1
cannot compose simply has no line numbers). YAML is composed once and constructed from
that node tree, as :mod:`cekura_cli.sandbox.loader` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cekura_cli.errors import ConfigError

Path_ = tuple[int | str, ...]
MAX_FILE_BYTES = 1_000_000
"""The service refuses spec files over 1 MB (cekura-api-more.md §2)."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a suite file, where it is."""

    file: str
    line: int | None
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.location}: {self.message}"


class SuiteFileError(ConfigError):
    """A suite file has problems; :attr:`problems` lists every one (exit 2)."""

    def __init__(self, problems: Sequence[Problem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid suite file"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(first + suffix, hint=hint)


@dataclass
class SourceDoc:
    """A parsed file: its data and where each part of it was written."""

    file: str
    data: Any
    root: yaml.Node | None = field(default=None, repr=False)
    """The composed node tree; the line index is built from it on first use (a valid
    file never needs it, and indexing 200 cases costs as much as checking them)."""
    lines: dict[Path_, int] = field(default_factory=dict)
    key_lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Iterable[int | str], *, key: bool = False) -> int | None:
        """The line of ``path``, else of its deepest written ancestor (None without an index)."""
        if self.root is not None:
            _index(self.root, (), self)
            self.root = None
        parts = tuple(path)
        if key and parts in self.key_lines:
            return self.key_lines[parts]
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get(())

    def problem(self, path: Sequence[int | str], message: str, *, key: bool = False) -> Problem:
        return Problem(self.file, self.line_of(path, key=key), format_location(path), message)


def format_location(path: Iterable[int | str]) -> str:
    """``("scenarios", 3, "metrics", 1)`` -> ``scenarios[3].metrics[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def read_source(path: Path, *, display: str | None = None) -> SourceDoc:
    """Read and parse ``path``; unreadable or unparseable files raise :class:`SuiteFileError`."""
    name = display or str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise _fail(name, 1, "(file)", "suite file not found") from exc
    except IsADirectoryError as exc:
        raise _fail(name, 1, "(file)", "is a directory, not a suite file") from exc
    except OSError as exc:
        raise _fail(name, 1, "(file)", f"cannot read the file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(name, None, "(file)", f"{len(raw):,} bytes; the service accepts at most 1 MB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(name, None, "(file)", f"not UTF-8 text ({exc.reason})") from exc
    return parse_source(text, filename=name)


def parse_source(text: str, *, filename: str) -> SourceDoc:
    """Parse suite text: JSON when the name ends in ``.json``, else YAML (JSON included)."""
    if filename.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _fail(filename, exc.lineno, "(file)", f"invalid JSON: {exc.msg}") from exc
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            root = None
    else:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
            line = mark.line + 1 if mark is not None else None
            raise _fail(filename, line, "(file)", f"YAML syntax error: {problem}") from exc
        except yaml.YAMLError as exc:
            raise _fail(filename, None, "(file)", f"YAML error: {exc}") from exc
        finally:
            loader.dispose()
    doc = SourceDoc(filename, data, root)
    if data is None:
        raise _fail(filename, 1, "(top level)", "the file is empty; expected a test suite")
    if not isinstance(data, dict):
        raise _fail(filename, 1, "(top level)", "expected a mapping with 'version' and 'scenarios'")
    return doc


def _index(node: yaml.Node, path: Path_, doc: SourceDoc) -> None:
    """Record the line of ``node`` and of everything under it (iteratively: deep files)."""
    stack: list[tuple[yaml.Node, Path_]] = [(node, path)]
    while stack:
        current, where = stack.pop()
        doc.lines[where] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = getattr(key_node, "value", None)
                if not isinstance(key, str):
                    continue
                doc.key_lines[(*where, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*where, key)))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*where, index)))


def _fail(file: str, line: int | None, location: str, message: str) -> SuiteFileError:
    return SuiteFileError([Problem(file, line, location, message)])
