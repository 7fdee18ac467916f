"""``run_scenarios_json``: the start is never repeated, the dry run may be, 400s keep their body."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
import respx
from api_helpers import API_KEY, BASE

from cekura_cli.api.client import CekuraClient
from cekura_cli.errors import RequestRejected, ServiceError

MakeClient = Callable[..., CekuraClient]
PATH = "/test_framework/v1/scenarios/run_scenarios_json/"
BODY = {"spec": {"version": "1", "scenarios": [{"name": "a", "instructions": "b"}]},
        "agent_id": 1, "channel": "text"}  # fmt: skip


def test_the_start_posts_the_body_and_reads_the_result(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(PATH).mock(
            return_value=httpx.Response(
                201, json={"id": 9, "runs": [{"id": 90, "scenario": 5, "scenario_name": "a"}]}
            )
        )
        result = make_client().start_suite_run(BODY)
    assert result.id == 9 and [r.scenario for r in result.runs] == [5]
    request = route.calls.last.request
    assert json.loads(request.content) == BODY
    assert request.headers["X-CEKURA-API-KEY"] == API_KEY
    assert request.url.query == b""


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(502), httpx.Response(200, text="{not json"), httpx.ReadTimeout("slow")],
)
def test_the_start_is_never_repeated_once_it_may_have_arrived(
    make_client: MakeClient, failure: object
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(PATH)
        route.side_effect = [failure, httpx.Response(201, json={"id": 1})]
        with pytest.raises(ServiceError) as caught:
            make_client().start_suite_run(BODY)
    assert route.call_count == 1
    assert "not repeated" in caught.value.message


def test_the_start_is_retried_when_the_connection_was_never_made(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(PATH)
        route.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json={"id": 3})]
        assert make_client().start_suite_run(BODY).id == 3
    assert route.call_count == 2


def test_the_dry_run_asks_for_dry_run_and_may_be_retried(make_client: MakeClient) -> None:
    plan = {"dry_run": True, "valid": True, "plan": {"total_runs": 1, "estimated_cost": 0.35}}
    with respx.mock(base_url=BASE) as router:
        route = router.post(PATH)
        route.side_effect = [httpx.Response(503), httpx.Response(200, json=plan)]
        answer = make_client().dry_run_suite(BODY)
    assert answer == plan
    assert route.call_count == 2
    assert route.calls.last.request.url.params["dry_run"] == "true"


@pytest.mark.parametrize(
    "payload",
    [
        {"errors": {"scenarios[0].metrics[0]": ["not enabled"]}},
        {"scenarios[0].metrics[0]": ["not enabled"]},
    ],
)
def test_a_400_keeps_its_body_for_mapping(make_client: MakeClient, payload: dict) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post(PATH).mock(return_value=httpx.Response(400, json=payload))
        with pytest.raises(RequestRejected) as caught:
            make_client().start_suite_run(BODY)
    assert caught.value.status_code == 400
    assert caught.value.payload == payload
    assert "not enabled" in caught.value.message
