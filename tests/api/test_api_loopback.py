"""The client over real sockets, against a scripted server on 127.0.0.1.

These prove what mocks cannot: a connection the server drops after reading the request,
a port that refuses connections, a server that never answers, keep-alive reuse.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable

import pytest
from api_helpers import API_KEY, FakeTime
from api_loopback_server import Drop, Hang, LoopbackServer, Reply

from cekura_cli.api.client import CekuraClient
from cekura_cli.api.retry import RetryPolicy
from cekura_cli.errors import RetriesExhausted, ServiceError

MakeClient = Callable[..., CekuraClient]
RESULT = "/test_framework/v2/results/5/"
START = "/test_framework/v1/scenarios/run_scenarios_text/"
SCENARIOS = "/test_framework/v1/scenarios/"
OK_RESULT = {"id": 5, "status": "pending", "runs": [{"id": 7, "status": "pending"}]}


def test_get_retried_after_503(loopback: LoopbackServer, make_client: MakeClient) -> None:
    loopback.route("GET", RESULT, Reply(503, {"detail": "busy"}), Reply(200, OK_RESULT))
    assert make_client(base_url=loopback.url).get_result(5).id == 5
    assert loopback.count("GET", RESULT) == 2


def test_get_retried_through_a_dropped_connection(
    loopback: LoopbackServer, make_client: MakeClient
) -> None:
    loopback.route("GET", RESULT, Drop(), Drop(), Reply(200, OK_RESULT))
    assert make_client(base_url=loopback.url).get_result(5).run_ids == [7]
    assert loopback.count("GET", RESULT) == 3


def test_get_retried_after_malformed_json(loopback: LoopbackServer, make_client: MakeClient):
    loopback.route("GET", RESULT, Reply(200, b'{"id": 5, "runs": ['), Reply(200, OK_RESULT))
    assert make_client(base_url=loopback.url).get_result(5).id == 5
    assert loopback.count("GET", RESULT) == 2


def test_429_retry_after_is_honoured(
    loopback: LoopbackServer, make_client: MakeClient, fake_time: FakeTime
) -> None:
    loopback.route(
        "GET",
        RESULT,
        Reply(429, {"detail": "slow down"}, {"Retry-After": "3"}),
        Reply(200, OK_RESULT),
    )
    make_client(base_url=loopback.url).get_result(5)
    assert fake_time.sleeps == [3.0]


def test_start_not_repeated_after_a_dropped_connection(
    loopback: LoopbackServer, make_client: MakeClient, fake_time: FakeTime
) -> None:
    loopback.route("GET", SCENARIOS, Reply(200, {"next": None, "results": [{"id": 3}]}))
    loopback.route("POST", START, Drop(), Reply(201, OK_RESULT))
    client = make_client(base_url=loopback.url)
    scenarios = client.list_scenarios(tags=["smoke"])
    with pytest.raises(ServiceError) as info:
        client.start_text_run({"agent_id": 1, "scenarios": [s.id for s in scenarios]})
    assert "the run may have been created" in str(info.value)
    assert loopback.count("POST", START) == 1  # one `cekura run`, at most one result
    assert fake_time.sleeps == []
    [post] = [r for r in loopback.requests if r.method == "POST"]
    assert json.loads(post.body) == {"agent_id": 1, "scenarios": [3]}


def test_start_not_repeated_after_a_5xx(loopback: LoopbackServer, make_client: MakeClient) -> None:
    loopback.route("POST", START, Reply(502, "<html>Bad Gateway</html>"), Reply(201, OK_RESULT))
    with pytest.raises(ServiceError, match="may have been created"):
        make_client(base_url=loopback.url).start_text_run({"agent_id": 1, "tags": ["x"]})
    assert loopback.count("POST", START) == 1


def test_start_retried_after_connection_refused(make_client: MakeClient) -> None:
    server = LoopbackServer()  # bound but not listening: connections are refused
    sleeps: list[float] = []

    def sleep_then_come_up(seconds: float) -> None:
        sleeps.append(seconds)
        server.start()

    try:
        server.route("POST", START, Reply(201, OK_RESULT))
        client = make_client(base_url=server.url, sleep=sleep_then_come_up)
        assert client.start_text_run({"agent_id": 1, "scenarios": [3]}).id == 5
    finally:
        server.stop()
    assert len(sleeps) == 1
    assert server.count("POST", START) == 1


def test_refused_start_gives_up_after_the_budget_without_a_storm(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    policy = RetryPolicy(max_attempts=4, initial_backoff_s=1.0, max_backoff_s=8.0)
    with LoopbackServer() as never_listening:
        client = make_client(base_url=never_listening.url, retry=policy)
        with pytest.raises(RetriesExhausted) as info:
            client.start_text_run({"agent_id": 1, "scenarios": [3]})
    message = str(info.value)
    assert message.startswith(f"POST {START} failed after 4 attempts; last problem: could not")
    assert len(fake_time.sleeps) == 3
    for attempt, slept in enumerate(fake_time.sleeps, start=1):
        assert slept >= policy.backoff_bound_s(attempt) / 2  # backing off, not hammering


def test_timeouts_are_set(
    loopback: LoopbackServer, make_client: MakeClient, fake_time: FakeTime
) -> None:
    loopback.route("GET", RESULT, Hang())
    client = make_client(base_url=loopback.url, timeout_s=0.2, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(RetriesExhausted) as info:
        client.get_result(5)
    assert "timed out waiting for the response" in str(info.value)
    assert loopback.count("GET", RESULT) == 2


def test_end_calls_against_a_hung_server_is_bounded(loopback: LoopbackServer) -> None:
    loopback.route("POST", "/test_framework/v1/results/5/end_calls/", Hang())
    recorded: list[float] = []
    client = CekuraClient(
        base_url=loopback.url, api_key=API_KEY, sleep=recorded.append, clock=time.monotonic
    )
    try:
        assert client.end_calls(5, timeout_s=0.3) is False
    finally:
        client.close()
    assert recorded == []  # the budget was spent on the one attempt; no retry past it
    assert loopback.count("POST") == 1


def test_connection_is_reused_and_headers_sent(
    loopback: LoopbackServer, make_client: MakeClient
) -> None:
    loopback.route("GET", RESULT, Reply(200, OK_RESULT))
    client = make_client(base_url=loopback.url + "/")
    for _ in range(3):
        client.get_result(5)
    ports = {request.client_port for request in loopback.requests}
    assert len(ports) == 1
    headers = loopback.requests[0].headers
    assert headers["x-cekura-api-key"] == API_KEY
    assert headers["user-agent"].startswith("cekura-cli/")
    assert headers["accept"] == "application/json"


def test_end_calls_works_after_ctrl_c_interrupted_a_request(
    loopback: LoopbackServer, make_client: MakeClient
) -> None:
    """The runner's path on Ctrl-C: a poll is cut off mid-request, then end_calls runs."""
    main_thread = threading.main_thread().ident
    assert main_thread == threading.get_ident()

    def press_ctrl_c() -> None:
        signal.pthread_kill(main_thread, signal.SIGINT)

    loopback.route("GET", RESULT, Hang(on_receipt=press_ctrl_c))
    loopback.route("POST", "/test_framework/v1/results/5/end_calls/", Reply(200))
    client = make_client(base_url=loopback.url, timeout_s=5.0)
    with pytest.raises(KeyboardInterrupt):
        client.get_result(5)
    assert client.end_calls(5, timeout_s=2.0) is True
    assert loopback.count("POST") == 1
