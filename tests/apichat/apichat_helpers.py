"""Loopback helpers for the API-chat tests: a sandbox with chat faults, a transport that
counts requests in flight per run, sample agents that fail in each way, and a way to
drive a whole API-chat result in-process. Every wait is bounded."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

API_KEY = "sk_test_ApiChat_5e6f7a8b9c0d1e2f_key"
WAIT_S = 60.0
CHAT_SUITE = """\
version: 1
agent: {id: 1, name: Chat agent}
defaults: {first_speaker: tester}
scenarios:
  - name: Echoes three lines
    tags: [chat]
    turns:
      - say: "first line"
        expect: {reply_contains: "first"}
      - say: "second line"
        expect: {reply_contains: "second"}
      - say: "third line"
        expect: {reply_contains: "third"}
  - name: Echoes two lines
    tags: [chat]
    turns:
      - say: "alpha"
        expect: {reply_contains: "alpha"}
      - say: "beta"
        expect: {reply_contains: "beta"}
"""
TURNS = {"Echoes three lines": 3, "Echoes two lines": 2}

SAMPLE_AGENTS = """\
import time


def reply(history, context):
    return history[-1]["content"] if history else None


def boom(history, context):
    if history and history[-1]["content"] == "alpha":
        raise ValueError("the agent blew up")
    return reply(history, context)


def hang(history, context):
    if history and history[-1]["content"] == "alpha":
        time.sleep(5)
    return reply(history, context)


import threading

_lock = threading.Lock()
busy = {"now": 0, "max": 0}


def counted(history, context):
    with _lock:
        busy["now"] += 1
        busy["max"] = max(busy["max"], busy["now"])
    time.sleep(0.05)
    with _lock:
        busy["now"] -= 1
    return reply(history, context)


def hostile(history, context):
    if not history:
        return None
    return history[-1]["content"] + " ::error::pwned ##[group]x " + str(context.run_id)
"""


def write_agents(directory: Path) -> Path:
    path = directory / "agents.py"
    path.write_text(SAMPLE_AGENTS)
    return path


def start_chat_sandbox(directory: Path, faults: Sequence[str] = (), suite: str = CHAT_SUITE) -> Any:
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
    from cekura_cli.sandbox.faults import parse_fault_specs

    path = directory / "chat-suite.yaml"
    path.write_text(suite)
    return start_sandbox_in_thread(
        SandboxConfig(
            suite=load_suite(path), api_key=API_KEY, faults=parse_fault_specs(list(faults), seed=3)
        )
    )


class Counts:
    """Requests in flight per run id (``/runs/{id}/``), across every client of a pool."""

    def __init__(self) -> None:
        self.in_flight: Counter[int] = Counter()
        self.max_in_flight: Counter[int] = Counter()
        self.requests: Counter[str] = Counter()

    def wrap(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return CountingTransport(inner, self)


class CountingTransport(httpx.AsyncBaseTransport):
    """The pool's real transport, counting into :class:`Counts`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, counts: Counts) -> None:
        self.inner = inner
        self.in_flight = counts.in_flight
        self.max_in_flight = counts.max_in_flight
        self.requests = counts.requests

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = re.search(r"/runs/(\d+)/", request.url.path)
        run_id = int(found.group(1)) if found else 0
        kind = "end-chat" if "end-chat" in request.url.path else request.method
        self.requests[kind] += 1
        self.in_flight[run_id] += 1
        self.max_in_flight[run_id] = max(self.max_in_flight[run_id], self.in_flight[run_id])
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight[run_id] -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Driven:
    pool: Any
    runs: dict[int, Any]  # run id -> api Run, after the result finished
    chats: dict[str, Any]  # the sandbox's per-run chat counters
    transport: Counts
    stats: dict[str, Any] = field(default_factory=dict)


def drive(
    handle: Any,
    target: str,
    *,
    tags: Sequence[str] = ("chat",),
    concurrency: int = 10,
    turn_timeout_s: float = 5.0,
    transcripts: Path | None = None,
    frequency: int = 1,
) -> Driven:
    """Start an API-chat result on the sandbox and drive it with ``target`` to the end."""
    from cekura_cli.api.client import CekuraClient
    from cekura_cli.apichat.driver import ChatPolicy
    from cekura_cli.apichat.io import ChatRun, DriveSettings
    from cekura_cli.apichat.pool import ChatPool, PoolConfig
    from cekura_cli.shim.adapters import load_agent

    transport = Counts()
    config = PoolConfig(
        base_url=handle.url,
        api_key=API_KEY,
        concurrency=concurrency,
        transcripts_dir=transcripts,
        wrap_transport=transport.wrap,
        drive=DriveSettings(turn_timeout_s=turn_timeout_s, policy=ChatPolicy(probe_delay_s=0.05)),
    )
    with CekuraClient(base_url=handle.url, api_key=API_KEY) as client:
        pool = ChatPool(load_agent(target), config)
        result = client.start_api_chat_run(
            {"agent_id": 1, "tags": list(tags), "frequency": frequency}
        )
        pool.start([ChatRun(run.id, result.id, run.scenario) for run in result.runs])
        assert pool.join(WAIT_S), "the conversations did not end in time"
        runs = {run.id: run for run in client.get_runs(result.run_ids)}
    chats = httpx.get(
        handle.url + "/_sandbox/chats/", headers={"X-CEKURA-API-KEY": API_KEY}, timeout=10
    ).json()["runs"]
    return Driven(pool, runs, chats, transport, handle.stats())
