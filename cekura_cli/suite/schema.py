"""Offline validation against the bundled copy of the service's test-suite v1 schema.

The schema (``test-suite-v1.schema.json``, draft 2020-12, ``additionalProperties:
false`` everywhere) is the service's own (``GET …/scenarios/json_schema/``), copied
verbatim. It does not know this tool's ``local:`` blocks: the validator used offline is
the service's schema extended with them (the scenario file's schema, see
:func:`cekura_cli.suite.rules.local_schemas`), so one pass checks both parts.

:mod:`jsonschema` is imported here only, and this module only when a suite file is
checked, so ``cekura --help`` never pays for it.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from cekura_cli.suite.source import Problem, SourceDoc

SCHEMA_FILE = "test-suite-v1.schema.json"
MAX_MESSAGE_CHARS = 200


def bundled_schema() -> dict[str, Any]:
    """The service's v1 suite schema as shipped in this package."""
    text = (resources.files("cekura_cli.suite") / SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=2)
def _validator(with_local: bool) -> Any:
    """The service's schema (rewritten for speed); ``with_local``: extended so the
    ``local:`` blocks are checked in the same pass (one walk of the document)."""
    from jsonschema import Draft202012Validator

    schema = fast_equivalent(bundled_schema())
    if with_local:
        from cekura_cli.suite.rules import local_schemas

        case, top = (fast_equivalent(part) for part in local_schemas())
        schema["properties"]["local"] = top
        schema["properties"]["scenarios"]["items"]["properties"]["local"] = case
    return Draft202012Validator(schema)


def fast_equivalent(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema, cheaper to check (a 200-case file: ~3x faster).

    Two rewrites that change no verdict: local ``$ref``s to ``$defs`` are inlined (the
    schema is not recursive), so no reference is resolved per case; and a ``oneOf`` whose
    branches require different JSON types becomes an ``anyOf`` (at most one branch can
    match, so "exactly one" and "at least one" agree, and ``anyOf`` stops at the first
    match instead of trying every branch). A test checks both schemas agree.
    """
    defs = schema.get("$defs", {})

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
            return rewrite(defs[ref.removeprefix("#/$defs/")])
        out = {k: rewrite(v) for k, v in node.items() if k != "$defs"}
        branches = out.get("oneOf")
        if isinstance(branches, list) and _types_disjoint(branches):
            out["anyOf"] = out.pop("oneOf")
        return out

    return rewrite(schema)


def _types_disjoint(branches: list[Any]) -> bool:
    types = [b.get("type") if isinstance(b, dict) else None for b in branches]
    if not all(isinstance(t, str) for t in types):
        return False
    if "number" in types and "integer" in types:
        return False  # an integer is also a number
    return len(set(types)) == len(types)


def schema_problems(doc: SourceDoc, *, strip_local: bool = True) -> list[Problem]:
    """Every schema violation of ``doc``, its ``local:`` blocks checked against the scenario
    file's schema (``strip_local`` False: the service's schema alone, where a ``local:`` key
    is unknown, as for a posted spec)."""
    problems: list[Problem] = []
    for error in _validator(strip_local).iter_errors(doc.data):
        problems.extend(_describe(error, doc))
    return problems


def describe_errors(
    errors: Any, doc: SourceDoc, prefix: tuple[int | str, ...] = ()
) -> list[Problem]:
    """Problems for jsonschema ``errors`` found in the part of ``doc`` at ``prefix``."""
    return [problem for error in errors for problem in _describe(error, doc, prefix)]


def _describe(error: Any, doc: SourceDoc, prefix: tuple[int | str, ...] = ()) -> list[Problem]:
    path = [*prefix, *error.absolute_path]
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            out.append(doc.problem([*path, str(key)], f"unknown field '{key}'{hint}", key=True))
        return out
    if kind == "required":
        missing = _missing_property(error)
        if missing is not None:
            why = _required_why(error)
            return [doc.problem(path, f"required field '{missing}' is missing{why}")]
    if kind in ("oneOf", "anyOf") and error.context:
        # The alternative of the right type says what is wrong (a type mismatch says nothing).
        typed = [e for e in error.context if e.validator != "type"]
        if typed:
            from jsonschema.exceptions import best_match

            branch = best_match(typed).relative_schema_path[0]
            same = [e for e in typed if e.relative_schema_path[0] == branch]
            return [p for e in same for p in _describe(e, doc, prefix)]
        return [doc.problem(path, _expected_types(error))]
    return [doc.problem(path, _short(error.message))]


def _missing_property(error: Any) -> str | None:
    """The property a ``required`` error is about (jsonschema reports each one separately)."""
    absent = [name for name in error.validator_value if name not in error.instance]
    for name in absent:
        if error.message == f"{name!r} is a required property":
            return name
    return absent[0] if absent else None


def _required_why(error: Any) -> str:
    schema_path = list(error.absolute_schema_path)
    if "personality" in schema_path:
        return " (an inline personality without 'base' needs it)"
    if "then" in schema_path:
        return " (type: conditional_actions needs it)"
    if "else" in schema_path:
        return " (unless type is conditional_actions)"
    return ""


def _expected_types(error: Any) -> str:
    names = {
        "integer": "an integer",
        "string": "a string",
        "object": "a mapping",
        "array": "a list",
        "number": "a number",
        "boolean": "true or false",
        "null": "null",
    }
    wanted = []
    for sub in error.context:
        for kind in (
            sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]
        ):
            label = names.get(str(kind), str(kind))
            if label not in wanted and label != "null":
                wanted.append(label)
    return f"must be {' or '.join(wanted) or 'another value'}, got {_short(repr(error.instance))}"


def _short(message: str) -> str:
    flat = " ".join(message.split())
    if len(flat) > MAX_MESSAGE_CHARS:
        flat = flat[: MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return flat
