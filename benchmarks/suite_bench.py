"""Validating a 200-case suite offline: the whole ``cekura suite validate FILE`` process.

Baselines measured in the same run, interleaved: ``cekura --version`` (the CLI's own
process start-up) and ``python -c pass`` (the interpreter's floor). Also the in-process
cost of the check alone (parse + schema + rules), without start-up.
Target (PRODUCT.md §7): validating a 200-scenario suite offline <= 300 ms wall.

    python benchmarks/suite_bench.py [--repeat 15] [--cases 200]

The suite is realistic: every case has a key, tags, metrics, an inline personality
reference, and half of them a local: block with two turns and checks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 300.0


def cekura_command() -> list[str]:
    exe = shutil.which("cekura", path=os.path.dirname(sys.executable)) or shutil.which("cekura")
    return [exe] if exe else [sys.executable, "-m", "cekura_cli"]


def suite_text(cases: int) -> str:
    lines = ['version: "1"', "suite: {name: Benchmark suite}", "defaults:", "  tags: [ci]"]
    lines.append("scenarios:")
    for n in range(cases):
        lines += [
            f"  - key: case-{n:03d}",
            f"    name: Case number {n}",
            f"    instructions: Ask for an appointment on day {n} and confirm it.",
            f"    expected_outcome: The agent books day {n}.",
            "    tags: [smoke, bulk]",
            "    metrics: [expected_outcome, 3]",
            "    personality: 7",
            "    frequency: 1",
        ]
        if n % 2 == 0:
            lines += [
                "    local:",
                "      turns:",
                f"        - say: I need an appointment on day {n}",
                "          expect: {reply_contains: book, no_tool_calls: true}",
                "        - say: Thanks, bye",
                "      expect: {agent_ends_call: true, max_turns: 2}",
            ]
    return "\n".join(lines) + "\n"


def time_process(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--cases", type=int, default=200)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cekura-suite.yaml"
        path.write_text(suite_text(options.cases), encoding="utf-8")
        validate = [*cekura_command(), "suite", "validate", "--quiet", str(path)]
        version = [*cekura_command(), "--version"]
        floor = [sys.executable, "-c", "pass"]
        samples: dict[str, list[float]] = {"validate": [], "version": [], "floor": []}
        time_process(validate)  # warm the page cache and .pyc files
        for _ in range(options.repeat):  # interleaved, so load hits all three alike
            samples["validate"].append(time_process(validate))
            samples["version"].append(time_process(version))
            samples["floor"].append(time_process(floor))

        from cekura_cli.suite.loading import check_file

        check_file(path)
        in_process = []
        for _ in range(options.repeat):
            start = time.perf_counter()
            assert check_file(path) == []
            in_process.append((time.perf_counter() - start) * 1000)

    med = {name: statistics.median(values) for name, values in samples.items()}
    print(f"suite of {options.cases} cases, {options.repeat} runs each, medians:")
    target = f"(target <= {TARGET_MS:.0f})"
    print(f"  cekura suite validate (whole process)  {med['validate']:7.1f} ms  {target}")
    print(f"  cekura --version (baseline start-up)   {med['version']:7.1f} ms")
    print(f"  python -c pass (interpreter floor)     {med['floor']:7.1f} ms")
    print(f"  the check alone, in process            {statistics.median(in_process):7.1f} ms")
    print(f"  validate - --version                   {med['validate'] - med['version']:7.1f} ms")
    verdict = "meets" if med["validate"] <= TARGET_MS else "MISSES"
    print(f"  {verdict} the target")


if __name__ == "__main__":
    main()
