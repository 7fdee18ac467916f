"""Benchmark: the terminal summary of a big result, narrow blocks beside the wide table.

The narrow layout (pytest-style blocks, below 120 columns) wraps each failing run's
reason with rich; the wide layout is the table (one line per run above 200 runs). The
baseline is the wide table of the same report, measured in the same run. Also prints
how many lines each layout takes: what a person has to scroll through.

Usage: ``python benchmarks/terminal_bench.py [--runs N] [--failing-share F] [--repeat K]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from report_bench import build_report  # the same synthetic report


def render(report, width: int) -> str:
    from rich.console import Console

    from cekura_cli.reporting.console import render_summary

    out = io.StringIO()
    render_summary(report, Console(file=out, width=width, no_color=True))
    return out.getvalue()


def time_render(report, width: int, repeat: int) -> tuple[float, int]:
    samples, lines = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        text = render(report, width)
        samples.append(time.perf_counter() - start)
        lines = text.count("\n")
    return statistics.median(samples), lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--failing-share", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    print(f"terminal summary, {args.runs:,} runs, {args.failing_share:.0%} not passing")
    for runs, share in ((30, 1.0), (30, 0.2), (args.runs, args.failing_share)):
        report = build_report(runs, share)
        wide_s, wide_lines = time_render(report, 200, args.repeat)
        narrow_s, narrow_lines = time_render(report, 80, args.repeat)
        print(
            f"  {runs:>6,} runs, {share:>4.0%} failing: "
            f"80 cols blocks {narrow_s * 1000:8.1f} ms {narrow_lines:>6,} lines | "
            f"200 cols table (baseline) {wide_s * 1000:8.1f} ms {wide_lines:>6,} lines"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
