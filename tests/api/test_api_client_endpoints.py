"""Each endpoint's request and response handling: pagination, bulk batching, end_calls (respx)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from api_helpers import API_KEY, BASE, FakeTime

from cekura_cli.api import client as client_module
from cekura_cli.api.client import CekuraClient
from cekura_cli.api.models import Status
from cekura_cli.api.retry import RetryPolicy
from cekura_cli.errors import MalformedResponse, NotFoundError, UsageError
from cekura_cli.redact import redact

MakeClient = Callable[..., CekuraClient]
SCENARIOS = "/test_framework/v1/scenarios/"
BULK = "/test_framework/v2/runs/bulk/"


def _query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.url.query.decode())


def _scenarios(*ids: int) -> list[dict[str, object]]:
    return [{"id": i, "name": f"s{i}", "tags": ["smoke"]} for i in ids]


# -- scenarios: filters and pagination ------------------------------------------------------


def test_list_scenarios_sends_the_filters(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(SCENARIOS).mock(return_value=httpx.Response(200, json=[]))
        make_client().list_scenarios(
            agent_id=42,
            assistant_id="asst_1",
            tags=["smoke", " critical "],
            tag_filter_type="and",
            page_size=25,
        )
    request = route.calls.last.request
    assert b"tags=smoke,critical" in request.url.query  # comma kept as the docs show it
    assert _query(request) == {
        "agent_id": ["42"],
        "assistant_id": ["asst_1"],
        "tags": ["smoke,critical"],
        "tag_filter_type": ["and"],
        "page_size": ["25"],
    }


def test_list_scenarios_without_tags_sends_no_tag_filter(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get(SCENARIOS).mock(return_value=httpx.Response(200, json=[]))
        make_client().list_scenarios(agent_id=1)
    assert _query(route.calls.last.request) == {"agent_id": ["1"], "page_size": ["100"]}


@pytest.mark.parametrize(
    "next_link",
    [
        f"{BASE}{SCENARIOS}?page=2&page_size=100",  # absolute
        f"{SCENARIOS}?page=2&page_size=100",  # root-relative
        "?page=2&page_size=100",  # query-relative
    ],
)
def test_list_scenarios_follows_next(next_link: str, make_client: MakeClient) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        if _query(request).get("page") == ["2"]:
            return httpx.Response(200, json={"count": 3, "next": None, "results": _scenarios(3)})
        return httpx.Response(
            200, json={"count": 3, "next": next_link, "previous": None, "results": _scenarios(1, 2)}
        )

    with respx.mock(base_url=BASE) as router:
        route = router.get(SCENARIOS).mock(side_effect=pages)
        scenarios = make_client().list_scenarios(tags=["smoke"])
    assert [s.id for s in scenarios] == [1, 2, 3]
    assert route.call_count == 2


def test_next_on_another_origin_stays_on_the_base_origin(make_client: MakeClient) -> None:
    """A proxy's http:// or an internal host in `next` must not receive the key."""
    with respx.mock(base_url=BASE, assert_all_mocked=True) as router:
        route = router.get(SCENARIOS).mock(
            side_effect=[
                httpx.Response(
                    200,
                    json={
                        "next": f"https://internal.invalid:8443{SCENARIOS}?page=2",
                        "results": _scenarios(1),
                    },
                ),
                httpx.Response(200, json={"next": None, "results": _scenarios(2)}),
            ]
        )
        scenarios = make_client().list_scenarios()
    assert [s.id for s in scenarios] == [1, 2]
    assert str(route.calls.last.request.url) == f"{BASE}{SCENARIOS}?page=2"


def test_pagination_loop_is_detected(make_client: MakeClient) -> None:
    next_of = {None: "?page=2", "2": "?page=3", "3": "?page=2"}  # page 3 points back to 2

    def pages(request: httpx.Request) -> httpx.Response:
        page = _query(request).get("page", [None])[0]
        return httpx.Response(200, json={"next": next_of[page], "results": _scenarios(1)})

    with respx.mock(base_url=BASE) as router:
        route = router.get(SCENARIOS).mock(side_effect=pages)
        with pytest.raises(MalformedResponse) as info:
            make_client().list_scenarios()
    assert route.call_count == 3
    assert "loops back to a page already read" in str(info.value)


