"""Small WebSocket agents and server fixtures for the sandbox tests (loopback only).

Every wait is bounded by ``UNIT_S`` multiples so a bug fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.server import ServerConnection, serve

from cekura_cli.sandbox.loader import parse_suite
from cekura_cli.sandbox.scenario_file import Suite

UNIT_S = 5.0  # every wait in these tests is bounded by a small multiple of this
API_KEY = "sandbox-test-key-0001"
START = "/test_framework/v1/scenarios/run_scenarios_text/"

Handler = Callable[[ServerConnection], Awaitable[None]]


@dataclass
class AgentLog:
    """What an agent saw: handshake headers and frames, per connection."""

    headers: list[dict[str, str]] = field(default_factory=list)
    frames: list[list[dict[str, Any]]] = field(default_factory=list)
    concurrent: int = 0
    max_concurrent: int = 0
    talking: int = 0  # connected and not yet told end_call
    max_talking: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def opened(self, ws: ServerConnection) -> list[dict[str, Any]]:
        with self.lock:
            self.headers.append({k.lower(): v for k, v in ws.request.headers.raw_items()})
            frames: list[dict[str, Any]] = []
            self.frames.append(frames)
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self.talking += 1
            self.max_talking = max(self.max_talking, self.talking)
        return frames

    def hung_up(self) -> None:
        with self.lock:
            self.talking -= 1

    def closed(self, *, talking: bool) -> None:
        with self.lock:
            self.concurrent -= 1
            if talking:
                self.talking -= 1


def logging_agent(
    log: AgentLog,
    reply: Callable[[str], list[dict[str, Any]]],
    *,
    greeting: str | None = None,
    delay_s: float = 0.0,
) -> Handler:
    """An agent that answers each tester message with ``reply(text)`` frames."""

    async def handler(ws: ServerConnection) -> None:
        frames = log.opened(ws)
        talking = True
        try:
            if greeting is not None:
                await ws.send(json.dumps({"content": greeting}))
            async for raw in ws:
                message = json.loads(raw)
                frames.append(message)
                if message.get("type") == "end_call":
                    if talking:
                        talking = False
                        log.hung_up()
                    continue
                if delay_s:
                    await asyncio.sleep(delay_s)
                for frame in reply(message.get("content", "")):
                    if frame.get("close"):
                        await ws.close()
                        return
                    await ws.send(json.dumps(frame))
        except Exception:
            pass
        finally:
            log.closed(talking=talking)

    return handler


def echo_reply(text: str) -> list[dict[str, Any]]:
    return [{"content": text}]


@contextmanager
def agent_in_thread(handler: Handler) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1:0 in a background event loop; yields its ws:// URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            box["port"] = server.sockets[0].getsockname()[1]
            box["stop"] = asyncio.Event()
            ready.set()
            await box["stop"].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(UNIT_S), "test agent did not start"
    try:
        yield f"ws://127.0.0.1:{box['port']}"
    finally:
        loop.call_soon_threadsafe(box["stop"].set)
        thread.join(UNIT_S)


def suite_from(text: str) -> Suite:
    return parse_suite(text, filename="test-scenarios.yaml")


def wait_completed(client: httpx.Client, result_id: int, *, timeout_s: float = 4 * UNIT_S) -> dict:
    """Poll the result until ``completed`` (bounded)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = client.get(f"/test_framework/v1/results/{result_id}/").json()
        if result["status"] == "completed":
            return result
        assert time.monotonic() < deadline, f"result {result_id} never completed: {result}"
        time.sleep(0.02)


def wait_for(predicate: Callable[[], bool], *, timeout_s: float = 2 * UNIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def bulk(client: httpx.Client, run_ids: list[str] | list[int]) -> dict[int, dict]:
    text = ",".join(str(i) for i in run_ids)
    runs = client.get("/test_framework/v1/runs/bulk/", params={"run_ids": text}).json()
    return {run["id"]: run for run in runs}


@contextmanager
def watchdog(process: subprocess.Popen[str]) -> Iterator[None]:
    """Kill ``process`` if the block takes too long, so a hang fails instead of blocking."""
    timer = threading.Timer(2 * UNIT_S, process.kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
