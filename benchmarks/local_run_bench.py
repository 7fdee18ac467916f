"""Benchmark a local run: 200 scenarios x 5 turns against an echo agent (PRODUCT.md §7).

    python benchmarks/local_run_bench.py [--scenarios 200] [--turns 5] [--rounds 3]
                                         [--concurrency N] [--no-cli]

Loopback only, bounded, stops by itself. It generates a suite (every turn checks the
reply), then measures, each ``--rounds`` times, the wall time of a whole run through the
sandbox's HTTP API: start the run, poll the result until ``completed``, fetch every run
with ``runs/bulk``. Two echo agents are measured:

- ``bare``: a bare ``websockets`` echo server written here (in this process, like the
  shim in ``cekura run --local``);
- ``shim``: the bundled shim's ``echo`` agent (``cekura_cli.shim``), when it is there.

Then, unless ``--no-cli``, the real command end to end in a child process:
``cekura run --local --serve echo --scenarios <suite> --json <file>`` (CLI start-up, the
orchestrator's 1-2 s polling schedule and reporting included).

The figures are printed beside the <= 5 s target; the exit code is always 0 (this is a
measurement, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from websockets.asyncio.server import ServerConnection, serve

from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
from cekura_cli.sandbox.runner import DEFAULT_CONCURRENCY

TARGET_S = 5.0
START = "/test_framework/v1/scenarios/run_scenarios_text/"
POLL_S = 0.05
RUN_BUDGET_S = 120.0  # a bound, so a regression cannot hang the benchmark


def write_suite(path: Path, scenarios: int, turns: int) -> None:
    lines = ["defaults: {first_speaker: tester}", "scenarios:"]
    for n in range(1, scenarios + 1):
        lines.append(f"  - name: Echo scenario {n}")
        lines.append(f"    tags: [bench, {'even' if n % 2 == 0 else 'odd'}]")
        lines.append("    turns:")
        for t in range(1, turns + 1):
            lines.append(f"      - say: scenario {n} turn {t} says hello")
            lines.append(f"        expect: {{reply_contains: 'turn {t}'}}")
        lines.append("    expect: {agent_ends_call: false, max_turn_latency_s: 5}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def bare_echo(ws: ServerConnection) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if "content" in message and message.get("type") != "end_call":
            await ws.send(json.dumps({"content": message["content"]}))


@contextmanager
def bare_echo_agent() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def main() -> None:
        async with serve(bare_echo, "127.0.0.1", 0, compression=None, max_queue=None) as server:
            box["url"] = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            box["stop"] = asyncio.Event()
            ready.set()
            await box["stop"].wait()  # type: ignore[union-attr]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield str(box["url"])
    finally:
        loop.call_soon_threadsafe(box["stop"].set)  # type: ignore[union-attr]
        thread.join(10)


@contextmanager
def shim_echo_agent() -> Iterator[str]:
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    with start_shim_in_thread(ShimConfig(target="echo", port=0, max_conversations=1000)) as shim:
        yield shim.url


def one_run(suite_path: Path, agent_url: str, concurrency: int) -> tuple[float, int, int]:
    """(wall seconds, runs passed, runs total) of start -> completed -> bulk fetch."""
    config = SandboxConfig(
        suite=load_suite(suite_path), agent_websocket_url=agent_url, concurrency=concurrency
    )
    with (
        start_sandbox_in_thread(config) as sandbox,
        httpx.Client(
            base_url=sandbox.url, headers={"X-CEKURA-API-KEY": "bench"}, timeout=30.0
        ) as client,
    ):
        started_at = time.perf_counter()
        started = client.post(START, json={"agent_id": 1, "tags": ["bench"]}).json()
        while True:
            result = client.get(f"/test_framework/v1/results/{started['id']}/").json()
            if result["status"] == "completed":
                break
            if time.perf_counter() - started_at > RUN_BUDGET_S:
                raise SystemExit("the run did not complete within the budget")
            time.sleep(POLL_S)
        ids = list(result["runs"])
        runs: list[dict] = []
        for i in range(0, len(ids), 50):
            response = client.get(
                "/test_framework/v1/runs/bulk/", params={"run_ids": ",".join(ids[i : i + 50])}
            )
            runs += response.json()
        elapsed = time.perf_counter() - started_at
    passed = sum(1 for run in runs if run["success"])
    return elapsed, passed, len(runs)


def cli_run(suite_path: Path) -> tuple[float, int, dict]:
    """The real command in a child process: (wall seconds, exit code, report counts)."""
    report = suite_path.with_suffix(".report.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CEKURA_", "GITHUB_"))}
    env["CI"] = "true"  # plain progress lines
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cekura_cli",
            "run",
            "--local",
            "--serve",
            "echo",
            "--scenarios",
            str(suite_path),
            "--tag",
            "bench",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_BUDGET_S,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    counts = json.loads(report.read_text())["counts"] if report.exists() else {}
    return elapsed, done.returncode, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--no-cli", action="store_true", help="skip the child-process CLI run")
    args = parser.parse_args()

    print(
        f"local run benchmark: {args.scenarios} scenarios x {args.turns} turns, echo agent, "
        f"concurrency {args.concurrency}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        suite_path = Path(tmp) / "cekura-scenarios.yaml"
        write_suite(suite_path, args.scenarios, args.turns)
        agents = {"bare websockets echo": bare_echo_agent}
        try:
            import cekura_cli.shim  # noqa: F401

            agents["shim echo"] = shim_echo_agent
        except ImportError:
            print("  (the shim is not available: only the bare echo agent is measured)")
        for label, agent in agents.items():
            times = []
            with agent() as url:
                for _ in range(args.rounds):
                    elapsed, passed, total = one_run(suite_path, url, args.concurrency)
                    times.append(elapsed)
                    if passed != total:
                        print(f"  warning: {total - passed} of {total} runs did not pass")
            median = statistics.median(times)
            verdict = "OK" if median <= TARGET_S else "MISSED"
            print(
                f"  API run, {label:<22} median {median:5.2f} s  (min {min(times):.2f}, "
                f"max {max(times):.2f}; target <= {TARGET_S:g} s) {verdict}"
            )
        if not args.no_cli:
            runs = [cli_run(suite_path) for _ in range(args.rounds)]
            times = [elapsed for elapsed, _, _ in runs]
            median = statistics.median(times)
            verdict = "OK" if median <= TARGET_S else "MISSED"
            print(
                f"  cekura run --local --serve echo (child process) median {median:5.2f} s  "
                f"(min {min(times):.2f}, max {max(times):.2f}; target <= {TARGET_S:g} s) {verdict}"
            )
            _, code, counts = runs[-1]
            print(f"    last run: exit {code}, counts {counts}")


if __name__ == "__main__":
    main()