def test_page_count_is_capped(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_PAGES", 5)
    counter = iter(range(2, 10_000))

    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"next": f"?page={next(counter)}", "results": []})

    with respx.mock(base_url=BASE) as router:
        route = router.get(SCENARIOS).mock(side_effect=endless)
        with pytest.raises(MalformedResponse) as info:
            make_client().list_scenarios()
    assert route.call_count == 5
    assert "more than 5 pages" in str(info.value)


def test_duplicates_across_pages_are_dropped(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get(SCENARIOS).mock(
            side_effect=[
                httpx.Response(200, json={"next": "?page=2", "results": _scenarios(1, 2)}),
                httpx.Response(200, json={"next": None, "results": _scenarios(2, 3)}),
            ]
        )
        assert [s.id for s in make_client().list_scenarios()] == [1, 2, 3]


def test_a_bad_page_is_retried_then_malformed(make_client: MakeClient, fake_time: FakeTime):
    with respx.mock(base_url=BASE) as router:
        route = router.get(SCENARIOS).mock(
            return_value=httpx.Response(200, json={"results": [{"name": "no id"}]})
        )
        with pytest.raises(MalformedResponse) as info:
            make_client().list_scenarios()
    assert route.call_count == 4
    assert "unexpected shape (id: " in str(info.value)


# -- runs/bulk -----------------------------------------------------------------------------


def test_get_runs_batches_with_run_ids_and_keeps_the_order_asked(make_client: MakeClient):
    def bulk(request: httpx.Request) -> httpx.Response:
        ids = [int(i) for i in _query(request)["run_ids"][0].split(",")]
        # the service answers in its own order, ids as strings, unknown fields included
        return httpx.Response(
            200, json=[{"id": str(i), "status": "completed", "extra": 1} for i in sorted(ids)]
        )

    with respx.mock(base_url=BASE) as router:
        route = router.get(BULK).mock(side_effect=bulk)
        runs = make_client().get_runs([9, 3, 7, 1, 5, 3], batch_size=2)
    assert [run.id for run in runs] == [9, 3, 7, 1, 5]
    assert all(run.status is Status.COMPLETED for run in runs)
    sent = [call.request.url.query.decode() for call in route.calls]
    assert sent == ["run_ids=9,3", "run_ids=7,1", "run_ids=5"]


def test_get_runs_tolerates_a_paginated_answer_and_missing_runs(make_client: MakeClient):
    with respx.mock(base_url=BASE) as router:
        router.get(BULK).mock(
            return_value=httpx.Response(
                200, json={"count": 1, "next": None, "results": [{"id": 2, "success": "true"}]}
            )
        )
        runs = make_client().get_runs([1, 2])
    assert [(run.id, run.success) for run in runs] == [(2, True)]


def test_get_runs_of_nothing_sends_nothing(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = router.get(BULK)
        assert make_client().get_runs([]) == []
    assert route.call_count == 0


# -- single resources ----------------------------------------------------------------------


def test_get_result_reads_the_detail_view(make_client: MakeClient) -> None:
    body = {
        "id": 17,
        "status": "completed",
        "total_runs_count": "2",
        "success_rate": 50,
        "runs": {
            "274": {"status": "completed", "success": True, "scenario": 3},
            "275": {"id": 275, "status": "timeout"},
        },
        "failed_reasons": {"issues": []},
        "brand_new_field": {"x": 1},
    }
    with respx.mock(base_url=BASE) as router:
        router.get("/test_framework/v2/results/17/").mock(
            return_value=httpx.Response(200, json=body)
        )
        result = make_client().get_result(17)
    assert result.total_runs_count == 2
    assert [(r.id, r.status) for r in result.runs] == [
        (274, Status.COMPLETED),
        (275, Status.TIMEOUT),
    ]


def test_get_agent(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get("/test_framework/v1/aiagents/8/").mock(
            return_value=httpx.Response(
                200, json={"id": 8, "agent_name": "Booking", "project": "3", "websocket_url": None}
            )
        )
        agent = make_client().get_agent(8)
    assert (agent.id, agent.agent_name, agent.project) == (8, "Booking", 3)


def test_missing_agent_is_not_found(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get("/test_framework/v1/aiagents/8/").mock(
            return_value=httpx.Response(404, json={"detail": "Not found."})
        )
        with pytest.raises(NotFoundError) as info:
            make_client().get_agent(8)
    assert str(info.value).startswith("agent 8 was not found (HTTP 404")


# -- end_calls: bounded, never raises --------------------------------------------------------

END = "/test_framework/v1/results/5/end_calls/"


def test_end_calls_success(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post(END).mock(return_value=httpx.Response(200))
        assert make_client().end_calls(5) is True
    assert route.call_count == 1


def test_end_calls_retries_within_its_budget_even_after_the_deadline(
    make_client: MakeClient, fake_time: FakeTime
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=10, initial_backoff_s=0.5))
    client.deadline = fake_time.now - 60  # the run's deadline has passed: that is why we are here
    with respx.mock(base_url=BASE) as router:
        route = router.post(END).mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(502), httpx.Response(200)]
        )
        assert client.end_calls(5, timeout_s=5.0) is True
    assert route.call_count == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(404, json={"detail": "Not found."}),
        httpx.Response(401),
        httpx.Response(503),
        httpx.ReadTimeout("timed out"),
        httpx.Response(200, text="ok"),
    ],
)
def test_end_calls_never_raises_and_stays_in_budget(
    failure: object,
    make_client: MakeClient,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=50, initial_backoff_s=0.5))
    started = fake_time.now
    seen_timeouts: list[float] = []

    def respond(request: httpx.Request) -> httpx.Response:
        seen_timeouts.append(request.extensions["timeout"]["read"])
        if isinstance(failure, Exception):
            raise failure
        return failure  # type: ignore[return-value]

    with respx.mock(base_url=BASE) as router:
        router.post(END).mock(side_effect=respond)
        ok = client.end_calls(5, timeout_s=3.0)
    if isinstance(failure, httpx.Response) and failure.status_code == 200:
        assert ok is True  # any 2xx counts: the body is not read
        return
    assert ok is False
    assert fake_time.now - started <= 3.0
    assert max(seen_timeouts) <= 3.0
    assert any("could not end the calls of result 5" in r.getMessage() for r in caplog.records)


