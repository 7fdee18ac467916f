"""TARGET loading (registry) and a conformance run of every adapter kind."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cekura_cli.errors import UsageError
from cekura_cli.redact import forget_secrets, register_secret
from cekura_cli.shim.adapters import ADAPTERS, BUILTIN_AGENTS, AgentError, load_agent
from cekura_cli.shim.adapters.base import Agent, AgentSession
from cekura_cli.shim.adapters.exec import child_environment
from cekura_cli.shim.protocol import plan_turn
from cekura_cli.shim.session import SessionContext

HERE = Path(__file__).parent
SAMPLES = HERE / "shim_sample_agents.py"
EXEC_TARGET = f"exec:{shlex.quote(sys.executable)} {shlex.quote(str(SAMPLES))}"


class AgentHTTPServer:
    """A real HTTP agent on 127.0.0.1:0 that records the JSON it receives."""

    def __init__(self, status: int = 200, body: bytes | None = None) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(payload)
                if body is not None:
                    out = body
                elif payload["event"] == "start":
                    out = b""
                else:
                    out = json.dumps({"messages": [{"content": "http: " + payload["content"]}]})
                    out = out.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/turn"
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_agent():
    server = AgentHTTPServer()
    yield server
    server.close()


def test_registry_has_the_documented_forms():
    assert set(BUILTIN_AGENTS) == {"echo", "booking"}
    assert list(ADAPTERS) == ["exec", "http", "python"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nope", "unknown agent TARGET"),
        ("", "unknown agent TARGET"),
        ("no_such_module_xyz:f", "cannot import agent"),
        (f"{SAMPLES}:missing", "has no attribute"),
        (f"{SAMPLES}:not_callable", "is not callable"),
        ("/does/not/exist.py:f", "agent file not found"),
        ("exec:", "needs a command"),
        ("exec:definitely-not-a-command-xyz --flag", "agent command not found"),
        ("exec:'unclosed", "cannot parse agent command"),
        ("http://", "not a valid agent URL"),
    ],
)
def test_bad_targets_are_usage_errors(target, message):
    with pytest.raises(UsageError) as info:
        load_agent(target)
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_module_form(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    agent = load_agent("shim_sample_agents:polite")
    assert agent.name == "shim_sample_agents:polite"


async def _life(agent: Agent, texts: list[str]) -> tuple[list, list[list]]:
    """Drive one agent through a whole conversation, as the server does."""
    ctx = SessionContext("conv-1", run_id="274", headers={"x-customer-id": "c9"})
    session = agent.open(ctx)
    assert isinstance(session, AgentSession)
    try:
        greeting = plan_turn(await session.on_start(ctx)).messages
        replies = []
        for text in texts:
            ctx.history.append({"role": "user", "content": text})
            plan = plan_turn(await session.on_message(text, ctx))
            assert not plan.problems
            replies.append(plan.messages)
            ctx.history.extend({"role": "assistant", **m} for m in plan.messages)
    finally:
        await session.close()
        await agent.shutdown()
    return greeting, replies


def conformance_targets(http_url: str) -> dict[str, tuple[str, list, list]]:
    """target -> (greeting, replies to ["one", "two"])."""
    return {
        "echo": ([], [[{"content": "one"}], [{"content": "two"}]]),
        f"{SAMPLES}:polite": (
            [{"content": "Hi from polite"}],
            [
                [{"content": "1: one", "metadata": {"seen": 1}}],
                [{"content": "3: two", "metadata": {"seen": 1}}],
            ],
        ),
        f"{SAMPLES}:async_echo": ([], [[{"content": "one"}], [{"content": "two"}]]),
        http_url: ([], [[{"content": "http: one"}], [{"content": "http: two"}]]),
        EXEC_TARGET: (
            [{"content": "exec hello 274"}],
            [[{"content": "exec: one"}], [{"content": "exec: two"}]],
        ),
    }


def test_conformance_every_adapter_kind(http_agent):
    """Every registered form (and every built-in) goes through a whole conversation."""
    targets = conformance_targets(http_agent.url)
    kinds = set()
    for target, (greeting, replies) in targets.items():
        agent = load_agent(target)
        kinds.add(next((k for k, v in ADAPTERS.items() if v.matches(target)), target))
        assert asyncio.run(_life(agent, ["one", "two"])) == (greeting, replies), target
    booking_greeting, _ = asyncio.run(_life(load_agent("booking"), ["bye"]))
    assert booking_greeting[0]["content"].startswith("Hello! This is the Acme Clinic")
    assert kinds >= set(ADAPTERS) | {"echo"}


def test_http_agent_receives_the_documented_json(http_agent):
    asyncio.run(_life(load_agent(http_agent.url), ["one"]))
    start, message = http_agent.requests
    assert start == {
        "event": "start",
        "conversation_id": "conv-1",
        "run_id": "274",
        "scenario_id": None,
        "result_id": None,
        "headers": {"x-customer-id": "c9"},
        "metadata": {},
        "history": [],
    }
    assert message["event"] == "message"
    assert message["content"] == "one"
    assert message["history"] == [{"role": "user", "content": "one"}]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'[{"content": "a"}, "b"]', [{"content": "a\nb"}]),
        (200, b'{"content": "a"}', [{"content": "a"}]),
        (200, b'"plain"', [{"content": "plain"}]),
        (200, b"not json at all", [{"content": "not json at all"}]),
        (204, b"", []),
    ],
)
def test_http_agent_reply_shapes(status, body, expected):
    server = AgentHTTPServer(status, body)
    try:
        _, replies = asyncio.run(_life(load_agent(server.url), ["x"]))
    finally:
        server.close()
    assert replies == [expected]


def test_http_agent_errors_are_agent_errors():
    server = AgentHTTPServer(500, b"oops")
    try:
        with pytest.raises(AgentError, match="answered 500"):
            asyncio.run(_life(load_agent(server.url), ["x"]))
    finally:
        server.close()
    with pytest.raises(AgentError, match="unreachable"):
        asyncio.run(_life(load_agent("http://127.0.0.1:9/nothing"), ["x"]))


def test_exec_agent_process_exit_is_an_agent_error():
    agent = load_agent(f"exec:{shlex.quote(sys.executable)} -c 'print(1)'")
    with pytest.raises(AgentError, match="agent process (exited with code 0|is not reading)"):
        asyncio.run(_life(agent, ["x", "y"]))


def test_exec_agent_discards_a_late_reply_after_a_timeout():
    async def scenario():
        agent = load_agent(EXEC_TARGET)
        ctx = SessionContext("c")
        session = agent.open(ctx)
        await session.on_start(ctx)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(session.on_message("slow", ctx), 0.05)
        reply = await asyncio.wait_for(session.on_message("fast", ctx), 10)
        await session.close()
        return reply

    assert asyncio.run(scenario()) == [{"content": "exec: fast"}]


def test_exec_child_environment_has_no_secrets(monkeypatch):
    monkeypatch.setenv("CEKURA_WEBSOCKET_SECRET", "ws-secret-123456")
    monkeypatch.setenv("MY_TOKEN", "token-abcdef-98765")
    monkeypatch.setenv("HARMLESS", "1")
    register_secret("token-abcdef-98765")
    try:
        env = child_environment()
    finally:
        forget_secrets()
    assert "CEKURA_WEBSOCKET_SECRET" not in env
    assert "MY_TOKEN" not in env
    assert env["HARMLESS"] == "1"


def test_sync_callable_runs_off_the_event_loop():
    """While a sync agent sleeps in its thread, the loop keeps running other tasks."""

    async def scenario():
        agent = load_agent(f"{SAMPLES}:slow")
        ctx = SessionContext("c")
        session = agent.open(ctx)
        ctx.history.append({"role": "user", "content": "0.3"})
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.ensure_future(ticker())
        reply = await session.on_message("0.3", ctx)
        task.cancel()
        return reply, ticks

    reply, ticks = asyncio.run(scenario())
    assert reply == "done"
    assert ticks > 3
