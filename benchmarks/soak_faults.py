"""Soak ``cekura run`` under seeded fault plans: the fault matrix of the test suite, longer.

    python benchmarks/soak_faults.py [--cases 60] [--seed 1] [--max-delay 8]
                                     [--max-extra-faults 3] [--jobs 1] [--show N]

Each case (``tests/reliability/reliability_matrix.py``) is a sandbox with a combination
of faults (429 with and without Retry-After, 5xx, malformed bodies, dropped
connections, slow answers, slow results, run errors, and faults on the start POST:
throttled, dropped, 5xx, dropped after the service acted) and an agent that passes
(``booking``) or fails (``echo``) every scenario. The real CLI runs against it in a
child process, and the case is checked: the exit code is the agent's verdict (3 when
the start POST was lost), at most one result is created (exactly one when a run was
started), and the JSON report's counts match the agent.

Loopback only; every CLI run is bounded (90 s). Prints one line per failing case and a
table: cases, faults injected (sum of the sandbox's ``faults_fired``), verdict
mismatches, duplicate results, other problems, wall time; then the same per fault kind.
Exit code 0 when every case passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "reliability"))

from reliability_helpers import (  # noqa: E402
    CLI_TIMEOUT_S,
    CaseRun,
    run_matrix_case,
    running_shims,
    scenario_counts,
)
from reliability_matrix import TAGS, FaultCase, Kind, generate_cases  # noqa: E402


def run_one(
    case: FaultCase, agent_urls: dict[str, str], counts: dict[str | None, int], root: Path
) -> CaseRun:
    workdir = root / f"case-{case.index:04d}"
    workdir.mkdir()
    started = time.monotonic()
    try:
        return run_matrix_case(case, agent_urls=agent_urls, counts=counts, cwd=workdir)
    except subprocess.TimeoutExpired:
        problem = f"the CLI did not exit within {CLI_TIMEOUT_S:g} s (killed)"
        return CaseRun(case, -1, {}, None, "", time.monotonic() - started, [problem])


def classify(run: CaseRun) -> Counter[str]:
    """Problems by class: verdict mismatch, duplicate result, anything else."""
    classes: Counter[str] = Counter()
    for problem in run.problems:
        if problem.startswith("exit "):
            classes["verdict"] += 1
        elif problem.startswith("duplicate"):
            classes["duplicate"] += 1
        else:
            classes["other"] += 1
    return classes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60, help="cases to run (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--max-delay", type=float, default=8.0, help="budget of added delay per case, s"
    )
    parser.add_argument("--max-extra-faults", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    parser.add_argument("--show", type=int, default=20, help="failing cases to describe")
    args = parser.parse_args()

    counts = scenario_counts(TAGS)
    cases = generate_cases(
        args.seed,
        args.cases,
        scenario_counts=counts,
        max_extra_faults=args.max_extra_faults,
        max_delay_s=args.max_delay,
    )
    print(f"soak: {len(cases)} cases, seed {args.seed}, {args.jobs} at a time", flush=True)
    started = time.monotonic()
    with running_shims("booking", "echo") as agent_urls, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            runs = list(pool.map(lambda case: run_one(case, agent_urls, counts, root), cases))
    wall_s = time.monotonic() - started

    failing = [run for run in runs if run.problems]
    for run in failing[: args.show]:
        print(f"FAIL {run.case.case_id}")
        for problem in run.problems:
            print(f"     {problem}")

    totals: Counter[str] = Counter()
    for run in runs:
        totals.update(classify(run))
    faults = sum(run.faults_injected for run in runs)
    fired_kinds: Counter[str] = Counter()
    for run in runs:
        for spec, n in run.stats.get("faults_fired", {}).items():
            fired_kinds[_action(spec)] += n
    print()
    print(f"{'cases':>8} {'faults':>8} {'verdict':>8} {'dupes':>8} {'other':>8} {'wall s':>8}")
    print(
        f"{len(runs):>8} {faults:>8} {totals['verdict']:>8} {totals['duplicate']:>8} "
        f"{totals['other']:>8} {wall_s:>8.1f}"
    )
    print()
    print(f"{'primary kind':<22} {'cases':>6} {'failing':>8} {'mean s':>7}")
    for kind in Kind:
        of_kind = [run for run in runs if run.case.kind is kind]
        if of_kind:
            mean = sum(run.elapsed_s for run in of_kind) / len(of_kind)
            bad = sum(1 for run in of_kind if run.problems)
            print(f"{kind.value:<22} {len(of_kind):>6} {bad:>8} {mean:>7.2f}")
    print()
    print(
        "faults fired by action: " + ", ".join(f"{k} {n}" for k, n in sorted(fired_kinds.items()))
    )
    exits = Counter(run.exit_code for run in runs)
    print("exit codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(exits.items())))
    print(f"failing cases: {len(failing)} of {len(runs)}")
    return 1 if failing else 0


def _action(spec: str) -> str:
    """``GET results:503:times=1`` -> ``503``; ``runs:error:nth=2`` -> ``runs:error``."""
    head, _, rest = spec.partition(":")
    action = rest.split(":", 1)[0]
    return f"{head}:{action}" if " " not in head else action


if __name__ == "__main__":
    sys.exit(main())
