"""docs/json-report.md stays true: its schema and example match what the code writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cekura_cli.reporting.json_report import report_to_dict

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-report.md"
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def _json_blocks() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False  # bool is an int in Python, not in JSON
    return isinstance(value, _TYPES[name])


def _validate(value: Any, schema: dict[str, Any], path: str = "$") -> None:
    """The subset of JSON Schema the document uses; enough to catch drift."""
    if "const" in schema:
        assert value == schema["const"], path
    if "enum" in schema:
        assert value in schema["enum"], path
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_is(value, name) for name in names), f"{path}: not {names}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value), path
        assert value <= schema.get("maximum", value), path
    if isinstance(value, dict):
        assert set(schema.get("required", [])) <= set(value), path
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _validate(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _validate(item, schema["items"], f"{path}[{index}]")


def test_schema_lists_exactly_the_fields_in_the_written_order(representative_report):
    schema, _ = _json_blocks()[:2]
    document = report_to_dict(representative_report)
    assert schema["required"] == list(document) == list(schema["properties"])
    run_schema = schema["properties"]["runs"]["items"]
    assert run_schema["required"] == list(document["runs"][0]) == list(run_schema["properties"])


def test_written_reports_validate_against_the_schema(representative_report, make_result_report):
    schema = _json_blocks()[0]
    _validate(report_to_dict(representative_report), schema)
    _validate(report_to_dict(make_result_report([])), schema)


def test_the_example_validates_and_has_the_written_key_order(representative_report):
    schema, example = _json_blocks()[:2]
    _validate(example, schema)
    document = report_to_dict(representative_report)
    assert list(example) == list(document)
    assert all(list(run) == list(document["runs"][0]) for run in example["runs"])


def test_the_validator_catches_drift(representative_report):
    schema = _json_blocks()[0]
    for key, bad in (("verdict", "maybe"), ("pass_rate", 1.5), ("result_id", True)):
        document = report_to_dict(representative_report)
        document[key] = bad
        try:
            _validate(document, schema)
        except AssertionError:
            continue
        raise AssertionError(f"{key}={bad!r} passed validation")
