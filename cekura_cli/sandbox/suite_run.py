"""``POST run_scenarios_json/``: the sandbox's emulation of running a test-suite spec.

Like the service (``cekura-api-more.md`` §2): the body is ``{spec, agent_id, channel,
name?}``; the spec is checked against the v1 schema (no ``local:`` blocks: the service
does not know them) and for unique keys and names — with jsonschema directly, not the
CLI's own checker, so the CLI meets a second implementation — and every problem comes
back at once in a 400 keyed by location, wrapped in ``errors``::

    {"errors": {"scenarios[1].metrics[0]": ["Metric 'x' ... not enabled ..."]}}

``?dry_run=true`` answers 200 ``{"dry_run": true, "valid": true, "plan": {...}}`` with
the case list, the total runs and an estimated cost, and creates nothing. Otherwise the
result is created (201, the start shape) and its runs are played like a text run.

What a posted case plays: the sandbox scenario with the same name (case-insensitive),
e.g. the ``local:`` blocks ``cekura run --local --suite`` loaded, else a one-turn
script that sends the case's ``first_message`` (default "Hello") with no checks.
Metrics are checked against a small catalogue (:data:`ENABLED_METRICS`): any other id
or slug is "not enabled for this agent", so clients meet the location-keyed 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from cekura_cli.sandbox.messages import Request, Response, StartRuns, error, json_response
from cekura_cli.sandbox.scenario_file import ScenarioSpec, TestProfile, Turn
from cekura_cli.sandbox.state import SandboxState

CHANNELS = ("voice", "text", "elevenlabs", "livekit_v2", "pipecat_v2")
COST_PER_TEXT_RUN = 0.05
ENABLED_METRICS: dict[int, str] = {
    1: "expected_outcome",
    2: "greeting",
    3: "reply_contains",
    4: "tool_called",
    5: "agent_ends_call",
    6: "max_turn_latency",
}
"""The metrics "enabled for the agent" in the sandbox, by id and by slug."""


def run_scenarios_json(
    state: SandboxState, request: Request, query: Mapping[str, str], _: Mapping[str, str]
) -> Response:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error(400, f"JSON parse error - {exc}")
    if not isinstance(body, dict):
        return _errors({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    errors: dict[str, list[str]] = {}
    _check_request(state, body, errors)
    spec = body.get("spec")
    if not isinstance(spec, dict):
        errors.setdefault("spec", []).append("This field is required (a test-suite object).")
        return _errors(errors)
    for location, message in _spec_problems(spec):
        errors.setdefault(location, []).append(message)
    if errors:
        return _errors(errors)
    cases = spec["scenarios"]
    _check_metrics("defaults.metrics", (spec.get("defaults") or {}).get("metrics"), errors)
    for index, case in enumerate(cases):
        _check_case(state, index, case, errors)
    if errors:
        return _errors(errors)
    defaults = spec.get("defaults") or {}
    frequencies = [int(c.get("frequency") or defaults.get("frequency") or 1) for c in cases]
    total = sum(frequencies)
    if str(query.get("dry_run", "")).lower() in ("true", "1", "yes"):
        return json_response(
            200, {"dry_run": True, "valid": True, "plan": _plan(state, spec, frequencies)}
        )
    scenarios = [
        _scenario_for(state, case, frequency)
        for case, frequency in zip(cases, frequencies, strict=True)
    ]
    suite = spec.get("suite") or {}
    result = state.create_result(
        name=body.get("name") or suite.get("name") or None,
        scenarios=scenarios,
        frequency=1,
        websocket_url=state.agent_websocket_url or "",
        websocket_headers=dict(state.agent.websocket_headers),
        personality_ids=[],
        test_profile_ids=[],
        concurrency_limit=defaults.get("concurrency_limit"),
    )
    assert len(result.run_ids) == total
    return json_response(201, state.start_response_json(result), effects=(StartRuns(result.id),))


def _errors(errors: Mapping[str, list[str]]) -> Response:
    return json_response(400, {"errors": dict(errors)})


def _check_request(
    state: SandboxState, body: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    agent_id = body.get("agent_id")
    if agent_id is None:
        errors["agent_id"] = ["This field is required."]
    elif not isinstance(agent_id, int) or isinstance(agent_id, bool):
        errors["agent_id"] = ["A valid integer is required."]
    elif agent_id != state.agent.id:
        errors["agent_id"] = [f'Invalid pk "{agent_id}" - object does not exist.']
    channel = body.get("channel", "voice")
    if channel not in CHANNELS:
        errors["channel"] = [f'"{channel}" is not a valid choice.']
    elif channel != "text":
        errors["channel"] = ['The sandbox runs chat conversations only: send "channel": "text".']
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        errors["name"] = ["Ensure this field is a string of no more than 255 characters."]
    if not state.agent_websocket_url and "non_field_errors" not in errors:
        errors["non_field_errors"] = ["Agent does not have a websocket URL"]


def _spec_problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Schema and uniqueness problems, found without the CLI's own checker (cekura_cli.suite)
    so the client is tested against a second implementation, as it would be by the service."""
    problems = [
        (_location(error.absolute_path), error.message) for error in _validator().iter_errors(spec)
    ]
    if problems:
        return problems
    seen_keys: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for index, case in enumerate(spec["scenarios"]):
        key = case.get("key") or case["name"]
        if key in seen_keys:
            problems.append((f"scenarios[{index}].key", f"Duplicate key {key!r}."))
        seen_keys.setdefault(key, index)
        name = case["name"].strip().casefold()
        if name in seen_names:
            problems.append((f"scenarios[{index}].name", "Duplicate scenario name."))
        seen_names.setdefault(name, index)
    return problems


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    text = (resources.files("cekura_cli.suite") / "test-suite-v1.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def _location(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "non_field_errors"


def _check_metrics(where: str, metrics: Any, errors: dict[str, list[str]]) -> None:
    slugs = set(ENABLED_METRICS.values())
    for number, metric in enumerate(metrics or []):
        if metric not in ENABLED_METRICS and metric not in slugs:
            errors.setdefault(f"{where}[{number}]", []).append(
                f"Metric {metric!r} does not exist or is not enabled for this agent."
            )


def _check_case(
    state: SandboxState, index: int, case: Mapping[str, Any], errors: dict[str, list[str]]
) -> None:
    _check_metrics(f"scenarios[{index}].metrics", case.get("metrics"), errors)
    profile = case.get("test_profile")
    if isinstance(profile, int) and profile not in state.test_profiles:
        errors.setdefault(f"scenarios[{index}].test_profile", []).append(
            f'Invalid pk "{profile}" - test profile does not exist.'
        )


def _scenario_for(state: SandboxState, case: Mapping[str, Any], frequency: int) -> ScenarioSpec:
    name = str(case["name"])
    wanted = name.strip().casefold()
    scripted = next((s for s in state.scenarios if s.name.strip().casefold() == wanted), None)
    update: dict[str, Any] = {"frequency": frequency}
    profile = case.get("test_profile")
    if isinstance(profile, int):
        update["test_profile"] = profile
    elif isinstance(profile, dict):
        update["test_profile"] = _inline_profile(state, profile)
    if scripted is not None:
        if scripted.test_profile is not None:
            update.pop("test_profile", None)  # the script's own profile (a local: block) wins
        return scripted.model_copy(update=update)
    new_id = max([*state.scenario_index, 0]) + 1
    generated = ScenarioSpec(
        id=new_id,
        name=name[:200],
        tags=[str(t) for t in case.get("tags") or [] if str(t).strip()],
        description=case.get("instructions"),
        expected_outcome=case.get("expected_outcome"),
        first_speaker="tester",
        turns=[Turn(say=str(case.get("first_message") or "Hello"))],
    ).model_copy(update=update)
    state.scenario_index[new_id] = generated
    return generated


def _inline_profile(state: SandboxState, profile: Mapping[str, Any]) -> int:
    new_id = max([*state.test_profiles, 0]) + 1
    information = {
        **(profile.get("agent_variables") or {}),
        **(profile.get("caller_variables") or {}),
    }
    state.test_profiles[new_id] = TestProfile(
        id=new_id,
        name=str(profile.get("name") or f"Inline profile {new_id}"),
        information=information,
    )
    return new_id


def _plan(state: SandboxState, spec: Mapping[str, Any], frequencies: list[int]) -> dict[str, Any]:
    defaults = spec.get("defaults") or {}
    cases = []
    for case, frequency in zip(spec["scenarios"], frequencies, strict=True):
        metrics = [*(defaults.get("metrics") or []), *(case.get("metrics") or [])]
        cases.append(
            {
                "key": case.get("key") or case["name"],
                "name": case["name"],
                "type": case.get("type", "instruction"),
                "frequency": frequency,
                "metric_ids": [_metric_id(m) for m in metrics],
                "tags": list(
                    dict.fromkeys([*(case.get("tags") or []), *(defaults.get("tags") or [])])
                ),
                "personality": _mode(case.get("personality", defaults.get("personality"))),
                "test_profile": _mode(case.get("test_profile", defaults.get("test_profile"))),
            }
        )
    total = sum(frequencies)
    return {
        "agent_id": state.agent.id,
        "project_id": state.agent.project,
        "channel": "text",
        "suite_name": (spec.get("suite") or {}).get("name"),
        "scenario_count": len(cases),
        "total_runs": total,
        "estimated_cost": round(total * COST_PER_TEXT_RUN, 2),
        "scenarios": cases,
    }


def _metric_id(metric: Any) -> int:
    if isinstance(metric, int):
        return metric
    return next(i for i, slug in ENABLED_METRICS.items() if slug == metric)


def _mode(value: Any) -> dict[str, Any]:
    if value is None:
        return {"mode": "project_default"}
    if isinstance(value, int):
        return {"mode": "existing", "id": value}
    if isinstance(value, dict) and "base" in value:
        return {"mode": "override", "id": value["base"]}
    return {"mode": "inline"}
