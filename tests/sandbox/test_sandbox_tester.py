"""The scripted tester against small real WebSocket agents on 127.0.0.1:0."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox_helpers import UNIT_S
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from cekura_cli.sandbox.conversation import EndedBy
from cekura_cli.sandbox.tester import (
    CallControl,
    ConversationPlan,
    run_conversation,
    vocera_headers,
)

GREETING = "Hello! How can I help?"
SECRET = "ws-secret-value-123"


def plan(url: str, turns: tuple[str, ...], **overrides: Any) -> ConversationPlan:
    values: dict[str, Any] = {
        "url": url,
        "turns": turns,
        "headers": vocera_headers(
            secret=SECRET, scenario_id=3, result_id=2, run_id=1001, extra={"X-Customer-ID": "c9"}
        ),
        "first_speaker": "agent",
        "greeting_timeout_s": 1.0,
        "turn_timeout_s": UNIT_S,
        "close_delay_s": 0.2,
    }
    values.update(overrides)
    return ConversationPlan(**values)


def converse(
    handler: Callable[[ServerConnection], Awaitable[None]],
    make_plan: Callable[[str], ConversationPlan],
    *,
    control: CallControl | None = None,
    during: Callable[[CallControl], Awaitable[None]] | None = None,
    **serve_kwargs: Any,
):
    """Run one conversation against ``handler``; returns the tester's record."""

    async def main():
        async with serve(handler, "127.0.0.1", 0, **serve_kwargs) as server:
            port = server.sockets[0].getsockname()[1]
            ctl = control or CallControl()
            conversation = asyncio.ensure_future(
                run_conversation(make_plan(f"ws://127.0.0.1:{port}"), ctl)
            )
            if during is not None:
                await during(ctl)
            return await asyncio.wait_for(conversation, 4 * UNIT_S)

    return asyncio.run(main())


def test_a_greeting_agent_with_tools_metadata_and_end_call() -> None:
    seen: dict[str, Any] = {"frames": []}

    async def agent(ws: ServerConnection) -> None:
        seen["headers"] = {k.lower(): v for k, v in ws.request.headers.raw_items()}
        await ws.send(json.dumps({"content": GREETING}))
        await ws.send(json.dumps({"metadata": {"call": "abc"}}))
        async for raw in ws:
            message = json.loads(raw)
            seen["frames"].append(message)
            if message.get("type") == "end_call":
                continue
            await ws.send(b"\x00binary is ignored")
            await ws.send("not json")
            await ws.send(json.dumps(["not", "an", "object"]))
            await ws.send(
                json.dumps(
                    {
                        "role": "Function Call",
                        "data": {"id": "c1", "name": "book", "arguments": '{"d": 1}'},
                    }
                )
            )
            await ws.send(
                json.dumps(
                    {
                        "role": "Function Call Result",
                        "data": {"id": "c1", "name": "book", "result": "{}"},
                    }
                )
            )
            await ws.send(
                json.dumps(
                    {"content": f"ok: {message['content']}", "metadata": {"call": "def", "n": 1}}
                )
            )

    record = converse(agent, lambda url: plan(url, ("one", "two")))
    assert record.error is None
    assert record.greeting == GREETING
    assert [(t.say, t.reply) for t in record.turns] == [("one", "ok: one"), ("two", "ok: two")]
    assert [c.name for c in record.turns[0].tool_calls] == ["book"]
    assert record.turns[0].tool_results == [{"id": "c1", "name": "book", "result": "{}"}]
    assert record.metadata == {"call": "def", "n": 1}
    assert record.ended_by is EndedBy.TESTER
    assert seen["frames"] == [{"content": "one"}, {"content": "two"}, {"type": "end_call"}]
    headers = seen["headers"]
    assert headers["x-vocera-secret"] == SECRET
    assert (
        headers["x-vocera-scenario-id"],
        headers["x-vocera-result-id"],
        headers["x-vocera-run-id"],
    ) == ("3", "2", "1001")
    assert headers["x-customer-id"] == "c9"
    roles = [entry["role"] for entry in record.entries]
    assert roles == [
        "Main Agent",
        "Testing Agent",
        "Function Call",
        "Function Call Result",
        "Main Agent",
        "Testing Agent",
        "Function Call",
        "Function Call Result",
        "Main Agent",
    ]
    times = [entry["start_time"] for entry in record.entries]
    assert times == sorted(times) and all(t >= 0 for t in times)
    assert record.entries[2]["data"]["arguments"] == '{"d": 1}'


def test_no_secret_header_without_a_secret() -> None:
    headers = vocera_headers(
        secret=None,
        scenario_id=1,
        result_id=1,
        run_id=1,
        extra={"X-VOCERA-RUN-ID": "forged", "X-Tier": "gold"},
    )
    names = [name for name, _ in headers]
    assert "X-VOCERA-SECRET" not in names
    assert names.count("X-VOCERA-RUN-ID") == 1 and ("X-Tier", "gold") in headers