def test_end_calls_survives_unexpected_exceptions(make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        router.post(END).mock(side_effect=RuntimeError("boom"))
        assert make_client().end_calls(5) is False


# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    ["http://api.test.invalid", "http://api.test.invalid/", "HTTP://API.test.invalid//"],
)
def test_base_url_with_or_without_slash(base_url: str, make_client: MakeClient) -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.get("/test_framework/v2/results/1/").mock(
            return_value=httpx.Response(200, json={"id": 1})
        )
        make_client(base_url=base_url).get_result(1)
    assert str(route.calls.last.request.url) == f"{BASE}/test_framework/v2/results/1/"


def test_base_url_path_prefix_is_kept(make_client: MakeClient) -> None:
    with respx.mock(base_url=f"{BASE}/proxy/cekura") as router:
        route = router.get("/test_framework/v2/results/1/").mock(
            return_value=httpx.Response(200, json={"id": 1})
        )
        make_client(base_url=f"{BASE}/proxy/cekura/").get_result(1)
    assert route.calls.last.request.url.path == "/proxy/cekura/test_framework/v2/results/1/"


@pytest.mark.parametrize(
    "base_url", ["", "api.cekura.ai", "ftp://api.cekura.ai", "https://", "https://h/?x=1"]
)
def test_bad_base_url_is_a_usage_error(base_url: str) -> None:
    with pytest.raises(UsageError):
        CekuraClient(base_url=base_url, api_key=API_KEY)


@pytest.mark.parametrize("api_key", ["", "   ", "sk_test_abc\ndef123", "sk_test_clé_123456"])
def test_bad_api_key_is_a_usage_error_that_does_not_echo_it(api_key: str) -> None:
    with pytest.raises(UsageError) as info:
        CekuraClient(base_url=BASE, api_key=api_key)
    assert api_key.strip() == "" or api_key not in str(info.value)


def test_the_key_is_registered_for_redaction(make_client: MakeClient) -> None:
    make_client()
    assert API_KEY not in redact(f"oops {API_KEY}")


def test_tls_verification_is_default_for_https_and_fails_closed_for_http() -> None:
    import ssl

    assert client_module._tls_verification("https") is True
    context = client_module._tls_verification("http")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0  # no CA: any TLS peer is refused


def test_logger_name(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=BASE) as router:
        router.get("/test_framework/v2/results/1/").mock(
            return_value=httpx.Response(200, json={"id": 1})
        )
        make_client().get_result(1)
    ours = [r.getMessage() for r in caplog.records if r.name == "cekura_cli.api"]
    assert len(ours) == 1
    assert urlsplit(BASE).netloc not in ours[0]  # paths only, no host
