"""Polling: how late the CLI notices a finished result, and how often it asks.

Runs the real poll loop (``orchestration.waiter.wait_for_result`` with the default
``PollPolicy``) through the real ``CekuraClient`` against the sandbox on loopback. The
sandbox's ``results:slow:min_duration=T`` fault holds each result until exactly
``created_at + T``, so the finish time is known; trials use different T so that the
finish falls at every phase of the poll schedule.

Target (PRODUCT.md §7): notices a finished result within 2 s (median) with default
settings and never polls more than once per second.

    python benchmarks/polling_bench.py [--trials 16] [--long 30]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from cekura_cli.api.client import CekuraClient
from cekura_cli.orchestration.polling import PollPolicy
from cekura_cli.orchestration.waiter import wait_for_result
from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
from cekura_cli.sandbox.faults import parse_fault_specs
from cekura_cli.shim import ShimConfig, start_shim_in_thread

API_KEY = "bench-polling-key"


@dataclass
class Trial:
    hold_s: float
    notice_late_s: float = 0.0
    polls: int = 0
    waited_s: float = 0.0
    min_gap_s: float = float("inf")


def run_trial(url: str, scenario_id: int, trial: Trial) -> None:
    with CekuraClient(base_url=url, api_key=API_KEY) as client:
        started = client.start_text_run({"agent_id": 1, "scenarios": [scenario_id]})
        created = datetime.fromisoformat(str(started.created_at).replace("Z", "+00:00"))
        finish_at = created.timestamp() + trial.hold_s
        poll_times: list[float] = []

        def fetch():  # the real client call, timestamped
            poll_times.append(time.time())
            return client.get_result(started.id)

        begin = time.monotonic()
        wait_for_result(fetch, deadline=begin + 600, started_at=begin, policy=PollPolicy())
        trial.waited_s = time.monotonic() - begin
        trial.notice_late_s = poll_times[-1] - finish_at
        trial.polls = len(poll_times)
        gaps = [b - a for a, b in zip(poll_times, poll_times[1:], strict=False)]
        trial.min_gap_s = min(gaps) if gaps else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16, help="short trials (3-5 s holds)")
    parser.add_argument("--long", type=float, default=30.0, help="one long hold, seconds")
    args = parser.parse_args()

    holds = [3.0 + 2.0 * i / args.trials for i in range(args.trials)]
    trials = [Trial(hold_s=h) for h in holds]
    long_trial = Trial(hold_s=args.long)
    shim = start_shim_in_thread(ShimConfig(target="echo", port=0))
    threads = []
    try:
        for trial in [*trials, long_trial]:  # one sandbox per trial: each has its own hold
            sandbox = start_sandbox_in_thread(
                SandboxConfig(
                    suite=load_suite(None),
                    api_key=API_KEY,
                    agent_websocket_url=shim.url,
                    faults=parse_fault_specs([f"results:slow:min_duration={trial.hold_s}"]),
                )
            )
            thread = threading.Thread(target=_run_and_stop, args=(sandbox, trial), daemon=True)
            threads.append(thread)
            thread.start()
        for thread in threads:
            thread.join(timeout=args.long + 120)
    finally:
        shim.stop()

    late = [t.notice_late_s for t in trials]
    polls_per_minute = 60.0 * long_trial.polls / long_trial.waited_s
    min_gap = min(t.min_gap_s for t in [*trials, long_trial])
    print(f"polling against the sandbox ({len(trials)} trials, holds 3-5 s; one {args.long:g} s)")
    print(f"  noticed after finish, median   {statistics.median(late):6.2f} s   target <= 2 s")
    print(f"  noticed after finish, max      {max(late):6.2f} s")
    print(f"  polls per minute ({args.long:g} s hold)  {polls_per_minute:6.1f}")
    print(f"  shortest gap between polls     {min_gap:6.2f} s   target >= 1 s")


def _run_and_stop(sandbox, trial: Trial) -> None:
    try:
        run_trial(sandbox.url, 1, trial)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
