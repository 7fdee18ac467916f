"""Start-up A/B: ``cekura --help`` of this tree against another tree, interleaved.

On a shared, loaded host the absolute start-up time moves by 2-5x between minutes, so a
change is judged by alternating the two versions run by run in the same minutes. The
baseline is a source tree of another commit, e.g. ``main``::

    git archive main cekura_cli | tar -x -C /tmp/cekura-main
    python benchmarks/startup_ab.py --baseline /tmp/cekura-main [--repeat 30]

It runs the ``cekura`` console script with ``PYTHONPATH`` set to the baseline tree (which
then shadows the installed package) or unset, plus ``python -c pass`` as the floor.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def cekura_command() -> list[str]:
    exe = shutil.which("cekura", path=os.path.dirname(sys.executable)) or shutil.which("cekura")
    return [exe] if exe else [sys.executable, "-m", "cekura_cli"]


def once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="a source tree holding cekura_cli/")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    baseline_env = {**env, "PYTHONPATH": args.baseline}
    help_command = [*cekura_command(), "--help"]
    variants = {
        "python -c pass (floor)": ([sys.executable, "-c", "pass"], env),
        "cekura --help, baseline": (help_command, baseline_env),
        "cekura --help, this tree": (help_command, env),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, (command, variant_env) in variants.items():
            samples[name].append(once(command, variant_env))
    print(f"start-up A/B ({args.repeat} interleaved runs each, {os.cpu_count()} cores)")
    for name, values in samples.items():
        print(f"  {name:<26} {statistics.median(values):7.1f} ms median {min(values):7.1f} ms min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
