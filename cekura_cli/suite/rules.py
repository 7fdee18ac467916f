"""What the schema cannot say: unique keys and names, 1-200 cases, valid ``local:`` blocks.

A ``local:`` block on a test case holds the scenario-file keys the sandbox needs to play
it offline (``docs/scenario-file.md``): ``first_speaker``, ``turns``, ``expect`` and
``headers``. Name and tags come from the case itself. A top-level ``local:`` block may
set the sandbox's ``agent`` and ``defaults`` (``first_speaker``, ``greeting_timeout_s``)
and its ``test_profiles``. Both are checked with the sandbox's own models, so a typo in
a local check is an error with its line, exactly as in a scenario file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from cekura_cli.suite.source import Problem, SourceDoc

MIN_CASES = 1
MAX_CASES = 200
CASE_LOCAL_KEYS = ("first_speaker", "turns", "expect", "headers")
TOP_LOCAL_KEYS = ("agent", "defaults", "test_profiles")


def rule_problems(doc: SourceDoc) -> list[Problem]:
    """Problems the schema does not catch (assumes only that the top level is a mapping)."""
    data = doc.data
    problems: list[Problem] = []
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list):
        return problems  # the schema reports a missing or mistyped list
    if not MIN_CASES <= len(scenarios) <= MAX_CASES:
        problems.append(
            doc.problem(
                ["scenarios"],
                f"{len(scenarios)} test cases; a suite holds {MIN_CASES} to {MAX_CASES} "
                "(split it into several files)",
                key=True,
            )
        )
    keys: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, case in enumerate(scenarios):
        if not isinstance(case, dict):
            continue
        key, name = case.get("key"), case.get("name")
        if isinstance(key, str):
            if not key.strip():
                problems.append(doc.problem(["scenarios", index, "key"], "key must not be blank"))
            elif key in keys:
                problems.append(
                    doc.problem(
                        ["scenarios", index, "key"],
                        f"duplicate key {key!r} (also scenarios[{keys[key]}]); keys identify "
                        "test cases across commits and must be unique",
                    )
                )
            else:
                keys[key] = index
        if isinstance(name, str):
            folded = name.strip().casefold()
            if folded in names:
                problems.append(
                    doc.problem(
                        ["scenarios", index, "name"],
                        f"duplicate name {name!r} (also scenarios[{names[folded]}])",
                    )
                )
            else:
                names[folded] = index
            if key is None and name in keys and keys[name] != index:
                problems.append(
                    doc.problem(
                        ["scenarios", index, "name"],
                        f"this keyless case is identified by its name {name!r}, which is "
                        f"the key of scenarios[{keys[name]}]",
                    )
                )
        if "local" in case:
            problems.extend(_case_local_problems(doc, index, case))
    if "local" in data:
        problems.extend(_top_local_problems(doc, data["local"]))
    return problems


def _case_local_problems(doc: SourceDoc, index: int, case: dict[str, Any]) -> list[Problem]:
    from pydantic import ValidationError

    from cekura_cli.sandbox.scenario_file import ScenarioSpec

    where: list[int | str] = ["scenarios", index, "local"]
    block = case["local"]
    if not isinstance(block, dict):
        return [doc.problem(where, "must be a mapping with 'turns' (see docs/scenario-file.md)")]
    problems = _unknown_keys(doc, where, block, CASE_LOCAL_KEYS)
    if problems:
        return problems
    name = case.get("name") if isinstance(case.get("name"), str) and case.get("name") else "case"
    try:
        ScenarioSpec.model_validate({"name": name[:200], **block})
    except ValidationError as exc:
        return _pydantic_problems(doc, where, exc)
    return []


def _top_local_problems(doc: SourceDoc, block: Any) -> list[Problem]:
    from pydantic import ValidationError

    from cekura_cli.sandbox.scenario_file import AgentSpec, Defaults, TestProfile

    where: list[int | str] = ["local"]
    if not isinstance(block, dict):
        return [doc.problem(where, "must be a mapping (agent, defaults, test_profiles)")]
    problems = _unknown_keys(doc, where, block, TOP_LOCAL_KEYS)
    for key, model in (("agent", AgentSpec), ("defaults", Defaults)):
        if key in block:
            try:
                model.model_validate(block[key])
            except ValidationError as exc:
                problems.extend(_pydantic_problems(doc, [*where, key], exc))
    profiles = block.get("test_profiles", [])
    if not isinstance(profiles, list):
        problems.append(doc.problem([*where, "test_profiles"], "must be a list"))
        profiles = []
    for number, profile in enumerate(profiles):
        try:
            TestProfile.model_validate(profile)
        except ValidationError as exc:
            problems.extend(_pydantic_problems(doc, [*where, "test_profiles", number], exc))
    return problems


def _unknown_keys(
    doc: SourceDoc, where: list[int | str], block: dict[str, Any], allowed: Sequence[str]
) -> list[Problem]:
    problems = []
    for key in block:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
            problems.append(
                doc.problem([*where, str(key)], f"unknown field '{key}'{hint}", key=True)
            )
    return problems


def _pydantic_problems(doc: SourceDoc, where: list[int | str], exc: Any) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for error in exc.errors(include_url=False):
        loc = [part for part in error["loc"] if isinstance(part, int) or "[" not in str(part)]
        if tuple(loc) in seen:
            continue  # one line per place: a union's alternatives all fail at the same spot
        seen.add(tuple(loc))
        kind = error.get("type", "")
        message = str(error.get("msg", "invalid value"))
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        if kind == "extra_forbidden":
            message = f"unknown field '{loc[-1]}'"
        elif kind == "missing":
            message = f"required field '{loc[-1]}' is missing"
            problems.append(doc.problem([*where, *loc[:-1]], message))
            continue
        problems.append(doc.problem([*where, *loc], message, key=kind == "extra_forbidden"))
    return problems
