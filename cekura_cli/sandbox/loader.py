"""Read a scenario file (YAML or JSON) and report every mistake with file, line and field.

Errors become one-line :class:`~cekura_cli.errors.ConfigError` messages such as::

    cekura-scenarios.yaml:12: scenarios[1].turns[0].expect.reply_matches: invalid regex '(' …

The line comes from the YAML node the error is about: the document is composed once
with PyYAML (which keeps marks), constructed from that node tree, validated with the
pydantic models of :mod:`cekura_cli.sandbox.scenario_file`, and each pydantic error
location is walked back through the node tree.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from cekura_cli.errors import ConfigError
from cekura_cli.sandbox.scenario_file import ScenarioSpec, Suite

BUNDLED_SUITE = "cekura-suite.yaml"
"""A Cekura test suite (v1) with local: blocks; either format loads (see parse_suite)."""

Loc = Sequence[int | str]

# libyaml (bundled with PyYAML's wheels) reads a 200-scenario file ~10x faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def bundled_suite_path() -> Path:
    """The example suite shipped in ``cekura_cli/sandbox/examples/``."""
    return Path(str(resources.files("cekura_cli.sandbox") / "examples" / BUNDLED_SUITE))


def load_suite(path: Path | None) -> Suite:
    """Load and validate a scenario file; ``None`` loads the bundled example suite.

    Raises :class:`ConfigError` naming the file, the line and the field at fault.
    """
    source = bundled_suite_path() if path is None else Path(path)
    display = str(path) if path is not None else str(source)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{display}: scenario file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read the scenario file: {exc}") from exc
    return parse_suite(text, filename=display)


def parse_suite(text: str, *, filename: str = BUNDLED_SUITE) -> Suite:
    """Parse scenario-file text (YAML, or JSON when ``filename`` ends in ``.json``).

    A Cekura test suite (``version: "1"``, docs/suite.md) loads too: its cases with a
    ``local:`` block become the scenarios (:mod:`cekura_cli.suite.local`).
    """
    data, root = _parse(text, filename)
    from cekura_cli.suite.local import is_test_suite, sandbox_suite_from_text

    if is_test_suite(data):
        return sandbox_suite_from_text(text, filename=filename)
    if data is None:
        raise ConfigError(f"{filename}:1: the file is empty; expected a mapping with 'scenarios'")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{filename}:1: expected a mapping with 'scenarios' at the top level, got {_kind(data)}"
        )
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, root, filename)) from exc
    return _resolve(suite, root, filename)


def _parse(text: str, filename: str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree); the node tree is None when marks cannot be had (odd JSON)."""
    if filename.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{filename}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
        try:
            root = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            root = None  # valid JSON that YAML 1.1 cannot read (e.g. tabs): no line numbers
        return data, root
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}" if mark is not None else "1"
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{filename}:{line}: YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{filename}: YAML error: {exc}") from exc
    finally:
        loader.dispose()
    return data, root


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


# --- locating errors ---------------------------------------------------------


def _node_at(root: yaml.Node | None, loc: Loc) -> tuple[yaml.Node | None, list[int | str]]:
    """Follow ``loc`` through the node tree; returns the deepest node and the path used.

    Elements that are not keys/indexes of the data (pydantic's union-member tags such as
    ``'list[str]'``) are skipped, so the path names only what the user wrote.
    """
    node, path = root, []
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if getattr(key_node, "value", None) == part:
                    child = value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            continue
        node = child
        path.append(part)
    return node, path


