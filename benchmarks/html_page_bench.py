"""Benchmark: open the 5,000-run HTML report in headless Chromium and use its filters.

Not a PRODUCT.md §7 target; it answers "does a big nightly's page open at all, and
do the filters keep up". Writes the synthetic 5,000-run report of ``report_bench.py``
as HTML and as JSON, then, in one Chromium, times (median of ``--repeat`` rounds):

- loading the HTML page until its load event (the page's own script has run);
- the baseline: loading the JSON report of the same result (a larger, plain file the
  browser only shows as text), in the same browser, alternating with the page;
- one click on an outcome checkbox until the count of shown runs is updated;
- typing a search term (the first search also reads every run's text).

Usage: ``python benchmarks/html_page_bench.py [--runs N] [--repeat N]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reporting"))  # the DevTools driver of the tests
sys.path.insert(0, str(ROOT / "benchmarks"))

from html_browser_helpers import chromium, find_chromium  # noqa: E402
from report_bench import build_report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    executable = find_chromium()
    if executable is None:
        print("html_page_bench: no Chromium found (set CEKURA_CHROMIUM)", file=sys.stderr)
        return 2

    from cekura_cli.reporting.html import write_html
    from cekura_cli.reporting.json_report import write_json

    report = build_report(args.runs, 0.3)
    with tempfile.TemporaryDirectory() as tmp:
        page_path, json_path = Path(tmp) / "report.html", Path(tmp) / "report.json"
        write_html(report, page_path)
        write_json(report, json_path)
        loads, baseline, clicks, searches = [], [], [], []
        with chromium(executable) as browser:
            page = browser.new_page()
            for _ in range(args.repeat):
                start = time.perf_counter()
                page.open(json_path)
                baseline.append(time.perf_counter() - start)
                start = time.perf_counter()
                page.open(page_path)
                loads.append(time.perf_counter() - start)
                start = time.perf_counter()
                page.click("input[name=outcome][value=passed]")
                shown = page.js("document.getElementById('shown').textContent")
                clicks.append(time.perf_counter() - start)
                start = time.perf_counter()
                page.type_into("#search", "café #3")
                found = page.js("document.getElementById('shown').textContent")
                searches.append(time.perf_counter() - start)
        sizes = page_path.stat().st_size / 1e6, json_path.stat().st_size / 1e6

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"

    print(f"html_page_bench: {args.runs} runs, {args.repeat} rounds, {Path(executable).name}")
    print(f"load the HTML page ({sizes[0]:.1f} MB)   {median(loads)}")
    print(f"baseline: load the JSON ({sizes[1]:.1f} MB) {median(baseline)}")
    print(f"click an outcome filter       {median(clicks)}  -> {shown}")
    print(f"type a search                 {median(searches)}  -> {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
