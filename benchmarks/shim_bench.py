"""Benchmark the WebSocket shim against a bare websockets echo server (PRODUCT.md §7).

    python benchmarks/shim_bench.py [--h2h-rounds 11] [--turns 200] [--rounds 5] [--idle 1000]

Loopback only, bounded, stops by itself. The shim always runs as users run it: the real
``cekura shim serve echo --transcripts DIR`` command, every conversation written.

- head-to-head (the §7 figure): the bare server and the shim run *at the same time*,
  both pinned to one CPU (``taskset -c 1``), each driven by its own client process
  (100 concurrent conversations x 20 turns; each client holds ``--h2h-conversations``
  conversations in a row, so transcripts are written while the others talk). Turns are
  counted until the first server's clients finish; the ratio of the shim's count to
  the bare server's is one round's figure. Both servers share the CPU and whatever
  else loads the machine, so the ratio is robust to load; rounds and median printed.

Then, alone (one server at a time, 100 concurrent websockets clients in this process):

- throughput: every client sends its next turn as soon as the previous reply arrived
  (saturation); turns/s and the latency under saturation (which is mostly queueing:
  ~100 turns wait behind each other) are printed;
- latency: every client sends one turn every ``--pace-ms`` (staggered), the way a
  chat is paced, so the per-turn latency is the server's own cost, not the queue;
- RSS: the shim process's VmRSS with ``--idle`` connected idle conversations.

The figures are printed beside the targets; the exit code is always 0 (this is a
measurement, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CLIENTS = 100
TARGET_ADDED_P50_MS = 1.0
TARGET_ADDED_P99_MS = 5.0
TARGET_THROUGHPUT_RATIO = 0.80
TARGET_IDLE_RSS_MB = 200.0
START_TIMEOUT_S = 20.0
PHASE_TIMEOUT_S = 120.0

BARE_SERVER = """
import asyncio, sys
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"serving on ws://127.0.0.1:{port}", file=sys.stderr, flush=True)
        await asyncio.Future()

asyncio.run(main())
"""

SHIM_SERVER = "from cekura_cli.commands.shim import app; app()"

# One client process per server in the head-to-head: N clients, each holding C
# conversations of T turns in a row; starts at a given monotonic time; prints the
# monotonic completion time of every turn as JSON on stdout. It speaks WebSocket by
# hand over asyncio streams (a fixed handshake, frames with an all-zero mask, which
# RFC 6455 allows), so it costs a fraction of what a server spends per turn: both
# servers, not their clients, are what saturates the pinned CPU.
H2H_DRIVER = """
import asyncio, json, struct, sys, time
from urllib.parse import urlsplit

url, clients, convs, turns, start_at = sys.argv[1], *map(int, sys.argv[2:5]), float(sys.argv[5])
host, port = urlsplit(url).hostname, urlsplit(url).port
HANDSHAKE = (
    f"GET / HTTP/1.1\\r\\nHost: {host}:{port}\\r\\nUpgrade: websocket\\r\\n"
    "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n"
    "Sec-WebSocket-Version: 13\\r\\n\\r\\n"
).encode()
done = []

def frame(opcode, payload):
    n = len(payload)
    head = bytes([0x80 | opcode])
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    return head + b"\\0\\0\\0\\0" + payload  # all-zero mask: payload unchanged

async def read_frame(reader, writer):
    while True:
        b0, b1 = await reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(n)
        opcode = b0 & 0x0F
        if opcode == 0x9:  # ping
            writer.write(frame(0xA, payload))
            continue
        return opcode, payload

async def open_ws():
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(HANDSHAKE)
    head = await reader.readuntil(b"\\r\\n\\r\\n")
    assert head.startswith(b"HTTP/1.1 101"), head[:40]
    return reader, writer

async def client(index, started):
    reader, writer = await open_ws()  # the first connection opens before the start
    await started
    for c in range(convs):
        if c:
            reader, writer = await open_ws()
        for t in range(turns):
            text = json.dumps({"content": f"client {index} conv {c} turn {t} hello"})
            writer.write(frame(0x1, text.encode()))
            opcode, _ = await read_frame(reader, writer)
            assert opcode == 0x1, opcode
            done.append(time.monotonic())
        writer.write(frame(0x8, struct.pack("!H", 1000)))
        try:
            while (await read_frame(reader, writer))[0] != 0x8:
                pass
        except asyncio.IncompleteReadError:
            pass
        writer.close()

