"""``POST run_scenarios_text/``: validate the body like the service, then create the result.

Errors are DRF-style field errors (``{"scenarios": ['Invalid pk "99" - object does not
exist.']}``); nothing is created unless the whole body is valid. On success the answer is
``201`` with the start response and a :class:`StartRuns` effect for the engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from cekura_cli.sandbox.messages import (
    Request,
    Response,
    StartRuns,
    error,
    field_errors,
    json_response,
)
from cekura_cli.sandbox.scenario_file import ScenarioSpec
from cekura_cli.sandbox.state import SandboxState

MAX_FREQUENCY = 1000
"""The largest ``frequency`` a start request may ask for (a 400 past it)."""
MAX_RUNS_PER_REQUEST = 20_000
"""The most runs one start request may create (scenarios x frequencies x personalities x
test profiles); past it a 400, before anything is created or the lock held for long."""

_RESERVED_HEADER = re.compile(r"^(x-vocera-|sec-websocket-)|^(host|upgrade|connection)$", re.I)


def start_run(
    state: SandboxState, request: Request, _: Mapping[str, str], __: Mapping[str, str]
) -> Response:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error(400, f"JSON parse error - {exc}")
    if not isinstance(body, dict):
        return field_errors(
            {
                "non_field_errors": [
                    f"Invalid data. Expected a dictionary, but got {type(body).__name__}."
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    agent = state.agent
    agent_id, assistant_id = body.get("agent_id"), body.get("assistant_id")
    if agent_id is None and assistant_id is None:
        errors["agent_id"] = ["Either agent_id or assistant_id is required."]
    if agent_id is not None:
        if not isinstance(agent_id, int) or isinstance(agent_id, bool):
            errors["agent_id"] = [
                f"Incorrect type. Expected pk value, received {type(agent_id).__name__}."
            ]
        elif agent_id != agent.id:
            errors["agent_id"] = [f'Invalid pk "{agent_id}" - object does not exist.']
    if assistant_id is not None and (not agent.assistant_id or assistant_id != agent.assistant_id):
        errors["assistant_id"] = ["No agent found with this assistant_id."]

    selected = _selected_scenarios(state, body, errors)
    frequency = _positive_int(body, "frequency", errors, default=1)
    if frequency is not None and frequency > MAX_FREQUENCY:
        errors["frequency"] = [f"Ensure this value is less than or equal to {MAX_FREQUENCY}."]
        frequency = None
    concurrency = _positive_int(body, "concurrency_limit", errors, default=None)
    personalities = _id_list(body, "personality_ids", errors)
    profiles = _id_list(body, "test_profile_ids", errors)
    for profile_id in profiles:
        if profile_id not in state.test_profiles:
            errors.setdefault("test_profile_ids", []).append(
                f'Invalid pk "{profile_id}" - object does not exist.'
            )
    websocket_url = body.get("websocket_url") or state.agent_websocket_url
    if "websocket_url" in body and body["websocket_url"] is not None:
        url = body["websocket_url"]
        if not isinstance(url, str) or not re.match(r"^wss?://[^/\s]+", url):
            errors["websocket_url"] = ["Enter a valid URL."]
    elif not websocket_url and "non_field_errors" not in errors:
        errors["non_field_errors"] = [
            "This agent has no websocket_url to run text scenarios against; pass websocket_url."
        ]
    headers = body.get("websocket_headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        errors["websocket_headers"] = ["Expected an object of string header values."]
        headers = {}
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        errors["name"] = ["Not a valid string."]
    if not errors and selected is not None and frequency is not None:
        runs = (
            sum(s.frequency for s in selected)
            * frequency
            * max(1, len(personalities))
            * max(1, len(profiles))
        )
        if runs > MAX_RUNS_PER_REQUEST:
            errors["non_field_errors"] = [
                f"This request would create {runs} runs; the sandbox allows at most "
                f"{MAX_RUNS_PER_REQUEST} per request."
            ]
    if errors:
        return field_errors(errors)
    assert selected is not None and frequency is not None
    merged_headers = {**agent.websocket_headers, **headers}
    result = state.create_result(
        name=name,
        scenarios=selected,
        frequency=frequency,
        websocket_url=websocket_url,
        websocket_headers={
            k: v for k, v in merged_headers.items() if not _RESERVED_HEADER.match(k)
        },
        personality_ids=personalities,
        test_profile_ids=profiles,
        concurrency_limit=concurrency,
    )
    return json_response(201, state.start_response_json(result), effects=(StartRuns(result.id),))


def _selected_scenarios(
    state: SandboxState, body: Mapping[str, Any], errors: dict[str, list[str]]
) -> list[ScenarioSpec] | None:
    given = [key for key in ("scenarios", "tags", "folder_path") if body.get(key) is not None]
    if len(given) != 1:
        errors["non_field_errors"] = ["Provide exactly one of scenarios, tags or folder_path."]
        return None
    key = given[0]
    value = body[key]
    if key == "folder_path":
        errors["folder_path"] = ["The sandbox has no folders; select scenarios by id or by tags."]
        return None
    if not isinstance(value, list):
        errors[key] = [f'Expected a list of items but got type "{type(value).__name__}".']
        return None
    if not value:
        errors[key] = ["This list may not be empty."]
        return None
    if key == "scenarios":
        chosen: list[ScenarioSpec] = []
        for item in value:
            if not isinstance(item, int) or isinstance(item, bool):
                errors.setdefault(key, []).append(
                    f"Incorrect type. Expected pk value, received {type(item).__name__}."
                )
            elif item not in state.scenario_index:
                errors.setdefault(key, []).append(f'Invalid pk "{item}" - object does not exist.')
            elif state.scenario_index[item] not in chosen:
                chosen.append(state.scenario_index[item])
        return None if key in errors else chosen
    if not all(isinstance(t, str) and t.strip() for t in value):
        errors[key] = ["Every tag must be a non-empty string."]
        return None
    wanted = {t.strip().lower() for t in value}
    chosen = [s for s in state.scenarios if wanted & {t.lower() for t in s.tags}]
    if not chosen:
        errors[key] = ["No scenarios found with the given tags."]
        return None
    return chosen


def _positive_int(
    body: Mapping[str, Any], key: str, errors: dict[str, list[str]], *, default: int | None
) -> int | None:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        errors[key] = ["A valid integer is required."]
        return default
    if value < 1:
        errors[key] = ["Ensure this value is greater than or equal to 1."]
        return default
    return value


def _id_list(body: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> list[int]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in value
    ):
        errors[key] = ["Expected a list of positive integer ids."]
        return []
    return list(dict.fromkeys(value))
