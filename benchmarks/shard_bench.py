"""Shard a 1,000-scenario suite across 4 jobs and merge: same verdict as one job (§11).

    python benchmarks/shard_bench.py [--scenarios 1000] [--shards 4] [--failing-every 7]

Loopback only, bounded, stops by itself. It writes a scenario file for the ``echo``
agent (one turn each; every ``--failing-every``-th scenario fails), then measures:

- **baseline**: one ``cekura run --local`` over the whole suite;
- **sharded**: ``--shards`` jobs ``cekura run --local --shard K/N`` started at once (a
  CI matrix on one machine), then ``cekura report merge`` of their JSON reports;
- the split itself: shard sizes of the pure ``hash(scenario id) mod N`` split.

It prints wall times beside the baseline and checks that the merged counts, verdict,
exit code and scenario ids equal the unsharded run's. The exit code is 0 when they are
equal (a measurement plus that one check, not a timing test).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_suite(path: Path, count: int, failing_every: int) -> set[int]:
    lines = ["version: 1", "defaults:", "  first_speaker: tester", "scenarios:"]
    failing = set()
    for i in range(1, count + 1):
        fails = failing_every > 0 and i % failing_every == 0
        if fails:
            failing.add(i)
        lines += [
            f"  - name: Scenario {i}",
            "    tags: [bench]",
            "    turns:",
            f"      - say: please {'fail' if fails else 'pass'} {i}",
            "        expect:",
            "          reply_contains: pass",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return failing


def cekura(*args: str) -> list[str]:
    return [sys.executable, "-m", "cekura_cli", *args]


def run_args(suite: Path, *extra: str) -> list[str]:
    return cekura(
        "run",
        "--local",
        "--serve",
        "echo",
        "--scenarios",
        str(suite),
        "--tag",
        "bench",
        "--timeout",
        "600",
        *extra,
    )


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CEKURA_", "GITHUB_"))}
    env["CI"] = "true"
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=1000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--failing-every", type=int, default=7)
    options = parser.parse_args()

    from cekura_cli.orchestration.shard import partition, scenario_key

    sizes = [
        len(p)
        for p in partition(list(range(1, options.scenarios + 1)), scenario_key, options.shards)
    ]
    print(
        f"split of {options.scenarios} scenario ids into {options.shards}: sizes {sizes} "
        f"(even would be {options.scenarios / options.shards:g})"
    )

    with tempfile.TemporaryDirectory(prefix="cekura-shard-bench-") as tmp:
        root = Path(tmp)
        suite = root / "suite.yaml"
        failing = write_suite(suite, options.scenarios, options.failing_every)
        env = environment()

        started = time.perf_counter()
        full = subprocess.run(
            run_args(suite, "--json", str(root / "full.json")),
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=root,
        )
        baseline_s = time.perf_counter() - started

        started = time.perf_counter()
        jobs = [
            subprocess.Popen(
                run_args(
                    suite,
                    "--shard",
                    f"{k}/{options.shards}",
                    "--json",
                    str(root / f"shard{k}.json"),
                ),
                env=env,
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for k in range(1, options.shards + 1)
        ]
        codes = [job.wait(timeout=900) for job in jobs]
        shards_s = time.perf_counter() - started
        reports = [str(root / f"shard{k}.json") for k in range(1, options.shards + 1)]
        started = time.perf_counter()
        merged = subprocess.run(
            cekura(
                "report", "merge", *reports, "--json", "-", "--junit-xml", str(root / "merged.xml")
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=root,
        )
        merge_s = time.perf_counter() - started

        whole = json.loads((root / "full.json").read_text())
        doc = json.loads(merged.stdout)
        same = (
            doc["counts"] == whole["counts"]
            and doc["verdict"] == whole["verdict"]
            and merged.returncode == full.returncode
            and sorted(r["scenario_id"] for r in doc["runs"])
            == sorted(r["scenario_id"] for r in whole["runs"])
        )
        print(f"expected failing scenarios: {len(failing)}")
        print(
            f"baseline  one job, {options.scenarios} scenarios: {baseline_s:6.2f} s  "
            f"exit {full.returncode}  counts {whole['counts']}"
        )
        print(f"sharded   {options.shards} jobs at once:          {shards_s:6.2f} s  exits {codes}")
        print(
            f"merge     {options.shards} reports:             {merge_s:6.2f} s  "
            f"exit {merged.returncode}  counts {doc['counts']}"
        )
        print(
            f"sharded + merge vs baseline: {(shards_s + merge_s) / baseline_s:.2f}x "
            "(on one machine; on a CI matrix the jobs run on separate runners)"
        )
        print("merged == unsharded (counts, verdict, exit code, scenario ids):", same)
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
