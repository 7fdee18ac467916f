"""Validating a 200-case suite offline: the whole ``cekura suite validate FILE`` process.

Baselines measured in the same run, interleaved: the same command on a 1-case suite (the
command's fixed cost: typer, which imports pydantic to run any command, plus jsonschema),
``cekura --version`` (the CLI's process start-up) and ``python -c pass`` (the
interpreter's floor). Also the in-process cost of the check alone (parse + schema +
rules), without start-up.
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
        small = Path(tmp) / "one-case.yaml"
        small.write_text(suite_text(1), encoding="utf-8")
        validate = [*cekura_command(), "suite", "validate", "--quiet", str(path)]
        validate_one = [*cekura_command(), "suite", "validate", "--quiet", str(small)]
        version = [*cekura_command(), "--version"]
        floor = [sys.executable, "-c", "pass"]
        samples: dict[str, list[float]] = {"validate": [], "one": [], "version": [], "floor": []}
        time_process(validate)  # warm the page cache and .pyc files
        for _ in range(options.repeat):  # interleaved, so load hits all three alike
            samples["validate"].append(time_process(validate))
            samples["one"].append(time_process(validate_one))
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
    low = {name: min(values) for name, values in samples.items()}
    rows = [
        (f"cekura suite validate, {options.cases} cases", "validate"),
        ("the same on a 1-case suite", "one"),
        ("cekura --version (start-up)", "version"),
        ("python -c pass (floor)", "floor"),
    ]
    print(f"suite of {options.cases} cases, {options.repeat} runs each (interleaved):")
    for label, name in rows:
        target = f"   target <= {TARGET_MS:.0f} ms" if name == "validate" else ""
        print(f"  {label:<34} {med[name]:7.1f} ms median {low[name]:7.1f} ms min{target}")
    print(f"  {'the check alone, in process':<34} {statistics.median(in_process):7.1f} ms median")
    above = f"{options.cases} cases above 1 case"
    print(f"  {above:<34} {med['validate'] - med['one']:7.1f} ms median")
    print(f"  {'validate above the floor':<34} {med['validate'] - med['floor']:7.1f} ms median")
    verdict = "meets" if med["validate"] <= TARGET_MS else "MISSES"
    print(f"  {verdict} the target (median)")


if __name__ == "__main__":
    main()
