"""Benchmark API chat against the sandbox (PRODUCT.md §7): 200 concurrent conversations
x 5 turns with the echo agent.

    python benchmarks/apichat_bench.py [--scenarios 200] [--turns 5] [--rounds 3]
                                       [--slow-user 0.3] [--no-cli]

Loopback only, bounded, stops by itself. Each round, on a fresh sandbox with a generated
suite (every turn checks the reply):

- ``api-chat``: the CLI's API-chat driver (``ChatPool``, all conversations at once)
  plays ``echo``: start the result, drive every chat, until the last one ended. Its
  HTTP transport counts requests in flight per conversation; the sandbox reports polls
  per turn and how late each ready reply was noticed;
- ``websocket`` (the baseline, same run): the same suite as a text run, the sandbox's
  tester calling the bundled shim's ``echo`` over WebSocket, until the result completed;
- ``slow user``: api-chat again with every simulated-user reply taking ``--slow-user``
  seconds, where the notice latency and polls per turn mean something (an instant reply
  is noticed by the first poll).

Then, unless ``--no-cli``, the real command: ``cekura run --local --via api-chat --serve
echo --scenarios <suite> --concurrency N``. Figures are printed beside the targets (10 s
wall, 250 ms notice median, 4 polls per turn median, 1 request in flight); the exit
code is always 0 (a measurement, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from cekura_cli.api.client import CekuraClient
from cekura_cli.apichat.io import ChatRun, DriveSettings
from cekura_cli.apichat.pool import ChatPool, PoolConfig
from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
from cekura_cli.sandbox.faults import parse_fault_specs
from cekura_cli.shim import ShimConfig, load_agent, start_shim_in_thread

KEY = "bench-key-apichat-0001"
BUDGET_S = 180.0  # a bound, so a regression cannot hang the benchmark
TARGETS = {"wall_s": 10.0, "notice_ms": 250.0, "polls": 4, "in_flight": 1}


def write_suite(path: Path, scenarios: int, turns: int) -> None:
    lines = ["defaults: {first_speaker: tester}", "scenarios:"]
    for n in range(1, scenarios + 1):
        lines += [f"  - name: Echo scenario {n}", "    tags: [bench]", "    turns:"]
        for t in range(1, turns + 1):
            lines.append(f"      - say: scenario {n} turn {t} says hello")
            lines.append(f"        expect: {{reply_contains: 'turn {t}'}}")
    path.write_text("\n".join(lines) + "\n")


class Peaks:
    """Requests in flight per conversation, across every client of the pool."""

    def __init__(self) -> None:
        self.now: Counter[int] = Counter()
        self.peak: Counter[int] = Counter()

    def wrap(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return CountingTransport(inner, self)


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, peaks: Peaks) -> None:
        self.inner = inner
        self.now = peaks.now
        self.peak = peaks.peak

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        found = re.search(r"/runs/(\d+)/", request.url.path)
        run_id = int(found.group(1)) if found else 0
        self.now[run_id] += 1
        self.peak[run_id] = max(self.peak[run_id], self.now[run_id])
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.now[run_id] -= 1


@contextmanager
def sandbox_process(suite: Path, faults: list[str]) -> Iterator[Any]:
    """``cekura sandbox serve`` in a child process (the service is not in the CLI's
    process either): ``.url`` like an in-process handle."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "cekura_cli", "sandbox", "serve", "--port", str(port)]
    args += ["--scenarios", str(suite)] + [f"--fault={spec}" for spec in faults]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEKURA_")}
    proc = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/_sandbox/stats", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield SimpleNamespace(url=url)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def api_chat_round(
    suite: Path, *, slow_user_s: float = 0.0, separate: bool = False
) -> dict[str, float]:
    faults = [f"chat:slow_user:delay={slow_user_s}"] if slow_user_s else []
    if separate:
        where = sandbox_process(suite, faults)
    else:
        config = SandboxConfig(
            suite=load_suite(suite), api_key=KEY, faults=parse_fault_specs(faults)
        )
        where = start_sandbox_in_thread(config)
    with where as sandbox:
        transport = Peaks()
        pool_config = PoolConfig(
            base_url=sandbox.url,
            api_key=KEY,
            concurrency=100_000,
            wrap_transport=transport.wrap,
            drive=DriveSettings(turn_timeout_s=30.0),
        )
        pool = ChatPool(load_agent("echo"), pool_config)
        started = time.perf_counter()
        with CekuraClient(base_url=sandbox.url, api_key=KEY) as client:
            result = client.start_api_chat_run({"agent_id": 1, "tags": ["bench"]})
            pool.start([ChatRun(run.id, result.id, run.scenario) for run in result.runs])
            finished = pool.join(BUDGET_S)
            wall = time.perf_counter() - started
            runs = client.get_runs(result.run_ids)
        chats = httpx.get(
            sandbox.url + "/_sandbox/chats/", headers={"X-CEKURA-API-KEY": KEY}, timeout=30
        ).json()["runs"]
    latencies = [x for chat in chats.values() for x in chat["notice_latency_s"]]
    polls = [x for chat in chats.values() for x in chat["polls_per_turn"]]
    passed = sum(1 for run in runs if run.success)
    return {
        "wall_s": wall if finished else float("inf"),
        "passed": passed,
        "runs": len(runs),
        "notice_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "notice_p90_ms": _p90(latencies) * 1000 if latencies else float("nan"),
        "polls": statistics.median(polls) if polls else float("nan"),
        "in_flight": max(transport.peak.values(), default=0),
    }


