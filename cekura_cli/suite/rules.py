"""What the schema cannot say: unique keys and names, 1-200 cases, valid ``local:`` blocks.

A ``local:`` block on a test case holds the scenario-file keys the sandbox needs to play
it offline (``docs/scenario-file.md``): ``first_speaker``, ``turns``, ``expect`` and
``headers``. Name and tags come from the case itself. A top-level ``local:`` block may
set the sandbox's ``agent`` and ``defaults`` (``first_speaker``, ``greeting_timeout_s``)
and its ``test_profiles``. Both are checked against the scenario file's JSON Schema (the
sandbox's models, exported) plus the two rules its models add (regexes compile, header
names), so a typo in a local check is an error with its line, as in a scenario file.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from cekura_cli.suite.source import Problem, SourceDoc

MIN_CASES = 1
MAX_CASES = 200
CASE_NOT_LOCAL = ("name", "tags", "id")
"""Scenario-file keys a case's ``local:`` block may not set: name and tags are the case's
own, and the sandbox numbers the scripted cases itself."""
TOP_LOCAL_KEYS = ("agent", "defaults", "test_profiles")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # as the sandbox's ScenarioSpec


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
            problems.extend(_profile_reference(doc, index, case, data.get("local")))
            problems.extend(_greeting_needs_agent(doc, index, case, data.get("local")))
    if "local" in data:
        problems.extend(_top_local_problems(doc, data["local"]))
    return problems


def local_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """JSON Schemas of a case's and of the top-level ``local:`` block, from the scenario
    file's shipped schema (generated from the sandbox's models; a test keeps them equal),
    so checking a suite never imports pydantic. :mod:`.schema` checks them in the same
    pass as the service's schema."""
    text = (resources.files("cekura_cli.sandbox") / "scenario-file.schema.json").read_text(
        encoding="utf-8"
    )
    defs = json.loads(text)["$defs"]
    scenario = defs["ScenarioSpec"]
    case = {
        **scenario,
        "properties": {k: v for k, v in scenario["properties"].items() if k not in CASE_NOT_LOCAL},
        "required": ["turns"],
        "$defs": defs,
    }
    top = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "agent": {"$ref": "#/$defs/AgentSpec"},
            "defaults": {"$ref": "#/$defs/Defaults"},
            "test_profiles": {"type": "array", "items": {"$ref": "#/$defs/TestProfile"}},
        },
        "$defs": defs,
    }
    return case, top


def _case_local_problems(doc: SourceDoc, index: int, case: dict[str, Any]) -> list[Problem]:
    where = ("scenarios", index, "local")
    block = case["local"]
    if not isinstance(block, dict):
        return []  # the schema pass reports it
    return _semantic_problems(doc, where, block)


def _profile_reference(doc: SourceDoc, index: int, case: dict[str, Any], top: Any) -> list[Problem]:
    """A ``local.test_profile`` id must name one of the top-level ``local.test_profiles``."""
    block = case.get("local")
    wanted = block.get("test_profile") if isinstance(block, dict) else None
    if not isinstance(wanted, int) or isinstance(wanted, bool):
        return []
    profiles = top.get("test_profiles") if isinstance(top, dict) else None
    known = sorted(
        p["id"] for p in profiles or [] if isinstance(p, dict) and isinstance(p.get("id"), int)
    )
    if wanted in known:
        return []
    listed = ", ".join(map(str, known)) or "none defined"
    where = ("scenarios", index, "local", "test_profile")
    return [doc.problem(where, f"unknown test profile {wanted} (local.test_profiles: {listed})")]


def _greeting_needs_agent(
    doc: SourceDoc, index: int, case: dict[str, Any], top: Any
) -> list[Problem]:
    """``expect.greeting_contains`` needs the agent to speak first (as in a scenario file)."""
    block = case.get("local")
    expect = block.get("expect") if isinstance(block, dict) else None
    if not isinstance(expect, dict) or expect.get("greeting_contains") is None:
        return []
    defaults = top.get("defaults") if isinstance(top, dict) else None
    default = defaults.get("first_speaker", "agent") if isinstance(defaults, dict) else "agent"
    speaker = block.get("first_speaker") or default
    if speaker == "agent":
        return []
    where = ("scenarios", index, "local", "expect", "greeting_contains")
    return [doc.problem(where, "needs first_speaker: agent (the tester speaks first here)")]


def _top_local_problems(doc: SourceDoc, block: Any) -> list[Problem]:
    """The agent's URL scheme (a model validator; the schema pass checks the rest)."""
    agent = block.get("agent") if isinstance(block, dict) else None
    url = agent.get("websocket_url") if isinstance(agent, dict) else None
    if isinstance(url, str) and not url.startswith(("ws://", "wss://")):
        where = ("local", "agent", "websocket_url")
        return [doc.problem(where, "must be a ws:// or wss:// URL")]
    return []


def _semantic_problems(
    doc: SourceDoc, where: tuple[int | str, ...], block: dict[str, Any]
) -> list[Problem]:
    """What the sandbox's models check beyond their schema: regexes compile, header names."""
    problems = []
    turns = block.get("turns")
    for number, turn in enumerate(turns if isinstance(turns, list) else []):
        expect = turn.get("expect") if isinstance(turn, dict) else None
        pattern = expect.get("reply_matches") if isinstance(expect, dict) else None
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as exc:
                path = [*where, "turns", number, "expect", "reply_matches"]
                problems.append(doc.problem(path, f"invalid regex {pattern!r}: {exc}"))
    headers = block.get("headers")
    for name in headers if isinstance(headers, dict) else {}:
        text = str(name)
        if not _HEADER_NAME.match(text) or not text.lower().startswith("x-"):
            message = f"header {text!r} must be a valid header name starting with X-"
        elif text.lower().startswith("x-vocera-"):
            message = f"header {text!r} is reserved: X-VOCERA-* are set by the tester"
        else:
            continue
        problems.append(doc.problem([*where, "headers", text], message, key=True))
    return problems
