"""Soak the shim with fuzzed tester frames and abrupt disconnects: the suite's fuzz, longer.

    python benchmarks/soak_shim_fuzz.py [--frames 10000] [--clients 20] [--seed 1]
                                        [--controls 3] [--max-frame-bytes 4096]
                                        [--close-timeout 1] [--timeout 10]

The shim serves the ``echo`` agent from a child process (this script with ``--serve``),
so the RSS measured is its own, with a transcripts directory and a small
``max_frame_bytes``. ``--clients`` clients play the frames of
``tests/reliability/shim_fuzz_frames.py`` (valid turns, fragmented turns, malformed JSON,
non-objects, wrong types, unknown types, binary frames, deep nesting, pings; each
conversation ends with an end_call, a clean close, an oversized frame, a protocol error,
an abort or an abort in the middle of a frame) while ``--controls`` control clients hold
scripted conversations that must get exact echoes. Afterwards every conversation must
have exactly one transcript file saying what was sent, and the shim must still answer.

Loopback only; every wait is bounded by ``--timeout``. Prints the frames sent by kind,
how the conversations ended, abrupt disconnects, conversations started and finished,
transcripts written, control-turn failures, the shim's RSS before and after (and its
peak), errors the shim logged, and the wall time. Exit 0 when nothing failed, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "reliability"))

from shim_fuzz_frames import (  # noqa: E402
    TERMINAL,
    Fuzz,
    check_transcripts,
    control,
    expectations,
    frame_counts,
    plan_fuzz,
    run_fuzz,
)

ABRUPT = (Fuzz.ABORT, Fuzz.ABORT_MID_FRAME)


def serve(directory: Path, max_frame_bytes: int, close_timeout_s: float) -> None:
    """The child: serve ``echo`` until SIGTERM, printing the URL once listening."""
    import gc

    from cekura_cli.shim.runner import ShimConfig, serve_shim

    config = ShimConfig(
        target="echo",
        port=0,
        transcripts_dir=directory,
        max_conversations=500,
        max_frame_bytes=max_frame_bytes,
        close_timeout_s=close_timeout_s,
    )

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await serve_shim(config, ready=lambda url: print(url, flush=True), stop=stop)

    gc.collect()
    gc.freeze()  # as `cekura shim serve` does
    asyncio.run(main())


def rss_mib(pid: int) -> float | None:
    """The resident set of ``pid`` (Linux ``/proc``), or None elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def start_child(
    directory: Path, args: argparse.Namespace, log: Path
) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, __file__, "--serve", str(directory),
        "--max-frame-bytes", str(args.max_frame_bytes), "--close-timeout", str(args.close_timeout),
    ]  # fmt: skip
    with log.open("wb") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    box: list[str] = []
    assert child.stdout is not None
    reader = threading.Thread(target=lambda: box.append(child.stdout.readline()), daemon=True)
    reader.start()
    reader.join(args.timeout)
    if not box or not box[0].startswith("ws://"):
        child.kill()
        raise SystemExit(f"the shim did not start (see {log})")
    return child, box[0].strip()


def http_json(url: str, timeout_s: float) -> object:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


def wait_idle(base: str, bound_s: float) -> int:
    """Open conversations left once the shim counts none, or ``bound_s`` passed."""
    deadline = time.monotonic() + bound_s
    while True:
        open_now = http_json(base + "/healthz", bound_s)["conversations"]  # type: ignore[index]
        if not open_now or time.monotonic() > deadline:
            return open_now
        time.sleep(0.05)


