"""Benchmark: what the GitHub Actions output fence costs (PRODUCT.md §13).

Under ``GITHUB_ACTIONS=true`` stdout and stderr pass through
:class:`~cekura_cli.reporting.workflow_commands.FencedStream`, which neutralises
``##[`` and line-initial ``::``. This times the heaviest thing that passes through it,
``--json -`` of a 5,000-run result (the report of ``report_bench.py``, with hostile
text in every reason), and the console results table, each written to an in-memory
stream directly (the baseline, measured in the same run, alternately) and through the
fence.

    python benchmarks/fence_bench.py [--runs 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_bench import build_report

HOSTILE = " ::error::x ##[warning]y\n  ::add-mask::z"


def paired_medians(
    direct: Callable[[], None], fenced: Callable[[], None], repeat: int
) -> tuple[float, float]:
    """Median ms of each, measured alternately after one warm-up of each, so that the
    load of a shared machine drifts over both alike."""
    direct()
    fenced()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for action, out in ((direct, samples[0]), (fenced, samples[1])):
            started = time.perf_counter()
            action()
            out.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    from rich.console import Console

    from cekura_cli.reporting.console import render_summary
    from cekura_cli.reporting.json_report import write_json
    from cekura_cli.reporting.workflow_commands import FencedStream

    report = build_report(options.runs, 0.3)
    report = replace(
        report, runs=tuple(replace(run, reason=(run.reason or "") + HOSTILE) for run in report.runs)
    )

    def json_to(wrap: bool) -> Callable[[], None]:
        def action() -> None:
            inner = io.StringIO()
            stream = FencedStream(inner) if wrap else inner
            write_json(report, "-", stdout=stream)  # type: ignore[arg-type]
            stream.flush()

        return action

    def table_to(wrap: bool) -> Callable[[], None]:
        def action() -> None:
            inner = io.StringIO()
            stream = FencedStream(inner) if wrap else inner
            render_summary(report, Console(file=stream, width=140, force_terminal=False))  # type: ignore[arg-type]
            stream.flush()

        return action

    probe = io.StringIO()
    write_json(report, "-", stdout=probe)
    size_mb = len(probe.getvalue().encode()) / 1e6
    print(
        f"fence_bench: {options.runs} runs, --json - {size_mb:.1f} MB, median of {options.repeat}"
    )
    print(f"{'output':<14}{'direct ms':>10}{'fenced ms':>11}{'added':>8}")
    for name, make in (("json -", json_to), ("table", table_to)):
        direct, fenced = paired_medians(make(False), make(True), options.repeat)
        print(f"{name:<14}{direct:>10.0f}{fenced:>11.0f}{fenced - direct:>+8.0f}")


if __name__ == "__main__":
    main()