async def main():
    loop = asyncio.get_running_loop()
    started = loop.create_future()
    loop.call_later(max(0.0, start_at - time.monotonic()), started.set_result, None)
    await asyncio.wait_for(asyncio.gather(*(client(i, started) for i in range(clients))), 300)

asyncio.run(main())
print(json.dumps(done))
"""

# Informational: the same echo, but as a Python callable, so every turn takes the
# general path (reader -> turn worker hand-off, timeout watchdog armed). The built-in
# echo is a pure ("instant") agent that the reader answers inline.
CALLABLE_ECHO = """
async def echo(history, context):
    return history[-1]["content"] if history else None
"""


def start_server(
    code: str, *args: str, cpu: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if k != "CEKURA_WEBSOCKET_SECRET"}
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    proc = subprocess.Popen(
        [*pin, sys.executable, "-c", code, *args], stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = proc.stderr.readline().decode()
        if not line:
            break
        match = re.search(r"ws://[\d.]+:\d+", line)
        if match:
            return proc, match.group(0)
    proc.kill()
    raise SystemExit(f"server did not start: {code[:40]!r}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def drive(url: str, turns: int, pace_s: float | None) -> tuple[float, list[float]]:
    """100 clients x ``turns`` turns; returns (turns/s, per-turn latencies in ms)."""
    from websockets.asyncio.client import connect

    latencies: list[float] = []
    conns = [await connect(url, compression=None, max_queue=None) for _ in range(CLIENTS)]
    barrier = asyncio.Event()

    async def client(ws, index: int) -> None:
        await barrier.wait()
        if pace_s:
            await asyncio.sleep(random.random() * pace_s)
        next_at = time.perf_counter()
        for turn in range(turns):
            payload = json.dumps({"content": f"client {index} turn {turn} hello there"})
            start = time.perf_counter()
            await ws.send(payload)
            await ws.recv()
            latencies.append((time.perf_counter() - start) * 1000)
            if pace_s:
                next_at += pace_s
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    tasks = [asyncio.ensure_future(client(ws, i)) for i, ws in enumerate(conns)]
    start = time.perf_counter()
    barrier.set()
    await asyncio.wait_for(asyncio.gather(*tasks), PHASE_TIMEOUT_S)
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(ws.close() for ws in conns))
    return CLIENTS * turns / elapsed, latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    kb = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return kb / 1024


async def idle_rss(count: int) -> tuple[float, float]:
    from websockets.asyncio.client import connect

    proc, url = start_server(SHIM_SERVER, "serve", "echo", "--port", "0")  # default options
    try:
        await asyncio.sleep(0.3)
        before = vm_rss_mb(proc.pid)
        conns = []
        for _ in range(count):
            conns.append(await connect(url, compression=None, open_timeout=30))
        health = url.replace("ws://", "http://") + "/healthz"
        for _ in range(100):
            with urllib.request.urlopen(health, timeout=5) as response:
                if json.load(response)["conversations"] >= count:
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        after = vm_rss_mb(proc.pid)
        await asyncio.gather(*(ws.close() for ws in conns))
        return before, after
    finally:
        stop_server(proc)


def head_to_head_round(
    servers: list[tuple[subprocess.Popen[bytes], str]], clients: int, convs: int, turns: int
) -> tuple[float, float]:
    """One round: both drivers start together. Returns (shim turns / bare turns when the
    first finished, bare CPU per turn / shim CPU per turn over the whole round)."""
    start_at = time.monotonic() + 2.0  # both drivers are up and connected by then
    cpu_before = [cpu_seconds(proc.pid) for proc, _ in servers]
    drivers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                H2H_DRIVER,
                url,
                *map(str, (clients, convs, turns)),
                repr(start_at),
            ],
            stdout=subprocess.PIPE,
        )
        for _, url in servers
    ]
    times = []
    for proc in drivers:
        out, _ = proc.communicate(timeout=PHASE_TIMEOUT_S * 3)
        times.append(sorted(json.loads(out)))
    time.sleep(0.2)  # let the shim finish writing the last transcripts
    cpu = [
        cpu_seconds(proc.pid) - before
        for (proc, _), before in zip(servers, cpu_before, strict=True)
    ]
    first_done = min(t[-1] for t in times)
    bare, shim = (sum(1 for x in t if x <= first_done) for t in times)
    return shim / bare, cpu[0] / cpu[1]


def head_to_head(rounds: int, clients: int, convs: int, turns: int) -> list[tuple[float, float]]:
    cpu = 1 if (os.cpu_count() or 1) > 1 else 0
    transcripts = tempfile.mkdtemp(prefix="shim-bench-h2h-")
    servers = [
        start_server(BARE_SERVER, cpu=cpu),
        start_server(
            SHIM_SERVER, "serve", "echo", "--port", "0", "--transcripts", transcripts, cpu=cpu
        ),
    ]
    try:
        head_to_head_round(servers, clients, 1, 5)  # warm-up
        figures = [head_to_head_round(servers, clients, convs, turns) for _ in range(rounds)]
    finally:
        for proc, _ in servers:
            stop_server(proc)
    written = len(os.listdir(transcripts))
    print(
        f"head-to-head: {clients} concurrent conversations x {turns} turns, {convs} in a row "
        f"per client, both servers pinned to CPU {cpu} at once, the shim with --transcripts "
        f"({written} files written), load average {os.getloadavg()[0]:.2f}"
    )
    return figures


def summarize(name: str, rate: float | None, latencies: list[float]) -> dict[str, float]:
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    shown = f"{rate:>9.0f} turns/s   " if rate is not None else ""
    print(f"  {name:<16} {shown}p50 {p50:7.3f} ms   p99 {p99:7.3f} ms")
    return {"rate": rate or 0.0, "p50": p50, "p99": p99}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=200, help="turns per client (saturation)")
    parser.add_argument("--paced-turns", type=int, default=40, help="turns per client (paced)")
    parser.add_argument("--pace-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--h2h-rounds", type=int, default=11)
    parser.add_argument("--h2h-turns", type=int, default=20)
    parser.add_argument(
        "--h2h-conversations",
        type=int,
        default=1,
        help="conversations in a row per client (PRODUCT.md §7: 1; the first connects "
        "before the clock starts, later ones inside the measured window)",
    )
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.idle * 2 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    if args.h2h_rounds:
        figures = head_to_head(args.h2h_rounds, CLIENTS, args.h2h_conversations, args.h2h_turns)
        h2h = [f[0] for f in figures]
        h2h_cpu = [f[1] for f in figures]
        h2h_median = statistics.median(h2h)
        print(
            f"head-to-head throughput ratio shim/bare per round: "
            f"{', '.join(f'{r:.2f}' for r in h2h)}\n"
            f"  median {h2h_median:.2f} (min {min(h2h):.2f}, max {max(h2h):.2f})   "
            f"target >= {TARGET_THROUGHPUT_RATIO:.2f}   "
            f"{'ok' if h2h_median >= TARGET_THROUGHPUT_RATIO else 'MISSED'}\n"
            f"head-to-head CPU per turn, bare/shim per round: "
            f"{', '.join(f'{r:.2f}' for r in h2h_cpu)} (median {statistics.median(h2h_cpu):.2f})",
            flush=True,
        )
    if not args.rounds:
        return
    agent_file = Path(tempfile.mkdtemp()) / "bench_echo_agent.py"
    agent_file.write_text(CALLABLE_ECHO)
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    names = ("bare", "shim", "shim (callable)")
    results: dict[str, dict[str, list]] = {
        n: {"rate": [], "sat": [], "paced": [], "cpu_us": []} for n in names
    }
    try:
        servers["bare"] = start_server(BARE_SERVER)
        servers["shim"] = start_server(
            SHIM_SERVER, "serve", "echo", "--port", "0", "--transcripts", tempfile.mkdtemp()
        )
        servers["shim (callable)"] = start_server(
            SHIM_SERVER, "serve", f"{agent_file}:echo", "--port", "0"
        )
        for _, url in servers.values():  # warm-up
            await drive(url, 20, None)
        for _ in range(args.rounds):  # alternate, so drift hits all alike
            for name, (proc, url) in servers.items():
                cpu_before = cpu_seconds(proc.pid)
                rate, lat = await drive(url, args.turns, None)
                cpu_used = cpu_seconds(proc.pid) - cpu_before
                results[name]["cpu_us"].append(cpu_used / (CLIENTS * args.turns) * 1e6)
                results[name]["rate"].append(rate)
                results[name]["sat"].extend(lat)
                _, paced = await drive(url, args.paced_turns, args.pace_ms / 1000)
                results[name]["paced"].extend(paced)
    finally:
        for proc, _ in servers.values():
            stop_server(proc)

    print(
        f"shim benchmark: {CLIENTS} concurrent conversations, echo agent, loopback, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
        f"{os.getloadavg()[0]:.2f} (other processes on the machine skew every figure)"
    )
    print(
        f"saturation ({args.turns} back-to-back turns per client, median of "
        f"{args.rounds} rounds for turns/s):"
    )
    sat = {n: summarize(n, statistics.median(r["rate"]), r["sat"]) for n, r in results.items()}
    print(f"paced (one turn every {args.pace_ms:g} ms per client, {args.paced_turns} turns):")
    paced = {n: summarize(n, None, r["paced"]) for n, r in results.items()}
    # paired per round (bare and shim measured back to back), so that load from other
    # processes, which drifts over a run, cancels out as far as it can
    pairs = zip(results["shim"]["rate"], results["bare"]["rate"], strict=True)
    ratios = [s / b for s, b in pairs]
    ratio = statistics.median(ratios)
    cpu = {n: statistics.median(r["cpu_us"]) for n, r in results.items()}
    print(
        "server CPU per turn (median): "
        + ", ".join(f"{n} {c:.1f} us" for n, c in cpu.items())
        + f"; bare/shim {cpu['bare'] / cpu['shim']:.2f}"
    )
    print(
        f"throughput ratio per round: {', '.join(f'{r:.2f}' for r in ratios)} (median {ratio:.2f})"
    )
    added_p50 = paced["shim"]["p50"] - paced["bare"]["p50"]
    added_p99 = paced["shim"]["p99"] - paced["bare"]["p99"]

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(f"throughput ratio shim/bare, alone (informational; §7 is the head-to-head): {ratio:.2f}")
    print(
        f"added latency p50 (paced): {added_p50:.3f} ms   target <= {TARGET_ADDED_P50_MS} ms"
        f"   {verdict(added_p50 <= TARGET_ADDED_P50_MS)}"
    )
    print(
        f"added latency p99 (paced): {added_p99:.3f} ms   target <= {TARGET_ADDED_P99_MS} ms"
        f"   {verdict(added_p99 <= TARGET_ADDED_P99_MS)}"
    )
    sat_p50 = sat["shim"]["p50"] - sat["bare"]["p50"]
    sat_p99 = sat["shim"]["p99"] - sat["bare"]["p99"]
    print(
        f"added latency under saturation (queueing included): p50 {sat_p50:.3f} ms, "
        f"p99 {sat_p99:.3f} ms"
    )
    general = sat["shim (callable)"]["rate"] / sat["bare"]["rate"]
    added = {q: paced["shim (callable)"][q] - paced["bare"][q] for q in ("p50", "p99")}
    print(
        f"informational, echo as a Python callable (general turn path): throughput ratio "
        f"{general:.2f}, added latency (paced) p50 {added['p50']:.3f} ms, "
        f"p99 {added['p99']:.3f} ms"
    )
    if args.idle:
        before, after = await idle_rss(args.idle)
        print(
            f"shim RSS: {before:.1f} MB at start, {after:.1f} MB with {args.idle} idle "
            f"conversations   target < {TARGET_IDLE_RSS_MB:.0f} MB   "
            f"{verdict(after < TARGET_IDLE_RSS_MB)}"
        )


if __name__ == "__main__":
    asyncio.run(main())