def fmt(mib: float | None) -> str:
    return "n/a" if mib is None else f"{mib:.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=10_000, help="fuzzed frames (10000)")
    parser.add_argument("--clients", type=int, default=20, help="fuzz clients at once (20)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--controls", type=int, default=3, help="control clients (3)")
    parser.add_argument("--max-frame-bytes", type=int, default=4096, help="shim max_size (4096)")
    parser.add_argument(
        "--close-timeout", type=float, default=1.0, help="shim close_timeout_s (1; default 10)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="bound of every wait, s")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.max_frame_bytes, args.close_timeout)
        return 0

    plans = plan_fuzz(
        args.seed, clients=args.clients, frames=args.frames, max_frame_bytes=args.max_frame_bytes
    )
    counts = frame_counts(plans)
    print(
        f"soak: {sum(counts.values())} frames, {args.clients} clients, {args.controls} controls, "
        f"seed {args.seed}, max frame {args.max_frame_bytes} B, "
        f"close timeout {args.close_timeout:g} s",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory, log = Path(tmp) / "transcripts", Path(tmp) / "shim.log"
        directory.mkdir()
        child, url = start_child(directory, args, log)
        base = url.replace("ws://", "http://")
        try:
            rss_before = rss_mib(child.pid)
            started = time.monotonic()
            outcomes, reports = asyncio.run(
                run_fuzz(url, plans, controls=args.controls, timeout_s=args.timeout)
            )
            fuzz_s = time.monotonic() - started
            left_open = wait_idle(base, args.close_timeout + args.timeout)
            idle_s = time.monotonic() - started
            fresh = asyncio.run(  # a new conversation after it all: two exact echoes
                control(url, "fresh", asyncio.Event(), turns=2, limit=1, timeout_s=args.timeout)
            )
            left_open += wait_idle(base, args.close_timeout + args.timeout)
            health = http_json(base + "/healthz", args.timeout)
            rss_after = rss_mib(child.pid)
            calls = http_json(base + "/calls", args.timeout)
            expected = expectations(outcomes, [*reports, fresh])
            transcript_problems = check_transcripts(directory, expected)
            written = len(list(directory.iterdir()))
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(args.timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
        shim_log = log.read_text(errors="replace")
    shim_errors = shim_log.count("Traceback")

    fuzz_problems = [(o.plan.key, p) for o in outcomes for p in o.problems]
    control_failures = [f for r in [*reports, fresh] for f in r.failures]
    ends = Counter(o.plan.terminal.kind for o in outcomes)
    print("\nframes sent by kind (the 0-3 after an end_call are best effort):")
    for kind in Fuzz:
        tag = "  (ends a conversation)" if kind in TERMINAL else ""
        print(f"  {kind.value:<18} {counts[kind]:>6}{tag}")
    started_n = sum(o.started for o in outcomes)
    control_n = sum(len(r.expected) for r in reports)
    print()
    print(f"abrupt disconnects            {sum(ends[k] for k in ABRUPT):>6}")
    print(f"fuzz conversations started    {started_n:>6} of {len(outcomes)} planned")
    print(f"control conversations         {control_n:>6}")
    print(f"conversations finished        {len(expected) - left_open:>6} of {len(expected)}")
    print(f"transcripts written           {written:>6}")
    print(f"transcript problems           {len(transcript_problems):>6}")
    print(f"/calls entries                {len(calls):>6} (keeps the last 1000)")  # type: ignore[arg-type]
    print(f"fuzz reply/close problems     {len(fuzz_problems):>6}")
    print(f"control turns                 {sum(r.turns for r in reports):>6}")
    print(f"control-turn failures         {len(control_failures):>6}")
    print(f"shim errors logged            {shim_errors:>6}")
    fresh_ok = fresh.turns == 2 and not fresh.failures
    print(f"fresh conversation after      {'ok' if fresh_ok else 'FAILED'}")
    print(f"healthz after                 {json.dumps(health)}")
    print(f"shim RSS                      before {fmt(rss_before)}, after {fmt(rss_after)}, "
          f"peak {fmt(peak)}")  # fmt: skip
    print(f"wall                          {fuzz_s:.1f} s fuzzing, {idle_s:.1f} s until idle")
    for problem in [*transcript_problems, *map(str, fuzz_problems), *control_failures][:20]:
        print(f"  FAIL {problem}")
    calls_ok = len(calls) == min(len(expected), 1000)  # type: ignore[arg-type]
    failed = (
        transcript_problems or fuzz_problems or control_failures or left_open or shim_errors
        or not calls_ok or started_n != len(outcomes) or not fresh_ok
    )  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
