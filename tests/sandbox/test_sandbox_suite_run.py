"""The sandbox's ``run_scenarios_json`` contract, on dispatch alone (no sockets)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cekura_cli.api.models import Result
from cekura_cli.sandbox.dispatch import Request, Response, StartRuns, dispatch
from cekura_cli.sandbox.loader import load_suite
from cekura_cli.sandbox.state import SandboxState

KEY = "test-key"
PATH = "/test_framework/v1/scenarios/run_scenarios_json/"


@pytest.fixture
def state() -> SandboxState:
    return SandboxState(
        load_suite(None), agent_websocket_url="ws://127.0.0.1:9/a", clock=lambda: 1e9
    )


def post(state: SandboxState, body: Any, query: str = "", path: str = PATH) -> Response:
    request = Request("POST", path, query, {"x-cekura-api-key": KEY}, json.dumps(body).encode())
    return dispatch(state, request, api_key=KEY)


def spec(*cases: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": "1", "scenarios": list(cases), **top}


def case(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "instructions": "do it", **fields}


def test_a_valid_spec_starts_one_run_per_case_and_frequency(state: SandboxState) -> None:
    body = {
        "spec": spec(case("Stays on topic", frequency=2), case("Brand new case", key="new")),
        "agent_id": 1,
        "channel": "text",
        "name": "my run",
    }
    response = post(state, body)
    assert response.status == 201
    result = Result.model_validate(response.json())
    assert [r.scenario_name for r in result.runs] == [
        "Stays on topic",
        "Stays on topic",
        "Brand new case",
    ]
    assert response.effects == (StartRuns(result.id),)
    assert state.results[result.id].name == "my run"
    played = state.runs[result.runs[0].id].scenario
    assert played.turns[0].say == "What's the weather like today?"  # the scripted scenario
    generated = state.runs[result.runs[2].id].scenario
    assert [t.say for t in generated.turns] == ["Hello"] and generated.id not in (1, 2, 3, 4, 5)


def test_the_v2_path_is_an_alias(state: SandboxState) -> None:
    body = {"spec": spec(case("x")), "agent_id": 1, "channel": "text"}
    assert post(state, body, path=PATH.replace("/v1/", "/v2/")).status == 201


def test_a_dry_run_plans_and_prices_and_creates_nothing(state: SandboxState) -> None:
    body = {
        "spec": spec(
            case("A", key="a", metrics=[1], tags=["x"], personality=3),
            case("B", frequency=3, test_profile={"name": "t", "caller_variables": {"k": 1}}),
            defaults={"tags": ["ci"], "metrics": ["greeting"]},
            suite={"name": "S"},
        ),
        "agent_id": 1,
        "channel": "text",
    }
    response = post(state, body, query="dry_run=true")
    assert response.status == 200 and response.effects == ()
    answer = response.json()
    assert answer["dry_run"] is True and answer["valid"] is True
    plan = answer["plan"]
    assert plan["total_runs"] == 4 and plan["scenario_count"] == 2
    assert plan["estimated_cost"] == 0.2 and plan["suite_name"] == "S"
    a, b = plan["scenarios"]
    assert a["key"] == "a" and a["metric_ids"] == [2, 1] and a["tags"] == ["x", "ci"]
    assert a["personality"] == {"mode": "existing", "id": 3}
    assert b["key"] == "B" and b["test_profile"] == {"mode": "inline"}
    assert state.results == {}


def test_every_problem_comes_back_at_once_keyed_by_location(state: SandboxState) -> None:
    body = {
        "spec": spec(case("A", metrics=["nope", 1]), case("B", test_profile=99)),
        "agent_id": 1,
        "channel": "text",
    }
    response = post(state, body)
    assert response.status == 400
    assert response.json() == {
        "errors": {
            "scenarios[0].metrics[0]": [
                "Metric 'nope' does not exist or is not enabled for this agent."
            ],
            "scenarios[1].test_profile": ['Invalid pk "99" - test profile does not exist.'],
        }
    }
    assert state.results == {}


def test_the_spec_is_checked_like_the_service_does(state: SandboxState) -> None:
    local = case("A", local={"turns": [{"say": "hi"}]})
    body = {"spec": spec(local, case("A")), "agent_id": 2, "channel": "voice"}
    errors = post(state, body).json()["errors"]
    assert errors["agent_id"] == ['Invalid pk "2" - object does not exist.']
    assert "chat conversations only" in errors["channel"][0]
    assert "'local' was unexpected" in errors["scenarios[0]"][0]  # unknown to the service
    body = {"spec": spec(case("A"), case("a")), "agent_id": 1, "channel": "text"}
    assert post(state, body).json()["errors"] == {"scenarios[1].name": ["Duplicate scenario name."]}
    missing = post(state, {"agent_id": 1, "channel": "text"}).json()["errors"]
    assert list(missing) == ["spec"]
