"""Reads go through the current v2 routes, with one fallback to the deprecated v1 twins
that is then kept (cekura-api-more.md §1): mocked, a scripted loopback server, and the
project's sandbox on 127.0.0.1 with the v2 routes refused by a fault."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
import respx
from api_helpers import API_KEY, BASE
from api_loopback_server import LoopbackServer, Reply

from cekura_cli.api.client import CekuraClient
from cekura_cli.api.retry import RetryPolicy
from cekura_cli.errors import NotFoundError, RetriesExhausted

MakeClient = Callable[..., CekuraClient]
V2_RESULT = "/test_framework/v2/results/5/"
V1_RESULT = "/test_framework/v1/results/5/"
V2_BULK = "/test_framework/v2/runs/bulk/"
V1_BULK = "/test_framework/v1/runs/bulk/"
RESULT = {"id": 5, "status": "completed", "runs": [{"id": 7, "status": "completed"}]}


def test_reads_use_v2_and_never_touch_v1(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        v2 = router.get(V2_RESULT).mock(return_value=httpx.Response(200, json=RESULT))
        v1 = router.get(V1_RESULT).mock(return_value=httpx.Response(200, json=RESULT))
        client = make_client()
        assert client.get_result(5).id == 5
    assert (v2.call_count, v1.call_count) == (1, 0)
    assert client.reads_v1 is False


@pytest.mark.parametrize("status", [404, 405, 410])
def test_a_refused_v2_read_falls_back_to_v1_once_and_keeps_it(
    status: int, make_client: MakeClient
) -> None:
    with respx.mock(base_url=BASE) as router:
        v2 = router.get(V2_RESULT).mock(return_value=httpx.Response(status, json={"detail": "x"}))
        v1 = router.get(V1_RESULT).mock(return_value=httpx.Response(200, json=RESULT))
        v1_bulk = router.get(V1_BULK).mock(
            return_value=httpx.Response(200, json=[{"id": 7, "status": "completed"}])
        )
        client = make_client()
        assert client.get_result(5).id == 5
        assert client.get_result(5).id == 5
        assert [run.id for run in client.get_runs([7])] == [7]  # bulk follows the choice
    assert v2.call_count == 1  # asked once; from then on v1 only
    assert v1.call_count == 2
    assert v1_bulk.call_count == 1
    assert client.reads_v1 is True


def test_not_found_on_both_is_really_not_found_and_v2_stays(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        v2 = router.get(V2_RESULT).mock(return_value=httpx.Response(404, json={"detail": "no"}))
        router.get(V1_RESULT).mock(return_value=httpx.Response(404, json={"detail": "no"}))
        client = make_client()
        for _ in range(2):
            with pytest.raises(NotFoundError, match="result 5 was not found"):
                client.get_result(5)
    assert v2.call_count == 2
    assert client.reads_v1 is False


def test_server_errors_are_retried_on_v2_not_moved_to_v1(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        v2 = router.get(V2_RESULT).mock(return_value=httpx.Response(503, json={"detail": "busy"}))
        v1 = router.get(V1_RESULT).mock(return_value=httpx.Response(200, json=RESULT))
        with pytest.raises(RetriesExhausted):
            make_client(retry=RetryPolicy(max_attempts=2)).get_result(5)
    assert (v2.call_count, v1.call_count) == (2, 0)


def test_bulk_reads_fall_back_too(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(V2_BULK).mock(return_value=httpx.Response(405, json={"detail": "no"}))
        v1 = router.get(V1_BULK).mock(
            return_value=httpx.Response(200, json=[{"id": 7, "status": "completed"}])
        )
        assert [run.id for run in make_client().get_runs([7])] == [7]
    assert v1.calls.last.request.url.params["run_ids"] == "7"


def test_a_deprecation_header_is_logged_under_verbose(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cekura_cli.api")
    with respx.mock(base_url=BASE) as router:
        router.get(V2_RESULT).mock(
            return_value=httpx.Response(200, json=RESULT, headers={"Deprecation": "true"})
        )
        make_client().get_result(5)
    assert any("is deprecated (Deprecation: true)" in r.getMessage() for r in caplog.records)


def test_fallback_over_real_sockets(loopback: LoopbackServer, make_client: MakeClient) -> None:
    loopback.route("GET", V2_RESULT, Reply(404, {"detail": "Not found."}))
    loopback.route("GET", V1_RESULT, Reply(200, RESULT), Reply(200, RESULT))
    client = make_client(base_url=loopback.url)
    assert client.get_result(5).id == 5
    assert client.get_result(5).id == 5
    assert loopback.count("GET", V2_RESULT) == 1
    assert loopback.count("GET", V1_RESULT) == 2


def test_the_sandbox_with_v2_refused_is_read_through_v1() -> None:
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
    from cekura_cli.sandbox.faults import parse_fault_specs

    handle = start_sandbox_in_thread(
        SandboxConfig(
            suite=load_suite(None),
            api_key=API_KEY,
            agent_websocket_url="ws://127.0.0.1:9/unused",
            faults=parse_fault_specs(["GET /test_framework/v2/results/*:410"], seed=1),
        )
    )
    try:
        with CekuraClient(base_url=handle.url, api_key=API_KEY) as client:
            started = client.start_text_run({"agent_id": 1, "scenarios": [1], "name": "v1"})
            assert client.get_result(started.id).id == started.id
            assert client.reads_v1 is True
            assert client.get_result(started.id).id == started.id
        assert sum(handle.stats()["faults_fired"].values()) == 1  # v2 asked exactly once
    finally:
        handle.stop()
