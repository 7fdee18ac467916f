"""The API-chat HTTP client against respx: what is retried, what is never sent twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from cekura_cli.api.chat import ChatClient, SubmitStatus, TurnMissing
from cekura_cli.api.retry import RetryPolicy
from cekura_cli.errors import RetriesExhausted

BASE = "https://api.example.test"
KEY = "sk_test_chatclient_0123456789abcdef"
CHAT = f"{BASE}/test_framework/v1/runs/7/chat/"
TURN = f"{BASE}/test_framework/v1/runs/7/chat/3/"
END = f"{BASE}/test_framework/v1/runs/7/end-chat/"
FAST = RetryPolicy(max_attempts=4, initial_backoff_s=0.001, max_backoff_s=0.002)
TURN_BODY = {
    "run_id": 7,
    "result_id": 1,
    "turn_id": 3,
    "status": "ready",
    "message": "hi",
    "ended": False,
    "ended_reason": None,
}


def run(coro):
    return asyncio.run(coro)


async def with_client(fn):
    client = ChatClient(base_url=BASE, api_key=KEY, retry=FAST)
    try:
        return await fn(client)
    finally:
        await client.aclose()


@respx.mock
def test_a_poll_is_retried_through_503_and_429_with_retry_after() -> None:
    route = respx.get(TURN).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200, json=TURN_BODY),
        ]
    )
    state = run(with_client(lambda c: c.poll(7, 3)))
    assert (state.status, state.message, state.ended) == ("ready", "hi", False)
    assert route.call_count == 3
    assert all(call.request.headers["X-CEKURA-API-KEY"] == KEY for call in route.calls)


@respx.mock
def test_a_poll_that_never_recovers_is_retries_exhausted_without_the_key() -> None:
    respx.get(TURN).mock(return_value=httpx.Response(502, text=f"bad gateway {KEY}"))
    with pytest.raises(RetriesExhausted) as caught:
        run(with_client(lambda c: c.poll(7, 3)))
    assert KEY not in str(caught.value) and "4 attempts" in str(caught.value)


@respx.mock
@pytest.mark.parametrize("status", [404, 409])
def test_an_unknown_turn_is_turn_missing(status: int) -> None:
    respx.get(TURN).mock(return_value=httpx.Response(status, json={"detail": "Unknown turn."}))
    with pytest.raises(TurnMissing) as caught:
        run(with_client(lambda c: c.poll(7, 3)))
    assert caught.value.status_code == status


@respx.mock
@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503), httpx.Response(500), httpx.RemoteProtocolError("dropped")],
    ids=["503", "500", "dropped"],
)
def test_a_submit_that_may_have_been_recorded_is_sent_once(failure: object) -> None:
    route = respx.post(CHAT).mock(side_effect=[failure, httpx.Response(202, json={"turn_id": 1})])
    outcome = run(with_client(lambda c: c.submit(7, {"content": "hello"})))
    assert outcome.status is SubmitStatus.AMBIGUOUS
    assert route.call_count == 1


@respx.mock
@pytest.mark.parametrize(
    "failure",
    [httpx.Response(429, headers={"Retry-After": "0"}), httpx.ConnectError("refused")],
    ids=["429", "never-connected"],
)
def test_a_submit_the_service_never_saw_is_sent_again(failure: object) -> None:
    route = respx.post(CHAT).mock(
        side_effect=[failure, httpx.Response(202, json={"turn_id": 4, "status": "generating"})]
    )
    outcome = run(with_client(lambda c: c.submit(7, {"content": "hello"})))
    assert (outcome.status, outcome.turn_id) == (SubmitStatus.ACCEPTED, 4)
    assert route.call_count == 2
    assert route.calls[0].request.content == route.calls[1].request.content


@respx.mock
def test_submit_409_is_rejected_and_400_failed() -> None:
    respx.post(CHAT).mock(
        side_effect=[httpx.Response(409), httpx.Response(400, json={"content": ["bad"]})]
    )

    async def both(client: ChatClient) -> tuple:
        return await client.submit(7, {"content": "x"}), await client.submit(7, {"content": "x"})

    first, second = run(with_client(both))
    assert first.status is SubmitStatus.REJECTED
    assert second.status is SubmitStatus.FAILED and "content: bad" in (second.problem or "")


@respx.mock
def test_a_202_without_a_turn_id_is_ambiguous() -> None:
    respx.post(CHAT).mock(return_value=httpx.Response(202, json={"status": "generating"}))
    outcome = run(with_client(lambda c: c.submit(7, {"content": "x"})))
    assert outcome.status is SubmitStatus.AMBIGUOUS


@respx.mock
def test_end_chat_sends_the_reason_and_never_raises() -> None:
    ok = respx.post(END).mock(
        side_effect=[httpx.Response(200, json={"status": "ended"}), httpx.Response(500)]
    )

    async def twice(client: ChatClient) -> tuple[bool, bool]:
        first = await client.end_chat(7, "main_agent_ended_call", timeout_s=1.0)
        second = await client.end_chat(7, "x", timeout_s=0.05)
        return first, second

    first, second = run(with_client(twice))
    assert first is True and second is False
    assert ok.calls[0].request.content == b'{"reason":"main_agent_ended_call"}'
