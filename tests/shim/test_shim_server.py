"""Integration tests: the real shim on 127.0.0.1:0, driven by real websockets clients.

Every network wait is bounded by UNIT seconds so a bug fails a test instead of hanging
the suite; no test asserts on how long something took.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cekura_cli.errors import UsageError
from cekura_cli.redact import forget_secrets
from cekura_cli.shim import ShimConfig, start_shim_in_thread
from cekura_cli.shim.agents.booking import GOODBYE, GREETING
from cekura_cli.shim.server import FALLBACK_REPLY

UNIT = 5.0
SAMPLES = Path(__file__).parent / "shim_sample_agents.py"
SECRET = "s3cr3t-Value-7f2a9c"


@contextmanager
def running(target: str = "echo", **options):
    handle = start_shim_in_thread(ShimConfig(target=target, port=0, **options))
    try:
        yield handle
    finally:
        handle.stop(timeout_s=UNIT)
        forget_secrets()


def sample(name: str) -> str:
    return f"{SAMPLES}:{name}"


async def recv(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), UNIT))


async def closed(ws) -> tuple[int, str]:
    """Wait for the server to close; (code, reason) it sent."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await asyncio.wait_for(ws.recv(), UNIT)
    rcvd = info.value.rcvd
    assert rcvd is not None
    return rcvd.code, rcvd.reason


async def say(ws, text: str) -> None:
    await ws.send(json.dumps({"content": text}))


def wait_for_calls(handle, count: int) -> list[dict]:
    deadline = time.monotonic() + UNIT
    while time.monotonic() < deadline:
        calls = handle.calls()
        if len(calls) >= count:
            return calls
        time.sleep(0.01)
    raise AssertionError(f"expected {count} finished calls, got {handle.calls()}")


def wait_until_idle(ws_url: str) -> None:
    """Until the shim counts no open conversation (closing finishes after the client's)."""
    deadline = time.monotonic() + UNIT
    while http_get(ws_url.replace("ws://", "http://") + "/healthz")[1]["conversations"]:
        assert time.monotonic() < deadline, "conversations still open"
        time.sleep(0.01)


def http_get(url: str, headers: dict | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=UNIT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# -- auth ---------------------------------------------------------------------------


def test_no_secret_configured_means_no_auth():
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "hi")
            assert await recv(ws) == {"content": "hi"}
        async with connect(url, additional_headers={"X-VOCERA-SECRET": "anything"}) as ws:
            await say(ws, "hi")
            assert await recv(ws) == {"content": "hi"}

    with running() as handle:
        asyncio.run(scenario(handle.url))


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("X-VOCERA-SECRET", "wrong")],
        [("X-VOCERA-SECRET", SECRET[:-1])],
        [("X-VOCERA-SECRET", SECRET), ("X-Vocera-Secret", SECRET)],
        [("X-VOCERA-SECRET", "")],
    ],
    ids=["missing", "wrong", "prefix", "repeated", "empty"],
)
def test_bad_secret_closes_1008(headers):
    async def scenario(url):
        async with connect(url, additional_headers=headers) as ws:
            assert await closed(ws) == (1008, "Unauthorized")

    with running(secret=SECRET) as handle:
        asyncio.run(scenario(handle.url))
        assert handle.calls() == []  # a refused connection is not a conversation


@pytest.mark.parametrize("name", ["X-VOCERA-SECRET", "x-vocera-secret", "X-Vocera-Secret"])
def test_right_secret_any_header_case(name):
    async def scenario(url):
        async with connect(url, additional_headers={name: SECRET}) as ws:
            await say(ws, "hello")
            assert await recv(ws) == {"content": "hello"}

    with running(secret=SECRET) as handle:
        asyncio.run(scenario(handle.url))


