"""Fidelity to clients and agents nobody here wrote (issue 9): the real shim on
127.0.0.1:0 driven by websockets, websocket-client and aiohttp, non-ASCII secrets and
headers in both encodings, the seed page's agent shapes, /calls in the Custom transcript
provider format, agent failure causes, and the default capacity.

Every network wait is bounded; no test asserts on how long something took.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest
from fidelity_agents import EXIT_THREE
from test_shim_server import (
    UNIT,
    RawClient,
    closed,
    http_get,
    recv,
    running,
    say,
    wait_for_calls,
)
from websockets.asyncio.client import connect

from cekura_cli.shim.runner import DEFAULT_MAX_CONVERSATIONS, ShimConfig
from cekura_cli.shim.server import header_text

AGENTS = Path(__file__).parent / "fidelity_agents.py"
SECRET = "pässwörd-123"
NAME = "José Müller"


def agent(name: str) -> str:
    return f"{AGENTS}:{name}"


def utf8_on_the_wire(text: str) -> str:
    """What to hand websockets (which sends ISO-8859-1) so the wire carries UTF-8."""
    return text.encode("utf-8").decode("latin-1")


# -- item 3: non-ASCII secrets and headers, both encodings ----------------------------


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_a_non_ascii_secret_and_header_arrive_intact_in_either_encoding(tmp_path, encoding):
    def wire(text: str) -> str:
        return text if encoding == "latin-1" else utf8_on_the_wire(text)

    headers = {
        "X-VOCERA-SECRET": wire(SECRET),
        "X-VOCERA-RUN-ID": "77",
        "X-Customer-Name": wire(NAME),
    }

    async def scenario(url):
        async with connect(url, additional_headers=headers) as ws:
            await say(ws, "hi")
            return await recv(ws)

    with running("echo", secret=SECRET, transcripts_dir=tmp_path) as handle:
        reply = asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 1)
    assert reply == {"content": "hi"}
    assert calls[0]["customer"] == {"name": NAME}
    doc = json.loads(next(tmp_path.iterdir()).read_text(encoding="utf-8"))
    assert doc["headers"]["x-customer-name"] == NAME
    assert SECRET not in json.dumps(doc, ensure_ascii=False)


def test_a_wrong_non_ascii_secret_is_still_refused_in_either_encoding():
    async def refused(url, value):
        async with connect(url, additional_headers={"X-VOCERA-SECRET": value}) as ws:
            return await closed(ws)

    with running("echo", secret=SECRET) as handle:
        for value in ("passwörd-123", utf8_on_the_wire("pässwörd-124"), "pässwörd-12"):
            assert asyncio.run(refused(handle.url, value)) == (1008, "Unauthorized")


def test_header_text_decodes_utf8_and_keeps_latin1():
    assert header_text(utf8_on_the_wire(NAME)) == NAME  # a UTF-8 client
    assert header_text(NAME) == NAME  # an ISO-8859-1 client (not valid UTF-8)
    assert header_text("plain") == "plain"
    assert header_text(NAME.encode().decode("ascii", "surrogateescape")) == NAME  # websockets<17


def test_a_raw_utf8_client_reaches_the_agent_as_utf8(tmp_path):
    with running("echo", secret=SECRET, transcripts_dir=tmp_path) as handle:
        extra = (
            b"X-VOCERA-SECRET: " + SECRET.encode() + b"\r\n"
            b"X-Customer-Name: " + NAME.encode() + b"\r\n"
        )
        with RawClient(handle.port, extra) as client:
            client.send_text('{"content": "ok?"}')
            assert client.recv_frame() == (0x1, b'{"content": "ok?"}')
        calls = wait_for_calls(handle, 1)
    assert calls[0]["customer"]["name"] == NAME


def test_websocket_client_library_with_non_ascii_secret_and_header():
    websocket = pytest.importorskip("websocket")  # websocket-client

    def talk(url: str) -> str:
        ws = websocket.create_connection(
            url,
            header=[f"X-VOCERA-SECRET: {SECRET}", f"X-Customer-Name: {NAME}", "X-VOCERA-RUN-ID: 5"],
            timeout=UNIT,
        )
        try:
            ws.send(json.dumps({"content": "from websocket-client"}))
            return ws.recv()
        finally:
            ws.close()

    with running("echo", secret=SECRET) as handle:
        assert json.loads(talk(handle.url)) == {"content": "from websocket-client"}
        calls = wait_for_calls(handle, 1)
    assert calls[0]["customer"] == {"name": NAME}


def test_aiohttp_client_with_non_ascii_secret_and_header():
    aiohttp = pytest.importorskip("aiohttp")

    async def talk(url: str) -> dict:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=UNIT)) as session:
            headers = {"X-VOCERA-SECRET": SECRET, "X-Customer-Name": NAME, "X-VOCERA-RUN-ID": "6"}
            async with session.ws_connect(url, headers=headers) as ws:
                await ws.send_str(json.dumps({"content": "from aiohttp"}))
                message = await asyncio.wait_for(ws.receive(), UNIT)
                return json.loads(message.data)

    with running("echo", secret=SECRET) as handle:
        assert asyncio.run(talk(handle.url)) == {"content": "from aiohttp"}
        calls = wait_for_calls(handle, 1)
    assert calls[0]["customer"] == {"name": NAME}


# -- item 2: capacity with the default options -----------------------------------------


def test_the_default_options_hold_more_than_the_old_cap_of_200():
    assert ShimConfig("echo").max_conversations == DEFAULT_MAX_CONVERSATIONS >= 1000
    count = 260

    async def scenario(url):
        conns = [await connect(url, open_timeout=UNIT) for _ in range(count)]
        try:
            health = await asyncio.to_thread(http_get, url.replace("ws://", "http://") + "/healthz")
            last = conns[-1]
            await say(last, "still here")
            return health, await recv(last)
        finally:
            await asyncio.gather(*(ws.close() for ws in conns))

    with running("echo") as handle:  # default max_conversations
        (status, health), reply = asyncio.run(scenario(handle.url))
    assert status == 200 and health["conversations"] == count
    assert reply == {"content": "still here"}


# -- item 4: the seed's Function Call Result without a name ----------------------------


def test_a_function_call_result_without_a_name_reaches_the_tester_and_calls(tmp_path):
    async def scenario(url):
        async with connect(url, additional_headers={"X-VOCERA-RUN-ID": "9"}) as ws:
            await say(ws, "weather?")
            return [await recv(ws) for _ in range(3)]

    with running(agent("seed_weather"), transcripts_dir=tmp_path) as handle:
        frames = asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 1)
    assert frames[1] == {
        "role": "Function Call Result",
        "data": {"id": "call_abc123", "name": "get_weather", "result": '{"t": 72}'},
    }
    roles = [m["role"] for m in calls[0]["messages"]]
    assert roles == ["user", "function_call", "function_call_result", "bot"]
    # item 5: the reply is stamped when sent, never before the tool calls ahead of it
    times = [m["start_time"] for m in calls[0]["messages"]]
    assert times == sorted(times)
    # item 5: the agent's metadata names the customer's number
    assert calls[0]["customer"] == {"number": "+15550001111"}


def test_a_result_whose_call_was_in_an_earlier_turn_is_kept_without_a_name():
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "go")
            return [await recv(ws) for _ in range(2)]

    with running(agent("orphan_result")) as handle:
        frames = asyncio.run(scenario(handle.url))
    assert frames == [
        {"role": "Function Call Result", "data": {"id": "call_9", "result": "ok"}},
        {"content": "Done."},
    ]


# -- item 5: /calls ----------------------------------------------------------------------


def test_calls_ids_stay_unique_when_a_run_reconnects_and_numbers_come_from_the_run():
    async def scenario(url):
        for _ in range(3):
            async with connect(url, additional_headers={"X-VOCERA-RUN-ID": "1001"}) as ws:
                await say(ws, "again")
                await recv(ws)

    with running("echo") as handle:
        handle.note_numbers({"1001": "+15557654321"})
        asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 3)
    assert [c["id"] for c in calls] == ["1001", "1001-2", "1001-3"]
    assert {c["customer"]["number"] for c in calls} == {"+15557654321"}


def test_calls_with_a_trailing_slash_and_healthz_too():
    with running("echo", secret=SECRET) as handle:
        base = handle.url.replace("ws://", "http://")
        status, calls = http_get(base + "/calls/", {"Authorization": f"Bearer {SECRET}"})
        assert (status, calls) == (200, [])
        assert http_get(base + "/calls/")[0] == 401
        assert http_get(base + "/healthz/")[0] == 200


# -- item 6: an agent's failure reaches the tester with its cause -----------------------


def test_an_exec_agent_that_exits_closes_1011_with_the_exit_code(tmp_path):
    async def scenario(url):
        async with connect(url, additional_headers={"X-VOCERA-RUN-ID": "42"}) as ws:
            return await closed(ws)

    with running(f"exec:{EXIT_THREE}", transcripts_dir=tmp_path) as handle:
        code, reason = asyncio.run(scenario(handle.url))
        wait_for_calls(handle, 1)
    assert (code, reason) == (1011, "agent error: agent process exited with code 3")
    doc = json.loads(next(tmp_path.iterdir()).read_text())
    assert doc["ended_by"] == "agent"
    assert doc["reason"] == "agent error: agent process exited with code 3"


def test_close_reasons_are_masked_and_fit_a_close_frame():
    from cekura_cli.redact import register_secret
    from cekura_cli.shim.diagnostics import close_reason

    register_secret("sk_test_verysecretvalue")
    reason = close_reason("agent error: token sk_test_verysecretvalue rejected " + "é" * 200)
    assert "verysecret" not in reason
    assert len(reason.encode("utf-8")) <= 123 and reason.endswith("…")


def test_logs_name_the_run_id_not_an_internal_id(caplog):
    async def scenario(url):
        async with connect(url, additional_headers={"X-VOCERA-RUN-ID": "5150"}) as ws:
            await closed(ws)

    with (
        caplog.at_level("ERROR", logger="cekura_cli.shim"),
        running(f"exec:{EXIT_THREE}") as handle,
    ):
        asyncio.run(scenario(handle.url))
        wait_for_calls(handle, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("run 5150: agent failed: agent process exited") for m in messages)


def test_http_probe_of_calls_without_auth_configured_is_open():
    with running("echo") as handle:
        url = handle.url.replace("ws://", "http://") + "/calls/"
        with urllib.request.urlopen(url, timeout=UNIT) as response:
            assert (response.status, json.loads(response.read())) == (200, [])


def test_a_secret_in_an_agents_error_never_leaves_the_shim(tmp_path, caplog):
    async def scenario(url):
        headers = {"X-VOCERA-SECRET": SECRET, "X-VOCERA-RUN-ID": "8"}
        async with connect(url, additional_headers=headers) as ws:
            await say(ws, "go")
            return await closed(ws)

    with (
        caplog.at_level("INFO", logger="cekura_cli.shim"),
        running(agent("leaky"), secret=SECRET, transcripts_dir=tmp_path) as handle,
    ):
        code, reason = asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 1)
    assert (code, reason) == (1011, "agent error: RuntimeError")
    seen = [reason, json.dumps(calls, ensure_ascii=False), next(tmp_path.iterdir()).read_text()]
    seen += [r.getMessage() for r in caplog.records]
    assert not [text for text in seen if SECRET in text or "sswörd-1" in text]
