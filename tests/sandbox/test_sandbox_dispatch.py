"""Contract tests of the emulated service's dispatch, without sockets: shapes, pagination,
filters, DRF errors, auth, body validation, runs keyed by id, bulk, end_calls."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from cekura_cli.api.models import Result, Run, Scenario
from cekura_cli.sandbox.dispatch import EndCalls, Request, Response, StartRuns, dispatch
from cekura_cli.sandbox.loader import load_suite, parse_suite
from cekura_cli.sandbox.state import Outcome, RunStatus, SandboxState

KEY = "test-key"
BASE = "http://sandbox.test:8000"


def big_suite_text(count: int = 23) -> str:
    lines = [
        "agent: {id: 7, project: 3, name: Test agent, assistant_id: asst_1}",
        "test_profiles:",
        "  - {id: 4, name: VIP, information: {X-Customer-ID: c1}}",
        "  - {id: 5, name: New, information: {tier: free}}",
        "scenarios:",
    ]
    for n in range(1, count + 1):
        tags = ["all"] + (["even"] if n % 2 == 0 else ["odd"]) + (["three"] if n % 3 == 0 else [])
        lines.append(f"  - name: Scenario {n}")
        lines.append(f"    tags: [{', '.join(tags)}]")
        lines.append("    turns: [{say: hello}]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def state() -> SandboxState:
    suite = parse_suite(big_suite_text())
    return SandboxState(suite, agent_websocket_url="ws://127.0.0.1:9/agent", clock=lambda: 1e9)


def call(
    state: SandboxState,
    method: str,
    path: str,
    *,
    query: str = "",
    body: Any = None,
    key: str | None = KEY,
    expected_key: str | None = KEY,
) -> Response:
    headers = {"x-cekura-api-key": key} if key is not None else {}
    raw = (
        body
        if isinstance(body, bytes)
        else (json.dumps(body).encode() if body is not None else b"")
    )
    request = Request(method, path, query, headers, raw, BASE)
    return dispatch(state, request, api_key=expected_key)


def start(state: SandboxState, body: dict[str, Any]) -> Response:
    return call(state, "POST", "/test_framework/v1/scenarios/run_scenarios_text/", body=body)


# --- auth, routing, methods ---------------------------------------------------------


def test_missing_key_is_401_with_a_detail(state: SandboxState) -> None:
    response = call(state, "GET", "/test_framework/v1/scenarios/", key=None)
    assert response.status == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_wrong_key_is_401(state: SandboxState) -> None:
    response = call(state, "GET", "/test_framework/v1/scenarios/", key="nope")
    assert (response.status, response.json()) == (401, {"detail": "Invalid API key."})


def test_any_non_empty_key_is_accepted_when_none_is_configured(state: SandboxState) -> None:
    ok = call(state, "GET", "/test_framework/v1/scenarios/", key="whatever", expected_key=None)
    empty = call(state, "GET", "/test_framework/v1/scenarios/", key="", expected_key=None)
    assert (ok.status, empty.status) == (200, 401)


def test_unknown_paths_are_404(state: SandboxState) -> None:
    for path in ("/nope/", "/nope", "/test_framework/v1/scenarioz", "/test_framework/v1/results/x"):
        response = call(state, "GET", path)
        assert (response.status, response.json()) == (404, {"detail": "Not found."})


def test_every_route_answers_with_and_without_its_trailing_slash(state: SandboxState) -> None:
    # the official SDK sends its paths without the trailing slash the service uses
    started = start(state, {"agent_id": 7, "scenarios": [1]}).json()
    run_id = started["runs"][0]["id"]
    paths = [
        ("GET", "/test_framework/v1/scenarios/", ""),
        ("GET", "/test_framework/v1/scenarios/1/", ""),
        ("GET", f"/test_framework/v1/results/{started['id']}/", ""),
        ("GET", "/test_framework/v1/runs/bulk/", f"run_ids={run_id}"),
        ("GET", "/test_framework/v2/aiagents/7/", ""),
        ("POST", f"/test_framework/v1/results/{started['id']}/end_calls/", ""),
    ]
    for method, path, query in paths:
        with_slash = call(state, method, path, query=query)
        without = call(state, method, path.rstrip("/"), query=query)
        assert with_slash.status == 200, path
        assert without.status == 200, path
        if with_slash.body:  # pagination links echo the path as sent; the rest is the same
            same, other = with_slash.json(), without.json()
            if isinstance(same, dict) and "next" in same:
                assert other.pop("next").replace("scenarios?", "scenarios/?") == same.pop("next")
            assert other == same, path
    created = call(
        state,
        "POST",
        "/test_framework/v1/scenarios/run_scenarios_text",
        body={"agent_id": 7, "scenarios": [2]},
    )
    assert created.status == 201 and created.json()["runs"][0]["scenario"] == 2


def test_wrong_method_is_405(state: SandboxState) -> None:
    response = call(state, "GET", "/test_framework/v1/scenarios/run_scenarios_text/")
    assert (response.status, response.json()) == (405, {"detail": 'Method "GET" not allowed.'})
    assert response.headers["Allow"] == "POST"
    assert call(state, "POST", "/test_framework/v1/scenarios").headers["Allow"] == "GET"
    assert call(state, "DELETE", "/test_framework/v1/scenarios/").status == 405


def test_v2_paths_are_aliases(state: SandboxState) -> None:
    v1 = call(state, "GET", "/test_framework/v1/scenarios/", query="page_size=3")
    v2 = call(state, "GET", "/test_framework/v2/scenarios/", query="page_size=3")
    assert v1.json()["results"] == v2.json()["results"]


def test_stats_need_no_key(state: SandboxState) -> None:
    request = Request("GET", "/_sandbox/stats", headers={})
    response = dispatch(state, request, api_key=KEY, stats={"results_created": 0})
    assert (response.status, response.json()) == (200, {"results_created": 0})


# --- scenarios: shape, pagination, filters --------------------------------------------


def follow(state: SandboxState, query: str) -> tuple[list[dict[str, Any]], int, list[int]]:
    """Every item of a scenario list, following absolute `next` links to the end."""
    items: list[dict[str, Any]] = []
    counts: set[int] = set()
    page_sizes: list[int] = []
    path = "/test_framework/v1/scenarios/"
    while True:
        response = call(state, "GET", path, query=query)
        assert response.status == 200
        page = response.json()
        counts.add(page["count"])
        page_sizes.append(len(page["results"]))
        items += page["results"]
        if page["next"] is None:
            break
        parts = urlsplit(page["next"])
        assert f"{parts.scheme}://{parts.netloc}" == BASE  # absolute, like DRF
        path, query = parts.path, parts.query
    assert len(counts) == 1
    return items, counts.pop(), page_sizes


def test_scenarios_are_paginated_ten_a_page_and_next_leads_to_the_end(state: SandboxState) -> None:
    items, count, sizes = follow(state, "agent_id=7")
    assert count == 23 and sizes == [10, 10, 3]
    assert [item["id"] for item in items] == list(range(1, 24))
    first = call(state, "GET", "/test_framework/v1/scenarios/").json()
    assert first["previous"] is None
    second = call(state, "GET", "/test_framework/v1/scenarios/", query="page=2").json()
    assert second["previous"] == f"{BASE}/test_framework/v1/scenarios/"


def test_scenario_items_have_the_service_shape(state: SandboxState) -> None:
    item = call(state, "GET", "/test_framework/v1/scenarios/").json()["results"][0]
    assert {
        "id",
        "name",
        "tags",
        "agent",
        "folder_path",
        "scenario_type",
        "instructions",
        "expected_outcome_prompt",
    } <= set(item)
    parsed = Scenario.model_validate(item)
    assert (parsed.id, parsed.name, parsed.tags, parsed.agent) == (
        1,
        "Scenario 1",
        ["all", "odd"],
        7,
    )


def test_page_size_is_honoured_and_an_invalid_page_is_404(state: SandboxState) -> None:
    _, _, sizes = follow(state, "page_size=7")
    assert sizes == [7, 7, 7, 2]
    response = call(state, "GET", "/test_framework/v1/scenarios/", query="page=9")
    assert (response.status, response.json()) == (404, {"detail": "Invalid page."})
    bad = call(state, "GET", "/test_framework/v1/scenarios/", query="page=x")
    assert (bad.status, bad.json()) == (400, {"page": ["Enter a whole number."]})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tags=three", [3, 6, 9, 12, 15, 18, 21]),
        (
            "tags=even,three&tag_filter_type=or",
            [n for n in range(1, 24) if n % 2 == 0 or n % 3 == 0],
        ),
        ("tags=even,three&tag_filter_type=and", [6, 12, 18]),
        ("tags=even,three&tag_filter_type=not", [1, 5, 7, 11, 13, 17, 19, 23]),
        ("tags=EVEN,Three&tag_filter_type=and", [6, 12, 18]),
        ("tags=nothing", []),
    ],
)
def test_tag_filters(state: SandboxState, query: str, expected: list[int]) -> None:
    items, count, _ = follow(state, query)
    assert [item["id"] for item in items] == expected
    assert count == len(expected)


def test_a_bad_tag_filter_type_is_a_drf_400(state: SandboxState) -> None:
    response = call(
        state, "GET", "/test_framework/v1/scenarios/", query="tags=a&tag_filter_type=xor"
    )
    assert response.status == 400
    assert response.json() == {
        "tag_filter_type": ["Select a valid choice. xor is not one of the available choices."]
    }


def test_another_agent_or_project_has_no_scenarios(state: SandboxState) -> None:
    for query in ("agent_id=8", "project_id=4", "assistant_id=other"):
        page = call(state, "GET", "/test_framework/v1/scenarios/", query=query).json()
        assert (page["count"], page["results"]) == (0, [])
    assert (
        call(state, "GET", "/test_framework/v1/scenarios/", query="assistant_id=asst_1").json()[
            "count"
        ]
        == 23
    )


def test_scenario_and_agent_detail(state: SandboxState) -> None:
    assert call(state, "GET", "/test_framework/v1/scenarios/5/").json()["name"] == "Scenario 5"
    assert call(state, "GET", "/test_framework/v1/scenarios/99/").status == 404
    agent = call(state, "GET", "/test_framework/v1/aiagents/7/").json()
    assert (agent["id"], agent["project"], agent["websocket_url"]) == (
        7,
        3,
        "ws://127.0.0.1:9/agent",
    )
    assert call(state, "GET", "/test_framework/v1/aiagents/1/").status == 404


# --- starting a run ------------------------------------------------------------------


def test_start_creates_runs_and_answers_201_with_the_documented_shape(state: SandboxState) -> None:
    response = start(state, {"agent_id": 7, "scenarios": [2, 5], "name": "CI run"})
    assert response.status == 201
    body = response.json()
    assert {"id", "agent", "status", "run_as_text", "created_at", "name", "runs"} <= set(body)
    assert (body["agent"], body["status"], body["run_as_text"], body["name"]) == (
        7,
        "pending",
        True,
        "CI run",
    )
    assert [(r["scenario"], r["status"]) for r in body["runs"]] == [(2, "pending"), (5, "pending")]
    assert {
        "id",
        "status",
        "scenario",
        "scenario_name",
        "number",
        "inbound_number",
        "test_profile_data",
    } <= set(body["runs"][0])
    assert response.effects == (StartRuns(body["id"]),)
    Result.model_validate(body)


def test_run_count_is_scenarios_times_frequency_personalities_and_profiles(
    state: SandboxState,
) -> None:
    body = {
        "agent_id": 7,
        "scenarios": [1, 2, 3],
        "frequency": 2,
        "personality_ids": [1, 2],
        "test_profile_ids": [4, 5],
    }
    runs = start(state, body).json()["runs"]
    assert len(runs) == 3 * 2 * 2 * 2
    assert {r["test_profile_data"]["id"] for r in runs} == {4, 5}
    assert len({r["id"] for r in runs}) == len(runs)


def test_start_by_tags_selects_any_of_them(state: SandboxState) -> None:
    runs = start(state, {"agent_id": 7, "tags": ["three"]}).json()["runs"]
    assert [r["scenario"] for r in runs] == [3, 6, 9, 12, 15, 18, 21]


def test_assistant_id_can_replace_the_agent_id(state: SandboxState) -> None:
    assert start(state, {"assistant_id": "asst_1", "scenarios": [1]}).status == 201


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"agent_id": 7, "scenarios": [99]},
            {"scenarios": ['Invalid pk "99" - object does not exist.']},
        ),
        (
            {"agent_id": 7},
            {"non_field_errors": ["Provide exactly one of scenarios, tags or folder_path."]},
        ),
        (
            {"agent_id": 7, "scenarios": [1], "tags": ["a"]},
            {"non_field_errors": ["Provide exactly one of scenarios, tags or folder_path."]},
        ),
        ({"agent_id": 7, "scenarios": []}, {"scenarios": ["This list may not be empty."]}),
        (
            {"agent_id": 7, "scenarios": "1"},
            {"scenarios": ['Expected a list of items but got type "str".']},
        ),
        (
            {"agent_id": 7, "scenarios": ["x"]},
            {"scenarios": ["Incorrect type. Expected pk value, received str."]},
        ),
        ({"agent_id": 7, "tags": ["nope"]}, {"tags": ["No scenarios found with the given tags."]}),
        (
            {"agent_id": 7, "scenarios": [1], "frequency": 0},
            {"frequency": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            {"agent_id": 7, "scenarios": [1], "frequency": "2"},
            {"frequency": ["A valid integer is required."]},
        ),
        (
            {"agent_id": 8, "scenarios": [1]},
            {"agent_id": ['Invalid pk "8" - object does not exist.']},
        ),
        ({"scenarios": [1]}, {"agent_id": ["Either agent_id or assistant_id is required."]}),
        (
            {"agent_id": 7, "scenarios": [1], "websocket_url": "http://x"},
            {"websocket_url": ["Enter a valid URL."]},
        ),
        (
            {"agent_id": 7, "scenarios": [1], "test_profile_ids": [9]},
            {"test_profile_ids": ['Invalid pk "9" - object does not exist.']},
        ),
    ],
)
def test_start_validates_the_body_like_the_service(
    state: SandboxState, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    response = start(state, body)
    assert (response.status, response.json()) == (400, errors)
    assert response.effects == ()
    assert state.results == {}


def test_a_body_that_is_not_json_or_not_an_object_is_400(state: SandboxState) -> None:
    response = call(state, "POST", "/test_framework/v1/scenarios/run_scenarios_text/", body=b"{x")
    assert response.status == 400 and response.json()["detail"].startswith("JSON parse error")
    listed = start(state, [1, 2])  # type: ignore[arg-type]
    assert listed.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_an_agent_without_a_websocket_url_needs_one_in_the_request() -> None:
    state = SandboxState(load_suite(None), agent_websocket_url=None)
    response = start(state, {"agent_id": 1, "scenarios": [1]})
    assert response.status == 400 and "websocket_url" in response.json()["non_field_errors"][0]
    ok = start(state, {"agent_id": 1, "scenarios": [1], "websocket_url": "ws://127.0.0.1:1/"})
    assert ok.status == 201


# --- results, runs, end_calls -------------------------------------------------------------


def finish(state: SandboxState, run_id: int, *, success: bool) -> None:
    state.run_started(run_id)
    metric = {
        "id": 1,
        "name": "turn 1: reply contains 'x'",
        "type": "binary",
        "score": int(success),
        "value": success,
        "explanation": "because",
    }
    state.run_finished(
        run_id,
        Outcome(
            status=RunStatus.COMPLETED,
            success=success,
            evaluation={"metrics": [metric]},
            expected_outcome={
                "score": 100 if success else 0,
                "explanation": "e",
                "outcome_alignments": [],
            },
            transcript="[00:00] Testing Agent: hello",
            transcript_object=[
                {"role": "Testing Agent", "content": "hello", "start_time": 0.0, "end_time": 0.0}
            ],
            duration_s=65.0,
            failed_checks=[] if success else ["turn 1: reply contains 'x': because"],
        ),
    )


def test_result_detail_has_runs_keyed_by_id_strings_and_counts(state: SandboxState) -> None:
    created = start(state, {"agent_id": 7, "scenarios": [1, 2, 3]}).json()
    ids = [r["id"] for r in created["runs"]]
    finish(state, ids[0], success=True)
    finish(state, ids[1], success=False)
    detail = call(state, "GET", f"/test_framework/v1/results/{created['id']}/").json()
    assert list(detail["runs"]) == [str(i) for i in ids]
    assert detail["status"] == "running"
    assert (
        detail["total_runs_count"],
        detail["completed_runs_count"],
        detail["success_runs_count"],
        detail["failed_runs_count"],
    ) == (3, 2, 1, 1)
    assert detail["success_rate"] == pytest.approx(33.33)
    assert detail["runs"][str(ids[0])]["duration"] == "01:05"
    assert "transcript" not in detail["runs"][str(ids[0])]
    assert detail["failed_reasons"]["issues"][0]["run_ids"] == [ids[1]]
    assert detail["failed_workflow_runs"] == [ids[1]]
    parsed = Result.model_validate(detail)
    assert parsed.run_ids == ids
    finish(state, ids[2], success=True)
    done = call(state, "GET", f"/test_framework/v1/results/{created['id']}/").json()
    assert done["status"] == "completed"


def test_unknown_result_is_404(state: SandboxState) -> None:
    response = call(state, "GET", "/test_framework/v1/results/404/")
    assert (response.status, response.json()) == (404, {"detail": "Not found."})
    assert call(state, "POST", "/test_framework/v1/results/404/end_calls/").status == 404


def test_runs_bulk_returns_a_bare_array_of_full_runs(state: SandboxState) -> None:
    created = start(state, {"agent_id": 7, "scenarios": [1, 2]}).json()
    ids = [r["id"] for r in created["runs"]]
    finish(state, ids[0], success=False)
    response = call(
        state, "GET", "/test_framework/v1/runs/bulk/", query=f"run_ids={ids[0]},{ids[1]},999"
    )
    runs = response.json()
    assert isinstance(runs, list) and sorted(r["id"] for r in runs) == sorted(ids)
    full = next(r for r in runs if r["id"] == ids[0])
    for key in (
        "evaluation",
        "expected_outcome",
        "transcript",
        "transcript_object",
        "duration",
        "error_message",
        "evaluation_status",
        "scenario_name",
        "success",
        "status",
    ):
        assert key in full
    assert (full["status"], full["success"], full["evaluation_status"]) == (
        "completed",
        False,
        "failure",
    )
    parsed = Run.model_validate(full)
    assert parsed.evaluation is not None and parsed.evaluation.metrics[0].score == 0
    pending = next(r for r in runs if r["id"] == ids[1])
    # the schema's non-null enum: an unfinished run is not (yet) a successful evaluation
    assert (pending["status"], pending["evaluation_status"]) == ("pending", "failure")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "This field is required."),
        (
            "run_ids=[1,2]",
            "Must be a comma-separated list of run IDs (e.g. 1,2,3), not a JSON array.",
        ),
        ("run_ids=1,abc", '"abc" is not a valid run ID.'),
    ],
)
def test_runs_bulk_errors(state: SandboxState, query: str, message: str) -> None:
    response = call(state, "GET", "/test_framework/v1/runs/bulk/", query=query)
    assert (response.status, response.json()) == (400, {"run_ids": [message]})


def test_end_calls_cancels_unfinished_runs_and_answers_200(state: SandboxState) -> None:
    created = start(state, {"agent_id": 7, "scenarios": [1, 2, 3]}).json()
    ids = [r["id"] for r in created["runs"]]
    finish(state, ids[0], success=True)
    state.run_started(ids[1])
    response = call(state, "POST", f"/test_framework/v1/results/{created['id']}/end_calls/")
    assert (response.status, response.body) == (200, b"")
    assert response.effects == (EndCalls(created["id"], (ids[1], ids[2])),)
    detail = call(state, "GET", f"/test_framework/v1/results/{created['id']}/").json()
    assert [detail["runs"][str(i)]["status"] for i in ids] == [
        "completed",
        "cancelled",
        "cancelled",
    ]
    assert detail["status"] == "completed"
    assert detail["failed_infrastructure_runs"] == [ids[1], ids[2]]
    again = call(state, "POST", f"/test_framework/v1/results/{created['id']}/end_calls/")
    assert again.effects == (EndCalls(created["id"], ()),)


def test_a_finished_conversation_never_overrides_a_cancellation(state: SandboxState) -> None:
    created = start(state, {"agent_id": 7, "scenarios": [1]}).json()
    run_id = created["runs"][0]["id"]
    state.run_started(run_id)
    state.end_calls(created["id"])
    finish(state, run_id, success=True)
    run = state.run_full_json(state.runs[run_id])
    assert (run["status"], run["success"]) == ("cancelled", False)
    assert run["transcript"] == "[00:00] Testing Agent: hello"


def test_dashboard_links_show_the_result_and_a_run_without_a_key(state: SandboxState) -> None:
    created = start(state, {"agent_id": 7, "scenarios": [1, 2]}).json()
    run_id = created["runs"][1]["id"]
    page = call(state, "GET", f"/3/results/{created['id']}", key=None)
    assert (page.status, page.json()["id"]) == (200, created["id"])
    run = call(state, "GET", f"/3/results/{created['id']}", query=f"runId={run_id}", key=None)
    assert (run.status, run.json()["id"]) == (200, run_id)
    assert call(state, "GET", f"/4/results/{created['id']}", key=None).status == 404
    assert (
        call(state, "GET", f"/3/results/{created['id']}", query="runId=1", key=None).status == 404
    )
