"""Benchmark: report a 5,000-run result with every reporter (PRODUCT.md §7).

Target: table + JSON + JUnit + GitHub summary and annotations + HTML in <= 2 s and
<= 200 MB, and the HTML file under 10 MB.

Builds a synthetic result (70% passed, 20% failed, 10% errored by default, ~2 KB
transcripts, repeated scenarios, some unicode), then times each reporter once:
the console table to an in-memory file console, the JSON report, the JUnit XML and the
HTML report to temporary files, and the GitHub step summary, annotations and outputs to
temporary env files. Peak memory is reported twice: the tracemalloc peak of the Python heap
during the reporters (run separately: tracing slows code down, so timings come from
an untraced pass) and the process's maximum RSS (ru_maxrss, which includes the
interpreter, rich and the synthetic report itself).

Usage: ``python benchmarks/report_bench.py [--runs N] [--failing-share F]``
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

TARGET_SECONDS = 2.0
TARGET_MB = 200.0
TARGET_HTML_MB = 10.0


def build_report(runs: int, failing_share: float, seed: int = 7):
    """A synthetic ResultReport: a mix of outcomes, ~2 KB transcripts, repeats."""
    from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict

    rng = random.Random(seed)
    turns = [
        "Testing Agent: Hi, I'd like to book a table for two tomorrow at 7pm, please.",
        "Main Agent: Of course! May I have a name for the reservation?",
        "Testing Agent: It's Zoë Müller — and could we sit by the window? ☀️",
        "Main Agent: Let me check availability for 2 guests at 19:00 tomorrow.",
    ]
    transcript = "\n".join(turns * 8)[:2048]
    scenarios = max(runs // 5, 1)  # every scenario runs five times: "#1".."#5"
    result_url = "https://dashboard.cekura.ai/7/results/123456"
    items = []
    for index in range(runs):
        scenario = index % scenarios
        repeat = index // scenarios + 1
        roll = rng.random()
        if roll < failing_share * 2 / 3:
            outcome, status, success = Outcome.FAILED, "completed", False
            reason = (
                "Expected outcome not met: the agent never confirmed the booking time "
                f"(metric 'booking_confirmed' scored {rng.randint(0, 40)}/100)."
            )
        elif roll < failing_share:
            outcome, status, success = Outcome.ERROR, rng.choice(["timeout", "failed"]), None
            reason = "Connection to wss://agent.example.com/ws failed: timed out after 30s"
        else:
            outcome, status, success, reason = Outcome.PASSED, "completed", True, None
        name = f"Booking flow {scenario:04d} — café"
        items.append(
            RunReport(
                run_id=100_000 + index,
                scenario_id=5_000 + scenario,
                scenario_name=name,
                case_name=f"{name} #{repeat}",
                status=status,
                success=success,
                outcome=outcome,
                reason=reason,
                transcript=transcript,
                url=f"{result_url}?run={100_000 + index}",
                duration_s=rng.uniform(20, 240),
                tags=("booking", "nightly") if scenario % 3 else ("booking", "critical"),
            )
        )
    passed = sum(r.outcome is Outcome.PASSED for r in items)
    failed = sum(r.outcome is Outcome.FAILED for r in items)
    errored = sum(r.outcome is Outcome.ERROR for r in items)
    return ResultReport(
        result_id=123456,
        result_url=result_url,
        name="nightly regression main@abc1234",
        status="completed",
        verdict=Verdict.PASSED if passed == runs else Verdict.FAILED,
        exit_code=0 if passed == runs else 1,
        counts=Counts(total=runs, passed=passed, failed=failed, errored=errored),
        pass_rate=passed / runs if runs else 0.0,
        min_pass_rate=1.0,
        runs=tuple(items),
        elapsed_s=1834.5,
    )


def reporters(report, directory: Path) -> list[tuple[str, Callable[[], object]]]:
    """(label, thunk) for every reporter, writing under ``directory``."""
    from rich.console import Console

    from cekura_cli.reporting.console import render_summary
    from cekura_cli.reporting.github import write_github
    from cekura_cli.reporting.html import write_html
    from cekura_cli.reporting.json_report import write_json
    from cekura_cli.reporting.junit import write_junit

    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(directory / "summary.md"),
        "GITHUB_OUTPUT": str(directory / "output.txt"),
    }

    def github() -> None:
        for name in ("summary.md", "output.txt"):  # GitHub appends; measure one step's worth
            (directory / name).unlink(missing_ok=True)
        write_github(report, environ=environ, stream=io.StringIO())

    def table() -> None:
        render_summary(report, Console(file=io.StringIO(), width=160, no_color=True))

    return [
        ("table", table),
        ("json", lambda: write_json(report, directory / "report.json")),
        ("junit", lambda: write_junit(report, directory / "junit.xml")),
        ("github", github),
        ("html", lambda: write_html(report, directory / "report.html")),
    ]


def max_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--failing-share", type=float, default=0.3)
    args = parser.parse_args(argv)

    report = build_report(args.runs, args.failing_share)
    failing = report.counts.failed + report.counts.errored
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        # Warm-up: imports (rich, json, …) belong to start-up, not to reporting.
        for _, thunk in reporters(build_report(20, 0.5), directory):
            thunk()
        timings = []
        cpu: dict[str, float] = {}
        for label, thunk in reporters(report, directory):
            start, start_cpu = time.perf_counter(), time.process_time()
            thunk()
            timings.append((label, time.perf_counter() - start))
            cpu[label] = time.process_time() - start_cpu
        sizes = {p.name: p.stat().st_size for p in directory.iterdir()}

        tracemalloc.start()
        for _, thunk in reporters(report, directory):
            thunk()
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    total = sum(seconds for _, seconds in timings)
    peak_mb = traced_peak / (1024 * 1024)
    rss_mb = max_rss_mb()
    print(
        f"report_bench: {args.runs} runs ({failing} failing), Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    # CPU seconds beside wall seconds: on a shared, loaded machine the wall figure mostly
    # measures the other processes; the CPU figure is this process's own work.
    print(f"{'reporter':<10} {'seconds':>8} {'cpu s':>8}")
    for label, seconds in timings:
        print(f"{label:<10} {seconds:>8.3f} {cpu[label]:>8.3f}")
    verdict_time = "ok" if total <= TARGET_SECONDS else "OVER"
    print(
        f"{'total':<10} {total:>8.3f} {sum(cpu.values()):>8.3f}   "
        f"target <= {TARGET_SECONDS:.1f} s  [{verdict_time}]"
    )
    print(
        f"memory: tracemalloc peak {peak_mb:.1f} MB, max RSS {rss_mb:.1f} MB   "
        f"target <= {TARGET_MB:.0f} MB  [{'ok' if rss_mb <= TARGET_MB else 'OVER'}]"
    )
    print(
        "files: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(sizes.items()))
    )
    html_mb = sizes.get("report.html", 0) / 1e6
    print(
        f"html file: {html_mb:.1f} MB (json {sizes.get('report.json', 0) / 1e6:.1f} MB)   "
        f"target < {TARGET_HTML_MB:.0f} MB  [{'ok' if html_mb < TARGET_HTML_MB else 'OVER'}]"
    )
    ok = total <= TARGET_SECONDS and rss_mb <= TARGET_MB and html_mb < TARGET_HTML_MB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