class RawClient:
    """A WebSocket client written by hand, to send header bytes no library would."""

    def __init__(self, port: int, extra_headers: bytes = b"") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=UNIT)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n" + extra_headers + b"\r\n"
        )
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        response, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 101"), response

    def _fill(self) -> None:
        chunk = self.sock.recv(4096)
        assert chunk, "connection closed"
        self.buffer += chunk

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def send_text(self, text: str) -> None:
        payload = text.encode()
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    def recv_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next frame from the server (short frames only)."""
        head = self._read(2)
        return head[0] & 0x0F, self._read(head[1] & 0x7F)

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.sock.close()


def test_non_ascii_secret_is_compared_on_bytes():
    """The secret travels as UTF-8 bytes; websockets decodes them (ISO-8859-1 from 17,
    ASCII + surrogateescape before): the shim compares the original bytes either way."""
    secret = "sécret-ünïcode-✓"
    with running(secret=secret) as handle:
        with RawClient(handle.port, b"X-VOCERA-SECRET: " + secret.encode() + b"\r\n") as ok:
            ok.send_text('{"content": "ok?"}')
            assert ok.recv_frame() == (0x1, b'{"content": "ok?"}')
        wrong = b"X-VOCERA-SECRET: " + secret.encode()[:-1] + b"\r\n"
        with RawClient(handle.port, wrong) as refused:
            opcode, payload = refused.recv_frame()
    assert opcode == 0x8  # close
    assert payload == (1008).to_bytes(2, "big") + b"Unauthorized"


def test_agent_gets_x_headers_and_ids_without_the_secret(tmp_path):
    headers = {
        "X-VOCERA-SECRET": SECRET,
        "X-Vocera-Run-Id": "274",
        "x-vocera-scenario-id": "12",
        "X-VOCERA-RESULT-ID": "31",
        "X-Customer-ID": "cust_9",
        "Authorization": "not an X- header",
    }

    async def scenario(url):
        async with connect(url, additional_headers=headers) as ws:
            await say(ws, "who am I?")
            return json.loads((await recv(ws))["content"])

    with running(sample("context_reporter"), secret=SECRET, transcripts_dir=tmp_path) as handle:
        seen = asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 1)
    assert seen == {
        "run_id": "274",
        "scenario_id": "12",
        "result_id": "31",
        "headers": {
            "x-vocera-run-id": "274",
            "x-vocera-scenario-id": "12",
            "x-vocera-result-id": "31",
            "x-customer-id": "cust_9",
        },
        "secret_env": None,
    }
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    text = files[0].read_text()
    assert SECRET not in text and SECRET not in json.dumps(calls)
    assert json.loads(text)["headers"]["x-customer-id"] == "cust_9"


# -- who speaks first, crossing, order ------------------------------------------------


def test_agent_speaks_first():
    async def scenario(url):
        async with connect(url) as ws:
            assert await recv(ws) == {"content": GREETING}
            await say(ws, "I want an appointment")
            assert (await recv(ws))["content"].startswith("I can help you book")

    with running("booking") as handle:
        asyncio.run(scenario(handle.url))


def test_tester_speaks_first():
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "first!")
            assert await recv(ws) == {"content": "first!"}

    with running("echo") as handle:
        asyncio.run(scenario(handle.url))


def test_greeting_and_first_tester_message_cross():
    """The tester speaks before reading the greeting: both are answered, in order."""

    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "one")
            await say(ws, "two")
            return [await recv(ws) for _ in range(3)]

    with running(sample("polite")) as handle:
        replies = asyncio.run(scenario(handle.url))
    assert replies == [
        {"content": "Hi from polite"},
        {"content": "2: one", "metadata": {"seen": 1}},
        {"content": "4: two", "metadata": {"seen": 1}},
    ]


def test_tool_calls_then_results_then_content_within_a_turn():
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "look it up")
            return [await recv(ws) for _ in range(3)]

    with running(sample("tools")) as handle:
        messages = asyncio.run(scenario(handle.url))
    assert [m.get("role") for m in messages] == ["Function Call", "Function Call Result", None]
    assert messages[2] == {"content": "Looked it up.", "metadata": {"customer_id": "cust_1"}}


def test_booking_tool_call_and_agent_end_call(tmp_path):
    async def scenario(url):
        async with connect(url, additional_headers={"X-VOCERA-RUN-ID": "77"}) as ws:
            assert await recv(ws) == {"content": GREETING}
            await say(ws, "Please book an appointment for Friday at 4pm")
            turn = [await recv(ws) for _ in range(3)]
            await say(ws, "No, that's all, thanks")
            goodbye = await recv(ws)
            code = await closed(ws)
            # the transcript is flushed before the server closes
            return turn, goodbye, code, [p.name for p in tmp_path.iterdir()]

    with running("booking", transcripts_dir=tmp_path) as handle:
        turn, goodbye, code, files_at_close = asyncio.run(scenario(handle.url))
    assert turn[0]["role"] == "Function Call"
    assert json.loads(turn[0]["data"]["arguments"]) == {"date": "friday", "time": "16:00"}
    assert turn[1]["role"] == "Function Call Result"
    assert turn[2]["content"].startswith("You're booked for friday at 16:00.")
    assert goodbye == {"type": "end_call", "content": GOODBYE}
    assert code == (1000, "")
    assert len(files_at_close) == 1 and files_at_close[0].endswith(".json")
    doc = json.loads((tmp_path / files_at_close[0]).read_text())
    assert (doc["ended_by"], doc["reason"], doc["run_id"]) == ("agent", "end_call", "77")
    roles = [e["role"] for e in doc["transcript_object"]]
    assert roles == [
        "Main Agent",
        "Testing Agent",
        "Function Call",
        "Function Call Result",
        "Main Agent",
        "Testing Agent",
        "Main Agent",
    ]
    assert [m["role"] for m in doc["messages"]][2:4] == ["function_call", "function_call_result"]


def test_tester_end_call_is_not_answered(tmp_path):
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "hi")
            assert await recv(ws) == {"content": "hi"}
            await ws.send(json.dumps({"type": "end_call", "content": "Bye now"}))
            return await closed(ws)  # the shim closes without answering

    with running("echo", transcripts_dir=tmp_path) as handle:
        code = asyncio.run(scenario(handle.url))
        (call,) = wait_for_calls(handle, 1)
    assert code == (1000, "")
    assert [m["content"] for m in call["messages"]] == ["hi", "hi", "Bye now"]
    doc = json.loads(next(tmp_path.iterdir()).read_text())
    assert (doc["ended_by"], doc["reason"]) == ("tester", "end_call")


def test_disconnect_without_end_call_is_recorded(tmp_path):
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "hi")
            await recv(ws)

    with running("echo", transcripts_dir=tmp_path) as handle:
        asyncio.run(scenario(handle.url))
        wait_for_calls(handle, 1)
    doc = json.loads(next(tmp_path.iterdir()).read_text())
    assert doc["ended_by"] == "disconnect"
    assert doc["reason"] == "closed by the tester (1000)"


# -- bad frames, limits, isolation ------------------------------------------------------


def test_malformed_binary_and_oversized_frames_leave_others_unaffected():
    async def scenario(url):
        async with connect(url) as steady, connect(url) as messy, connect(url) as big:
            await say(steady, "before")
            assert await recv(steady) == {"content": "before"}
            for frame in ["not json", "[1]", '{"content": 5}', '{"type": "x"}', b"\x00\xff"]:
                await messy.send(frame)
            await say(messy, "still here")
            assert await recv(messy) == {"content": "still here"}
            await big.send(json.dumps({"content": "x" * 5000}))
            big_close = await closed(big)
            await say(steady, "after")
            assert await recv(steady) == {"content": "after"}
            await say(messy, "and me")
            assert await recv(messy) == {"content": "and me"}
            return big_close

    with running("echo", max_frame_bytes=1024) as handle:
        code, _ = asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 3)
    assert code == 1009
    assert len(calls) == 3


def test_fifty_concurrent_conversations_without_cross_talk():
    async def client(url, n):
        async with connect(url, additional_headers={"X-VOCERA-RUN-ID": f"run{n}"}) as ws:
            replies = []
            for turn in range(5):
                await say(ws, f"c{n}t{turn}")
                replies.append((await recv(ws))["content"])
            return replies

    async def scenario(url):
        return await asyncio.gather(*(client(url, n) for n in range(50)))

    with running(sample("tagged"), max_conversations=60) as handle:
        results = asyncio.run(scenario(handle.url))
        calls = wait_for_calls(handle, 50)
    for n, replies in enumerate(results):
        assert replies == [f"run{n}|{2 * t + 1}|c{n}t{t}" for t in range(5)]
    for call in calls:
        n = call["id"].removeprefix("run")
        assert [m["content"] for m in call["messages"] if m["role"] == "user"] == [
            f"c{n}t{t}" for t in range(5)
        ]


def test_max_conversations_refuses_the_extra_one():
    async def scenario(url):
        async with connect(url) as a, connect(url) as b:
            await say(a, "a")
            await say(b, "b")
            assert (await recv(a), await recv(b)) == ({"content": "a"}, {"content": "b"})
            async with connect(url) as c:
                assert await closed(c) == (1013, "too many conversations")
        await asyncio.to_thread(wait_until_idle, url)
        async with connect(url) as d:  # a slot is free again
            await say(d, "d")
            assert await recv(d) == {"content": "d"}

    with running("echo", max_conversations=2) as handle:
        asyncio.run(scenario(handle.url))


# -- slow, failing and timed-out agents ------------------------------------------------


def test_slow_sync_agent_keeps_pings_answered_and_others_served():
    async def scenario(url):
        async with connect(url) as slow, connect(url) as other:
            await say(slow, "1.0")  # the agent blocks its thread for a second
            events = []
            pong = await slow.ping()
            await asyncio.wait_for(pong, UNIT)
            events.append("pong")
            await say(other, "0")
            assert await recv(other) == {"content": "done"}
            events.append("other answered")
            assert await recv(slow) == {"content": "done"}
            events.append("slow answered")
            return events

    with running(sample("slow"), turn_timeout_s=UNIT) as handle:
        events = asyncio.run(scenario(handle.url))
    assert events == ["pong", "other answered", "slow answered"]


def test_turn_timeout_sends_the_fallback_and_the_conversation_goes_on():
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "3")  # sleeps 3 s; the turn timeout is 0.2 s
            first = await recv(ws)
            await say(ws, "0")
            second = await recv(ws)
            return first, second

    with running(sample("slow"), turn_timeout_s=0.2) as handle:
        first, second = asyncio.run(scenario(handle.url))
    assert first == {"content": FALLBACK_REPLY}
    assert second == {"content": "done"}


def test_a_crashing_agent_ends_only_its_conversation(tmp_path):
    async def scenario(url):
        async with connect(url) as ws:
            await say(ws, "boom?")
            return await closed(ws)

    with running(sample("crash"), transcripts_dir=tmp_path) as handle:
        code = asyncio.run(scenario(handle.url))
        asyncio.run(scenario(handle.url))  # the server still serves
        wait_for_calls(handle, 2)
    # the cause reaches the tester (close reason) and the transcript; a user exception's
    # own text (it may quote anything) does not
    assert code == (1011, "agent error: RuntimeError")
    docs = [json.loads(p.read_text()) for p in tmp_path.iterdir()]
    assert {(d["ended_by"], d["reason"]) for d in docs} == {("agent", "agent error: RuntimeError")}


# -- HTTP: /healthz and /calls --------------------------------------------------------


def test_healthz():
    with running("echo", secret=SECRET) as handle:
        base = handle.url.replace("ws://", "http://")
        assert http_get(base + "/healthz") == (200, {"status": "ok", "conversations": 0})


def test_calls_auth_and_format():
    async def scenario(url):
        for n in range(3):
            headers = {"X-VOCERA-SECRET": SECRET, "X-VOCERA-RUN-ID": str(n)}
            if n == 2:
                headers["X-Customer-Number"] = "+15551234567"
            async with connect(url, additional_headers=headers) as ws:
                await say(ws, f"hello {n}")
                await recv(ws)

    with running("echo", secret=SECRET) as handle:
        asyncio.run(scenario(handle.url))
        wait_for_calls(handle, 3)
        calls_url = handle.url.replace("ws://", "http://") + "/calls"
        assert http_get(calls_url)[0] == 401
        assert http_get(calls_url, {"Authorization": "wrong"})[0] == 401
        assert http_get(calls_url, {"Authorization": "Bearer wrong"})[0] == 401
        raw = http_get(calls_url, {"Authorization": SECRET})
        bearer = http_get(calls_url, {"Authorization": f"Bearer {SECRET}"})
        limited = http_get(calls_url + "?limit=1", {"Authorization": f"bearer {SECRET}"})
        bad_limit = http_get(calls_url + "?limit=x", {"Authorization": SECRET})
    assert raw == bearer
    status, calls = raw
    assert status == 200
    assert [c["id"] for c in calls] == ["0", "1", "2"]  # most recent last
    assert limited == (200, calls[-1:])
    assert bad_limit[0] == 400
    last = calls[-1]
    assert set(last) == {"id", "startedAt", "endedAt", "customer", "messages"}
    assert last["customer"] == {"number": "+15551234567"}
    assert last["startedAt"].endswith("Z") and last["endedAt"] >= last["startedAt"]
    assert [(m["role"], m["content"]) for m in last["messages"]] == [
        ("user", "hello 2"),
        ("bot", "hello 2"),
    ]
    assert all(isinstance(m["start_time"], float) for m in last["messages"])
    assert SECRET not in json.dumps(calls)


def test_calls_open_without_a_secret():
    with running("echo") as handle:
        assert http_get(handle.url.replace("ws://", "http://") + "/calls") == (200, [])


# -- lifecycle: drain, bad TARGET, port in use ---------------------------------------


def test_stop_drains_in_flight_turns_and_flushes_open_conversations(tmp_path):
    handle = start_shim_in_thread(
        ShimConfig(target=sample("slow"), port=0, transcripts_dir=tmp_path)
    )

    async def scenario():
        async with connect(handle.url) as busy, connect(handle.url) as idle:
            await say(busy, "0.5")
            await asyncio.sleep(0.1)  # let the turn start before stopping
            stopper = asyncio.get_running_loop().run_in_executor(None, handle.stop, UNIT)
            reply = await recv(busy)  # the in-flight turn still gets its answer
            codes = await closed(busy), await closed(idle)
            await asyncio.wait_for(stopper, UNIT)
            return reply, codes

    reply, codes = asyncio.run(scenario())
    handle.stop()  # idempotent
    assert reply == {"content": "done"}
    assert codes == ((1001, "server shutting down"), (1001, "server shutting down"))
    docs = [json.loads(p.read_text()) for p in tmp_path.iterdir()]
    assert [d["ended_by"] for d in docs] == ["server_shutdown"] * 2
    assert sorted(len(d["messages"]) for d in docs) == [0, 2]


def test_bad_target_and_port_in_use_are_usage_errors():
    with pytest.raises(UsageError, match="unknown agent TARGET"):
        start_shim_in_thread(ShimConfig(target="nope", port=0))
    with running("echo") as handle, pytest.raises(UsageError, match="already in use"):
        start_shim_in_thread(ShimConfig(target="echo", port=handle.port))


def test_a_peer_that_stops_answering_pings_is_recorded_as_timeout(tmp_path):
    """A raw socket completes the handshake, then never reads: the keepalive gives up."""
    options = {
        "ping_interval_s": 0.05,
        "ping_timeout_s": 0.05,
        "close_timeout_s": 0.05,
        "transcripts_dir": tmp_path,
    }
    with (
        running("echo", **options) as handle,
        RawClient(handle.port, b"X-VOCERA-RUN-ID: silent\r\n"),
    ):
        (call,) = wait_for_calls(handle, 1)
    assert call["id"] == "silent"
    doc = json.loads(next(tmp_path.iterdir()).read_text())
    assert (doc["ended_by"], doc["reason"]) == ("timeout", "keepalive ping timeout")
