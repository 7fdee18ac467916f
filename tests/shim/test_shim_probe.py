"""The WebSocket probe against real servers on loopback: the real shim with a right and a
wrong secret, a server that never answers, one that stops answering pings, a refused
port, and a port that is not a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cekura_cli.shim import ShimConfig, start_shim_in_thread
from cekura_cli.shim.probe import PROBE_MESSAGE, probe_headers, probe_websocket

SECRET = "wss_probe_secret_0123456789"
FAST = {"timeout_s": 2.0, "greeting_wait_s": 0.3}


@pytest.fixture(scope="module")
def shims() -> Iterator[dict[str, str]]:
    handles = {
        "echo": start_shim_in_thread(ShimConfig(target="echo", port=0, secret=SECRET)),
        "booking": start_shim_in_thread(ShimConfig(target="booking", port=0)),
    }
    try:
        yield {name: handle.url for name, handle in handles.items()}
    finally:
        for handle in handles.values():
            handle.stop()


@contextlib.contextmanager
def websocket_server(handler: Callable[[Any], Any]) -> Iterator[str]:
    """A bare ``websockets`` server on 127.0.0.1:0 in its own thread; yields its URL."""
    from websockets.asyncio.server import serve

    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        box["stop"] = asyncio.Event()
        async with serve(handler, "127.0.0.1", 0, ping_interval=None) as server:
            box["url"] = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            box["loop"] = asyncio.get_running_loop()
            ready.set()
            await box["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


def test_the_real_shim_with_the_right_secret_answers_the_probe(shims) -> None:
    result = probe_websocket(shims["echo"], headers=probe_headers(SECRET), **FAST)
    assert result.ok and result.connected and result.pong
    assert (result.greeting, result.reply) == (None, PROBE_MESSAGE)  # echo waits, then echoes


def test_a_greeting_agent_is_seen_without_a_probe_message(shims) -> None:
    result = probe_websocket(shims["booking"], headers=probe_headers(None), **FAST)
    assert result.ok and result.greeting and "booking assistant" in result.greeting
    assert result.reply is None


@pytest.mark.parametrize("secret", ["the-wrong-secret-value", None], ids=["wrong", "missing"])
def test_the_real_shim_refuses_a_wrong_or_missing_secret_with_1008(shims, secret) -> None:
    result = probe_websocket(shims["echo"], headers=probe_headers(secret), **FAST)
    assert result.refused and result.close_code == 1008 and not result.ok
    assert "1008" in (result.problem or "")


def test_the_probe_sends_the_headers_a_run_sends() -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: Any) -> None:
        seen["headers"] = dict(ws.request.headers.raw_items())
        await ws.send(json.dumps({"content": "hello"}))
        with contextlib.suppress(Exception):
            seen["end"] = json.loads(await ws.recv())

    extra = [("X-Customer-ID", "c1"), ("X-VOCERA-RUN-ID", "spoofed")]
    with websocket_server(handler) as url:
        result = probe_websocket(url, headers=probe_headers(SECRET, extra), **FAST)
    assert result.ok
    headers = seen["headers"]
    assert headers["X-VOCERA-SECRET"] == SECRET
    assert headers["X-VOCERA-RUN-ID"] == "0"  # the agent's own header cannot replace the id
    assert headers["X-Customer-ID"] == "c1"
    assert {"X-VOCERA-SCENARIO-ID", "X-VOCERA-RESULT-ID"} <= set(headers)
    assert seen["end"] == {"type": "end_call"}


def test_a_server_that_never_answers_fails_with_no_reply() -> None:
    async def silent(ws: Any) -> None:
        await ws.wait_closed()

    with websocket_server(silent) as url:
        result = probe_websocket(url, headers=[], timeout_s=0.5, greeting_wait_s=0.2)
    assert result.connected and not result.ok
    assert result.problem.startswith("no greeting and no reply")


def test_metadata_and_tool_calls_are_not_taken_for_a_reply() -> None:
    async def chatty(ws: Any) -> None:
        await ws.send(json.dumps({"metadata": {"id": "m1"}}))
        await ws.send(json.dumps({"role": "Function Call", "data": {"id": "c", "name": "f"}}))
        await ws.send("not json")
        await ws.wait_closed()

    with websocket_server(chatty) as url:
        result = probe_websocket(url, headers=[], timeout_s=0.5, greeting_wait_s=0.2)
    assert not result.ok and result.greeting is None


def test_a_server_whose_event_loop_is_blocked_gets_no_pong() -> None:
    release = threading.Event()

    async def blocking(ws: Any) -> None:
        await ws.send(json.dumps({"content": "hi"}))
        release.wait(30)  # a sync agent run on the loop: pings go unanswered meanwhile
        await ws.wait_closed()

    with websocket_server(blocking) as url:
        try:
            result = probe_websocket(url, headers=[], timeout_s=0.5, greeting_wait_s=5.0)
        finally:
            release.set()
    assert result.greeting == "hi" and result.pong is False
    assert "no pong" in result.problem


def test_a_refused_port_and_a_plain_http_port_fail_to_connect() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        result = probe_websocket(f"ws://127.0.0.1:{port}", headers=[], **FAST)
    assert not result.connected and "could not connect" in result.problem

    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotFound(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"ws://127.0.0.1:{server.server_address[1]}/ws"
        result = probe_websocket(url, headers=[], **FAST)
    finally:
        server.shutdown()
        server.server_close()
    assert not result.connected
    assert result.problem == "the server answered HTTP 404, not a WebSocket"


def test_a_server_that_accepts_tcp_but_never_upgrades_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"ws://127.0.0.1:{listener.getsockname()[1]}"
        result = probe_websocket(url, headers=[], timeout_s=0.5, greeting_wait_s=0.1)
    assert not result.connected and "timed out" in result.problem