def test_an_agent_that_does_not_greet_fails_the_wait_but_the_script_goes_on() -> None:
    async def echo(ws: ServerConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if "content" in message:
                await ws.send(json.dumps({"content": message["content"]}))

    record = converse(echo, lambda url: plan(url, ("hi",), greeting_timeout_s=0.2))
    assert record.greeting is None and record.greeting_timeout_s == 0.2
    assert [t.reply for t in record.turns] == ["hi"]
    assert record.error is None


def test_tester_first_records_a_crossing_greeting_as_a_greeting() -> None:
    async def eager(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"content": GREETING}))  # greets at once, whatever happens
        async for raw in ws:
            message = json.loads(raw)
            if "content" in message:
                await ws.send(json.dumps({"content": "answer to " + message["content"]}))

    for _ in range(5):  # the crossing is a race; it must never be mis-read
        record = converse(eager, lambda url: plan(url, ("first", "second"), first_speaker="tester"))
        assert record.greeting == GREETING
        assert [t.reply for t in record.turns] == ["answer to first", "answer to second"]


def test_tester_first_sends_at_once_to_a_silent_agent() -> None:
    async def echo(ws: ServerConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if "content" in message:
                await ws.send(json.dumps({"content": message["content"]}))

    record = converse(echo, lambda url: plan(url, ("a", "b"), first_speaker="tester"))
    assert record.greeting is None
    assert [t.reply for t in record.turns] == ["a", "b"]


def test_the_agent_ending_the_call_stops_the_script() -> None:
    async def hangs_up(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"content": GREETING}))
        async for _ in ws:
            await ws.send(json.dumps({"type": "end_call", "content": "Bye now"}))
            await ws.close()

    record = converse(hangs_up, lambda url: plan(url, ("one", "two", "three")))
    assert record.ended_by is EndedBy.AGENT_END_CALL
    assert record.end_content == "Bye now"
    assert [(t.say, t.reply) for t in record.turns] == [("one", "Bye now")]
    assert record.error is None


def test_closing_the_socket_counts_as_the_agent_ending_the_call() -> None:
    async def closes(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"content": GREETING}))
        await ws.recv()
        await ws.close()

    record = converse(closes, lambda url: plan(url, ("one", "two")))
    assert record.ended_by is EndedBy.AGENT_CLOSE
    assert len(record.turns) == 1 and record.turns[0].reply is None
    assert record.error is None


def test_a_1008_refusal_is_an_error_that_names_the_secret() -> None:
    async def refuses(ws: ServerConnection) -> None:
        await ws.close(1008, "Unauthorized")

    record = converse(refuses, lambda url: plan(url, ("one",)))
    assert record.ended_by is EndedBy.ERROR
    assert record.error is not None
    assert "1008" in record.error and "Unauthorized" in record.error
    assert "X-VOCERA-SECRET" in record.error
    assert SECRET not in record.error


def test_an_agent_that_never_answers_hits_the_turn_timeout() -> None:
    received: list[dict[str, Any]] = []

    async def silent(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"content": GREETING}))
        async for raw in ws:
            received.append(json.loads(raw))

    record = converse(
        silent, lambda url: plan(url, ("anyone there?", "hello?"), turn_timeout_s=0.3)
    )
    assert record.ended_by is EndedBy.ERROR
    assert record.error == "the agent did not reply to turn 1 ('anyone there?') within 0.3 s"
    assert received == [{"content": "anyone there?"}, {"type": "end_call"}]  # then hung up


def test_nothing_listening_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    record = asyncio.run(run_conversation(plan(f"ws://127.0.0.1:{port}/", ("hi",))))
    assert record.ended_by is EndedBy.ERROR
    assert record.error is not None
    assert record.error.startswith(f"could not connect to the agent at ws://127.0.0.1:{port}/")
    assert record.turns == []


def test_an_http_rejection_names_the_status() -> None:
    def reject(connection: Any, request: Any) -> Response:
        return Response(403, "Forbidden", Headers([("Content-Length", "0")]), b"")

    async def never(ws: ServerConnection) -> None:  # pragma: no cover - rejected before
        await ws.close()

    record = converse(never, lambda url: plan(url, ("hi",)), process_request=reject)
    assert record.error is not None
    assert "refused the connection with HTTP 403 (check the secret)" in record.error


def test_end_calls_stops_a_conversation_in_flight() -> None:
    received: list[dict[str, Any]] = []

    async def slow(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"content": GREETING}))
        async for raw in ws:
            received.append(json.loads(raw))

    async def stop_when_talking(control: CallControl) -> None:
        for _ in range(int(UNIT_S / 0.01)):
            if control.ws is not None and received:
                break
            await asyncio.sleep(0.01)
        await control.end(0.2)

    record = converse(slow, lambda url: plan(url, ("one", "two")), during=stop_when_talking)
    assert record.ended_by is EndedBy.CANCELLED
    assert received == [{"content": "one"}, {"type": "end_call"}]
    assert record.error is None