def websocket_round(suite: Path, shim_url: str) -> dict[str, float]:
    config = SandboxConfig(
        suite=load_suite(suite), api_key=KEY, agent_websocket_url=shim_url, close_delay_s=0.2
    )
    with start_sandbox_in_thread(config) as sandbox:
        started = time.perf_counter()
        with CekuraClient(base_url=sandbox.url, api_key=KEY) as client:
            result = client.start_text_run({"agent_id": 1, "tags": ["bench"]})
            deadline = time.monotonic() + BUDGET_S
            while time.monotonic() < deadline:
                if client.get_result(result.id).status.is_terminal:
                    break
                time.sleep(0.05)
            wall = time.perf_counter() - started
            runs = client.get_runs(result.run_ids)
    return {"wall_s": wall, "passed": sum(1 for run in runs if run.success), "runs": len(runs)}


def cli_round(suite: Path, concurrency: int) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "cekura_cli", "run", "--local", "--via", "api-chat"]
            + ["--serve", "echo", "--scenarios", str(suite), "-t", "bench"]
            + ["--concurrency", str(concurrency), "--json", str(Path(tmp) / "r.json")],
            capture_output=True,
            timeout=BUDGET_S,
            env={**os.environ, "CI": "true"},
            check=False,
        )
    return time.perf_counter() - started


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def latency_pass(args: argparse.Namespace) -> None:
    """A slow simulated user at a load the sandbox's HTTP server is not saturated by:
    what the poll schedule itself costs in notice latency and polls per turn."""
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite.yaml"
        write_suite(suite, args.latency_conversations, args.turns)
        results = [api_chat_round(suite, slow_user_s=args.slow_user) for _ in range(args.rounds)]
    notice = statistics.median(r["notice_ms"] for r in results)
    p90 = statistics.median(r["notice_p90_ms"] for r in results)
    polls = statistics.median(r["polls"] for r in results)
    peak = max(r["in_flight"] for r in results)
    print(
        f"unsaturated: {args.latency_conversations} conversations x {args.turns} turns, "
        f"simulated user {args.slow_user:g} s per reply: ready reply noticed after "
        f"{notice:.0f} ms median, {p90:.0f} ms p90 (<= 250 ms); {polls:g} polls per turn "
        f"median (<= 4); max {peak:g} request(s) in flight per conversation (<= 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slow-user", type=float, default=0.3)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument(
        "--latency-conversations",
        type=int,
        default=20,
        help="conversations of the unsaturated slow-user pass (notice latency, polls)",
    )
    parser.add_argument("--only-latency", action="store_true")
    args = parser.parse_args()
    if args.only_latency:
        latency_pass(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite.yaml"
        write_suite(suite, args.scenarios, args.turns)
        shim = start_shim_in_thread(ShimConfig(target="echo", port=0, max_conversations=10_000))
        try:
            rounds = []
            for _ in range(args.rounds):
                rounds.append(
                    {
                        "api-chat": api_chat_round(suite),
                        "api-chat, sandbox in a child process": api_chat_round(
                            suite, separate=True
                        ),
                        "websocket": websocket_round(suite, shim.url),
                        "slow user": api_chat_round(suite, slow_user_s=args.slow_user),
                    }
                )
        finally:
            shim.stop()
        print(f"{args.scenarios} conversations x {args.turns} turns, echo, {args.rounds} rounds")
        for name in rounds[0]:
            walls = [r[name]["wall_s"] for r in rounds]
            line = f"{name}: wall median {statistics.median(walls):6.2f} s"
            line += f" (target <= {TARGETS['wall_s']:g} s)" if name == "api-chat" else ""
            first = rounds[-1][name]
            line += f"; passed {first['passed']}/{first['runs']}"
            print(line)
            if name != "websocket":
                notice = statistics.median(r[name]["notice_ms"] for r in rounds)
                p90 = statistics.median(r[name]["notice_p90_ms"] for r in rounds)
                polls = statistics.median(r[name]["polls"] for r in rounds)
                peak = max(r[name]["in_flight"] for r in rounds)
                print(
                    f"  ready reply noticed after {notice:.0f} ms median, {p90:.0f} ms "
                    f"p90 (target <= 250 ms); {polls:g} polls per turn median (<= 4); "
                    f"max {peak:g} request(s) in flight per conversation (<= 1)"
                )
        ratio = statistics.median(r["api-chat"]["wall_s"] for r in rounds) / statistics.median(
            r["websocket"]["wall_s"] for r in rounds
        )
        print(f"api-chat / websocket wall time: {ratio:.2f}x")
        latency_pass(args)
        if not args.no_cli:
            walls = [cli_round(suite, args.scenarios) for _ in range(args.rounds)]
            print(
                f"cekura run --local --via api-chat --serve echo: {statistics.median(walls):.2f} s "
                "median wall (CLI start-up, result polling and reports included)"
            )


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