def _key_node(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(mapping, yaml.MappingNode):
        for key_node, _ in mapping.value:
            if getattr(key_node, "value", None) == key:
                return key_node
    return None


def _format_path(path: Sequence[int | str]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class whose fields live at ``loc`` (for "did you mean" hints)."""
    model: Any = Suite
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            field = next((f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        model = _first_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _first_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _message(error: dict[str, Any], key: str | None) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden" and key is not None:
        loc = list(error["loc"])
        model = _model_at(loc[:-1])
        allowed = sorted(
            (f.alias or name) for name, f in (model.model_fields.items() if model else ())
        )
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        listing = f" (allowed: {', '.join(allowed)})" if allowed and not close else ""
        return f"unknown field '{key}'{hint}{listing}"
    if kind == "missing":
        return "required field is missing"
    message = str(error.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if kind in ("literal_error", "enum") or kind.endswith("_type") or kind.endswith("_parsing"):
        value = error.get("input")
        if not isinstance(value, (dict, list)):
            message = f"{message} (got {value!r})"
    return message


def _describe(exc: ValidationError, root: yaml.Node | None, filename: str) -> str:
    errors = exc.errors(include_url=False)
    # Prefer the most specific error of a union (the deepest location) as the first line.
    errors.sort(key=lambda e: -len(e["loc"]))
    first = _best_error(errors)
    loc = list(first["loc"])
    kind = first.get("type", "")
    key = loc[-1] if kind in ("extra_forbidden", "missing") and loc else None
    parent_loc = loc[:-1] if key is not None else loc
    node, path = _node_at(root, parent_loc)
    line_node = node
    if kind == "extra_forbidden" and isinstance(key, str):
        line_node = _key_node(node, key) or node
    field_path = _format_path([*path, key] if isinstance(key, str) else path)
    line = f":{line_node.start_mark.line + 1}" if line_node is not None else ""
    more = len({tuple(e["loc"]) for e in errors}) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    message = _message(first, key if isinstance(key, str) else None)
    return f"{filename}{line}: {field_path}: {message}{suffix}"


def _best_error(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """Pick the error to show: field-level mistakes before union alternatives' noise."""
    for error in errors:
        if error.get("type") in ("extra_forbidden", "value_error", "missing"):
            return error
    return errors[0]


# --- semantic checks that need the whole file -----------------------------------


def _resolve(suite: Suite, root: yaml.Node | None, filename: str) -> Suite:
    """Give every scenario an id (position 1..N unless set) and check references."""

    def fail(loc: Loc, message: str) -> ConfigError:
        node, path = _node_at(root, loc)
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return ConfigError(f"{filename}{line}: {_format_path(path or list(loc))}: {message}")

    profiles = suite.test_profile_by_id()
    seen_profiles: set[int] = set()
    for index, profile in enumerate(suite.test_profiles):
        if profile.id in seen_profiles:
            raise fail(["test_profiles", index, "id"], f"duplicate test profile id {profile.id}")
        seen_profiles.add(profile.id)

    resolved: list[ScenarioSpec] = []
    seen: dict[int, int] = {}
    for index, scenario in enumerate(suite.scenarios):
        scenario_id = scenario.id if scenario.id is not None else index + 1
        if scenario_id in seen:
            where = ["scenarios", index, "id"] if scenario.id is not None else ["scenarios", index]
            raise fail(
                where,
                f"duplicate scenario id {scenario_id} (also scenarios[{seen[scenario_id]}]; "
                "scenarios without an id get their position 1..N)",
            )
        seen[scenario_id] = index
        if scenario.test_profile is not None and scenario.test_profile not in profiles:
            known = ", ".join(str(p) for p in sorted(profiles)) or "none defined"
            raise fail(
                ["scenarios", index, "test_profile"],
                f"unknown test profile {scenario.test_profile} (test_profiles: {known})",
            )
        expect = scenario.expect
        if (
            expect is not None
            and expect.greeting_contains is not None
            and suite.first_speaker(scenario) != "agent"
        ):
            raise fail(
                ["scenarios", index, "expect", "greeting_contains"],
                "needs first_speaker: agent (the tester speaks first in this scenario)",
            )
        resolved.append(scenario if scenario.id == scenario_id else _with_id(scenario, scenario_id))
    return suite.model_copy(update={"scenarios": resolved})


def _with_id(scenario: ScenarioSpec, scenario_id: int) -> ScenarioSpec:
    return scenario.model_copy(update={"id": scenario_id})
