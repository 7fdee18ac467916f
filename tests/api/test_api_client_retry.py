"""Which requests are repeated, how long the client waits, and what it raises (respx)."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable

import httpx
import pytest
import respx
from api_helpers import API_KEY, BASE, MASKED, FakeTime

from cekura_cli.api.client import CekuraClient
from cekura_cli.api.retry import RetryPolicy
from cekura_cli.errors import (
    AuthError,
    MalformedResponse,
    NotFoundError,
    RequestRejected,
    RetriesExhausted,
    ServiceError,
)

RESULT = "/test_framework/v2/results/5/"
START = "/test_framework/v1/scenarios/run_scenarios_text/"
OK_RESULT = {"id": 5, "status": "running", "runs": {"7": {"status": "pending"}}}
START_BODY = {"agent_id": 1, "scenarios": [3]}

MakeClient = Callable[..., CekuraClient]

TRANSIENT_GET_FAILURES = [
    pytest.param(httpx.ConnectError("[Errno 111] Connection refused"), id="connect-error"),
    pytest.param(httpx.ConnectTimeout("timed out"), id="connect-timeout"),
    pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
    pytest.param(httpx.RemoteProtocolError("Server disconnected"), id="dropped"),
    pytest.param(httpx.ReadError("connection reset"), id="read-error"),
    pytest.param(httpx.Response(408), id="408"),
    pytest.param(httpx.Response(429), id="429"),
    pytest.param(httpx.Response(500), id="500"),
    pytest.param(httpx.Response(502, text="<html>bad gateway</html>"), id="502"),
    pytest.param(httpx.Response(503), id="503"),
    pytest.param(httpx.Response(504), id="504"),
    pytest.param(httpx.Response(200, text="{not json"), id="invalid-json"),
    pytest.param(httpx.Response(200, json=["a", "list"]), id="wrong-shape"),
    pytest.param(httpx.Response(200, json={"status": "running"}), id="missing-id"),
    pytest.param(httpx.Response(204), id="empty-2xx"),
]


@pytest.mark.parametrize("failure", TRANSIENT_GET_FAILURES)
def test_get_is_retried_on_transient_failures(
    failure: object, make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(RESULT).mock(
            side_effect=[failure, failure, httpx.Response(200, json=OK_RESULT)]
        )
        result = make_client().get_result(5)
    assert result.id == 5 and result.run_ids == [7]
    assert route.call_count == 3
    assert len(fake_time.sleeps) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, RequestRejected),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, RequestRejected),
        (422, RequestRejected),
    ],
)
def test_get_is_not_retried_on_client_errors(
    status: int, error: type[ServiceError], make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(path__regex=r"/test_framework/v[12]/results/5/$").mock(
            return_value=httpx.Response(status, json={"detail": "no"})
        )
        with pytest.raises(error) as info:
            make_client().get_result(5)
    assert type(info.value) is error
    # not retried; a 404 on v2 is asked once more on the deprecated v1 route, then final
    assert route.call_count == (2 if status == 404 else 1)
    assert fake_time.sleeps == []
    assert info.value.status_code == status


def test_exhausted_retries_name_method_path_attempts_and_last_problem(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(RESULT).mock(
            side_effect=[httpx.ConnectError("refused")] * 3
            + [httpx.Response(503, json={"detail": "maintenance"})]
        )
        with pytest.raises(RetriesExhausted) as info:
            make_client().get_result(5)
    assert route.call_count == 4
    assert str(info.value) == (
        f"GET {RESULT} failed after 4 attempts; last problem: HTTP 503: maintenance"
    )
    assert info.value.status_code == 503
    assert isinstance(info.value.__cause__, Exception)
    assert len(fake_time.sleeps) == 3


def test_unparseable_body_after_retries_is_malformed(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(RESULT).mock(return_value=httpx.Response(200, text="<html>oops"))
        with pytest.raises(MalformedResponse) as info:
            make_client().get_result(5)
    assert route.call_count == 4
    assert str(info.value).startswith(f"GET {RESULT} returned an unreadable response after 4")
    assert "not JSON" in str(info.value)


def test_backoff_grows_exponentially_with_jitter(make_client: MakeClient, fake_time: FakeTime):
    policy = RetryPolicy(max_attempts=6, initial_backoff_s=1.0, max_backoff_s=8.0)
    with respx.mock(base_url=BASE) as router:
        router.get(RESULT).mock(return_value=httpx.Response(503))
        with pytest.raises(RetriesExhausted):
            make_client(retry=policy).get_result(5)
    assert len(fake_time.sleeps) == 5
    for attempt, slept in enumerate(fake_time.sleeps, start=1):
        bound = policy.backoff_bound_s(attempt)
        assert bound / 2 <= slept <= bound


def test_retry_after_seconds_is_honoured(make_client: MakeClient, fake_time: FakeTime) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(RESULT).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "7"}),
                httpx.Response(503, headers={"Retry-After": "2"}),
                httpx.Response(200, json=OK_RESULT),
            ]
        )
        make_client().get_result(5)
    assert fake_time.sleeps == [7.0, 2.0]


def test_retry_after_http_date_is_honoured(make_client: MakeClient, fake_time: FakeTime) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    with respx.mock(base_url=BASE) as router:
        router.get(RESULT).mock(
            side_effect=[
                httpx.Response(503, headers={"Retry-After": when}),
                httpx.Response(200, json=OK_RESULT),
            ]
        )
        make_client().get_result(5)
    [slept] = fake_time.sleeps
    assert 20.0 < slept <= 30.0  # whole-second date, read a moment after it was written


def test_retry_after_is_capped(make_client: MakeClient, fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_after_s=12.0)
    with respx.mock(base_url=BASE) as router:
        router.get(RESULT).mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "3600"}),
                httpx.Response(200, json=OK_RESULT),
            ]
        )
        make_client(retry=policy).get_result(5)
    assert fake_time.sleeps == [12.0]


def test_retries_never_sleep_past_the_deadline(make_client: MakeClient, fake_time: FakeTime):
    client = make_client(retry=RetryPolicy(max_attempts=50, initial_backoff_s=1.0))
    client.deadline = fake_time.now + 10.0
    with respx.mock(base_url=BASE) as router:
        route = router.get(RESULT).mock(return_value=httpx.Response(503))
        with pytest.raises(RetriesExhausted) as info:
            client.get_result(5)
    assert fake_time.now <= client.deadline
    assert route.call_count == len(fake_time.sleeps) + 1 < 50
    assert "stopped early: the next retry would pass the deadline" in str(info.value)


def test_retry_after_beyond_the_deadline_stops_at_once(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    client = make_client()
    client.deadline = fake_time.now + 5.0
    with respx.mock(base_url=BASE) as router:
        route = router.get(RESULT).mock(
            return_value=httpx.Response(429, headers={"Retry-After": "30"})
        )
        with pytest.raises(RetriesExhausted) as info:
            client.get_result(5)
    assert route.call_count == 1 and fake_time.sleeps == []
    assert "after 1 attempt (stopped early" in str(info.value)


def test_attempt_timeout_is_shortened_near_the_deadline(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    client = make_client(timeout_s=30.0)
    seen: list[dict[str, float]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=OK_RESULT)

    with respx.mock(base_url=BASE) as router:
        router.get(RESULT).mock(side_effect=record)
        client.get_result(5)
        client.deadline = fake_time.now + 3.0
        client.get_result(5)
        client.deadline = fake_time.now - 100.0  # passed: a last read still gets a moment
        client.get_result(5)
    assert [t["read"] for t in seen] == [30.0, 3.0, 1.0]
    assert [t["connect"] for t in seen] == [10.0, 3.0, 1.0]


# -- the start POST: at most one result per run ---------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ConnectError("[Errno 111] Connection refused"), id="connect-error"),
        pytest.param(httpx.ConnectTimeout("timed out"), id="connect-timeout"),
        pytest.param(httpx.PoolTimeout("no connection"), id="pool-timeout"),
        pytest.param(httpx.Response(429, headers={"Retry-After": "1"}), id="429"),
    ],
)
def test_start_is_retried_only_when_the_server_did_not_act(
    failure: object, make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(START).mock(side_effect=[failure, httpx.Response(201, json=OK_RESULT)])
        result = make_client().start_text_run(START_BODY)
    assert result.id == 5
    assert route.call_count == 2
    assert len(fake_time.sleeps) == 1


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
        pytest.param(httpx.WriteTimeout("timed out"), id="write-timeout"),
        pytest.param(httpx.RemoteProtocolError("Server disconnected"), id="dropped"),
        pytest.param(httpx.ReadError("connection reset"), id="read-error"),
        pytest.param(httpx.Response(408), id="408"),
        pytest.param(httpx.Response(500), id="500"),
        pytest.param(httpx.Response(502), id="502"),
        pytest.param(httpx.Response(503, headers={"Retry-After": "1"}), id="503"),
    ],
)
def test_start_is_not_repeated_once_it_may_have_reached_the_server(
    failure: object, make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(START).mock(side_effect=[failure, httpx.Response(201, json=OK_RESULT)])
        with pytest.raises(ServiceError) as info:
            make_client().start_text_run(START_BODY)
    assert route.call_count == 1
    assert fake_time.sleeps == []
    message = str(info.value)
    assert type(info.value) is ServiceError
    assert "the run may have been created" in message
    assert "not repeated to avoid a duplicate" in message
    assert "dashboard" in (info.value.hint or "")


def test_unreadable_start_response_is_malformed_and_not_repeated(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(START).mock(return_value=httpx.Response(201, text="Created!"))
        with pytest.raises(MalformedResponse) as info:
            make_client().start_text_run(START_BODY)
    assert route.call_count == 1
    assert "the run was probably created" in str(info.value)


def test_start_429_exhausted_is_retries_exhausted(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(START).mock(return_value=httpx.Response(429))
        with pytest.raises(RetriesExhausted) as info:
            make_client().start_text_run(START_BODY)
    assert route.call_count == 4
    assert str(info.value).startswith(f"POST {START} failed after 4 attempts")


def test_start_rejection_is_flattened(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post(START).mock(
            return_value=httpx.Response(400, json={"scenarios": ['Invalid pk "99".']})
        )
        with pytest.raises(RequestRejected) as info:
            make_client().start_text_run(START_BODY)
    assert str(info.value) == (
        f'the service rejected POST {START} (HTTP 400): scenarios: Invalid pk "99".'
    )


def test_start_accepts_any_2xx_and_sends_the_body(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(START).mock(return_value=httpx.Response(200, json=OK_RESULT))
        make_client().start_text_run(START_BODY)
    assert route.calls.last.request.content == b'{"agent_id":1,"scenarios":[3]}'
    assert route.calls.last.request.headers["content-type"] == "application/json"


# -- secrets and logging ----------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404, 503])
def test_key_echoed_by_the_server_is_masked(status: int, make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(path__regex=r"/test_framework/v[12]/results/5/$").mock(
            return_value=httpx.Response(status, json={"detail": f"bad key {API_KEY}"})
        )
        with pytest.raises(ServiceError) as info:
            make_client(retry=RetryPolicy(max_attempts=1)).get_result(5)
    assert API_KEY not in str(info.value)
    assert MASKED in str(info.value)


def test_debug_log_has_one_line_per_request_and_no_key(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cekura_cli.api")
    with respx.mock(base_url=BASE) as router:
        router.get(RESULT).mock(
            side_effect=[httpx.Response(503), httpx.Response(200, json=OK_RESULT)]
        )
        make_client().get_result(5)
    lines = [r.getMessage() for r in caplog.records if r.name == "cekura_cli.api"]
    request_lines = [line for line in lines if " -> " in line]
    assert len(request_lines) == 2
    assert request_lines[0].startswith(f"GET {RESULT} -> 503 in ")
    assert request_lines[0].endswith("ms (attempt 1)")
    assert request_lines[1].startswith(f"GET {RESULT} -> 200 in ")
    assert request_lines[1].endswith("(attempt 2)")
    assert not any(API_KEY in line or "X-CEKURA" in line.upper() for line in lines)


def test_every_request_has_key_agent_accept_and_timeouts(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(RESULT).mock(return_value=httpx.Response(200, json=OK_RESULT))
        make_client(timeout_s=12.5).get_result(5)
    request = route.calls.last.request
    assert request.headers["X-CEKURA-API-KEY"] == API_KEY
    assert request.headers["User-Agent"].startswith("cekura-cli/")
    assert request.headers["Accept"] == "application/json"
    timeout = request.extensions["timeout"]
    assert timeout == {"connect": 10.0, "read": 12.5, "write": 12.5, "pool": 12.5}
