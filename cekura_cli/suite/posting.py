"""What is sent to ``run_scenarios_json`` and how the service's 400s map back to the file.

Pure. The posted spec is the file's top level (``version``, ``suite``, ``defaults``…)
with only the selected cases, in file order, every ``local:`` block stripped, and
``--frequency N`` written into each case. The service numbers its problems by the
*posted* list (``scenarios[1].metrics[0]``); :func:`service_problems` turns that index
back into the case's index in the user's file and finds the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cekura_cli.suite.model import SuiteCase, SuiteFile
from cekura_cli.suite.source import Problem, format_location

CHANNEL = "text"
MAX_RUNS_PER_RESULT = 10_000
"""Runs one start may create (PRODUCT.md §13: the service's cost, the sandbox's memory)."""
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
MAX_MESSAGE_CHARS = 300


OFFLINE_ONLY_SERVICE_KEYS = ("metrics", "personality")
"""Left out of what a ``--local`` run posts to the sandbox: the ``local:`` checks are
its metrics, and service ids (metrics, personalities, test profiles) mean nothing there."""


def build_spec(
    suite: SuiteFile,
    cases: Sequence[SuiteCase],
    *,
    frequency: int | None = None,
    offline: bool = False,
) -> dict[str, Any]:
    """The spec to post: selected cases only, no ``local:`` blocks, frequency applied."""
    spec: dict[str, Any] = dict(suite.top)
    posted = []
    for case in cases:
        body = dict(case.spec)
        if frequency is not None:
            body["frequency"] = frequency
        if offline:
            body = _offline(body)
        posted.append(body)
    if offline and isinstance(spec.get("defaults"), dict):
        spec["defaults"] = _offline(spec["defaults"])
    spec["scenarios"] = posted
    return spec


def build_body(spec: Mapping[str, Any], *, agent_id: int, name: str | None) -> dict[str, Any]:
    """The ``run_scenarios_json`` body: the spec, the agent, the text channel, a name."""
    body: dict[str, Any] = {"spec": dict(spec), "agent_id": agent_id, "channel": CHANNEL}
    if name:
        body["name"] = name[:255]
    return body


def _offline(part: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in part.items() if k not in OFFLINE_ONLY_SERVICE_KEYS}
    if isinstance(kept.get("test_profile"), int):
        del kept["test_profile"]
    return kept


def total_runs(cases: Sequence[SuiteCase], *, frequency: int | None = None) -> int:
    return sum(frequency if frequency is not None else case.frequency for case in cases)


def parse_location(text: str) -> list[int | str]:
    """``scenarios[3].metrics[1]`` -> ``["scenarios", 3, "metrics", 1]``."""
    parts: list[int | str] = []
    for name, index in _SEGMENT.findall(text):
        parts.append(int(index) if index else name)
    return parts


def error_entries(payload: Any) -> list[tuple[str, str]]:
    """(location, message) pairs of a 400 body: ``{"errors": {...}}`` or flat, or a list."""
    if isinstance(payload, dict) and isinstance(payload.get("errors"), (dict, list)):
        payload = payload["errors"]
    entries: list[tuple[str, str]] = []
    if isinstance(payload, list):
        return [("(request)", _text(item)) for item in payload if item is not None]
    if not isinstance(payload, dict):
        return [("(request)", _text(payload))] if payload else []
    for location, messages in payload.items():
        where = str(location)
        if where in ("non_field_errors", "detail"):
            where = "(request)"
        if isinstance(messages, list):
            entries.extend((where, _text(m)) for m in messages if m is not None)
        elif isinstance(messages, dict):
            for sub, value in error_entries(messages):
                entries.append((f"{where}.{sub}" if sub != "(request)" else where, value))
        elif messages is not None:
            entries.append((where, _text(messages)))
    return entries


def service_problems(payload: Any, suite: SuiteFile, posted: Sequence[SuiteCase]) -> list[Problem]:
    """The service's location-keyed problems, located in the user's file."""
    problems = []
    for location, message in error_entries(payload):
        path = parse_location(location) if location != "(request)" else []
        if path[:1] == ["spec"]:
            path = path[1:]  # some answers prefix the body field
        numbered = len(path) >= 2 and path[0] == "scenarios" and isinstance(path[1], int)
        known = bool(path) and path[0] in suite.doc.data
        if numbered and 0 <= int(path[1]) < len(posted):
            path = ["scenarios", posted[int(path[1])].index, *path[2:]]
        elif numbered:
            known = False  # not a case that was posted: no line of the file means it
        line = suite.doc.line_of(path) if known else None
        shown = format_location(path) if path else location
        problems.append(Problem(suite.file, line, shown, message))
    return problems


def _text(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"
