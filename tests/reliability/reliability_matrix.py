"""The seeded fault matrix: fault plans for the sandbox, and what the CLI must do under each.

Shared by ``test_fault_matrix.py`` (a dozen cases in the suite) and
``benchmarks/soak_faults.py`` (as many as asked). Pure: no I/O, no clock. A
:class:`FaultCase` is a list of sandbox fault specs (``cekura_cli/sandbox/faults.py``),
the agent the sandbox talks to (``booking`` passes everything, ``echo`` fails
everything) and a tag selection; :func:`expected_outcome` says what ``cekura run`` must
answer, and :func:`check_case` lists every way an observed run differs from it.

Why the plans look the way they do:

- GET faults (results, runs_bulk, scenarios, agent) are transient and bounded (``times``,
  ``nth`` or a ``rate`` of at most 0.3), and no endpoint is given more than
  :data:`MAX_CONSECUTIVE_FAILURES` failures in a row, so the client's six attempts
  always get through: the verdict must be the agent's, never exit 3.
- The start POST is retried only when the service certainly did not act on it. A 429
  is such an answer; a dropped connection or a 5xx after the request was sent is
  not (the client cannot tell ``drop`` from ``drop_after_read``), so those cases must
  end in exit 3 with no second POST: 0 results for ``drop``, 1 for ``drop_after_read``.
- ``runs:error`` fails exactly one run with an infrastructure error: it counts as
  ``errored`` and the verdict is failed whatever the agent.
- Every case's first fault is its *primary* kind, dealt from a deck of every kind
  shuffled anew each round, so each block of :data:`KINDS_COUNT` cases (the first, the
  next…) covers every kind.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

MAX_CONSECUTIVE_FAILURES = 3
"""Failures in a row one endpoint may see (the client makes 6 attempts)."""

GET_ENDPOINTS = ("results", "runs_bulk", "scenarios", "agent")
SERVER_ERRORS = (500, 502, 503, 504)
AGENTS = ("booking", "booking", "echo")  # two thirds passing runs
TAGS: tuple[str | None, ...] = ("critical", "smoke-test", None)
BACKOFF_BOUNDS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Upper bounds of the client's waits after failures 1, 2, 3… (RetryPolicy defaults)."""


class Kind(str, Enum):
    """The primary fault of a case."""

    THROTTLED = "429"
    SERVER_ERROR = "5xx"
    MALFORMED = "malformed"
    DROPPED = "drop"
    SLOW = "slow"
    START_THROTTLED = "post-429"
    START_DROPPED = "post-drop"
    START_SERVER_ERROR = "post-5xx"
    START_DROPPED_AFTER_READ = "post-drop-after-read"
    RUN_ERROR = "runs-error"
    SLOW_RESULTS = "slow-results"


KINDS_COUNT = len(Kind)


class StartFate(str, Enum):
    """What the plan does to the start POST, seen from the client."""

    ANSWERED = "answered"  # possibly after 429s: one result, the run goes on
    LOST_BEFORE_ACTING = "lost-before-acting"  # dropped or 5xx: exit 3, no result
    LOST_AFTER_ACTING = "lost-after-acting"  # drop_after_read: exit 3, one result


@dataclass(frozen=True)
class FaultCase:
    index: int
    seed: int
    agent: str
    tag: str | None
    kind: Kind
    faults: tuple[str, ...]
    run_errors: int = 0
    start: StartFate = StartFate.ANSWERED
    estimated_delay_s: float = 0.0
    """Worst-case time the faults add (retry waits, slow answers): the generator's budget."""

    @property
    def primary(self) -> str:
        return self.faults[0]

    @property
    def case_id(self) -> str:
        return f"c{self.index:02d}-{self.agent}-{self.tag or 'all'}[{' | '.join(self.faults)}]"

    def cli_args(self, json_path: str) -> list[str]:
        tag = ["--tag", self.tag] if self.tag else ["--all"]
        return ["run", *tag, "--json", json_path]


@dataclass(frozen=True)
class Expected:
    exit_code: int
    results_created: int
    counts: Mapping[str, int] | None = None
    """The JSON report's counts; None when no report can be written (exit 3)."""


# --- generation ----------------------------------------------------------------------


@dataclass
class _Budget:
    """Consecutive failures and estimated delay per endpoint while a plan is built."""

    failures: dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0

    def fits(self, endpoint: str, failures: int, *, limit: int) -> bool:
        return self.failures.get(endpoint, 0) + failures <= limit

    def add(self, endpoint: str, failures: int, *, retry_after_s: float | None = None) -> None:
        before = self.failures.get(endpoint, 0)
        self.failures[endpoint] = before + failures
        for attempt in range(before, before + failures):
            wait = retry_after_s if retry_after_s is not None else BACKOFF_BOUNDS_S[attempt]
            self.delay_s += wait


def _trigger(rng: random.Random, endpoint: str, *, primary: bool) -> tuple[str, int]:
    """A trigger that lets retries succeed, and the failures in a row it can cause."""
    if primary or endpoint != "results":
        times = rng.choice((1, 1, 2))
        return f"times={times}", times
    choice = rng.random()
    if choice < 0.4:
        nth = rng.choice((1, 2))
        return f"nth={nth}", 1
    if choice < 0.7:
        rate = rng.choice((0.2, 0.25, 0.3))
        return f"rate={rate}", MAX_CONSECUTIVE_FAILURES  # counted as the whole allowance
    times = rng.choice((1, 2))
    return f"times={times}", times


def _get_fault(rng: random.Random, kind: Kind, budget: _Budget, *, primary: bool) -> str | None:
    """One GET fault of ``kind`` on a random endpoint that fits the budget, or None."""
    endpoint = rng.choice(GET_ENDPOINTS)
    if kind is Kind.SLOW:
        delay = rng.choice((0.2, 0.3, 0.5, 1.0))
        trigger, count = _trigger(rng, endpoint, primary=primary)
        budget.delay_s += delay * count
        return f"GET {endpoint}:slow:delay={delay}:{trigger}"
    trigger, failures = _trigger(rng, endpoint, primary=primary)
    if not budget.fits(endpoint, failures, limit=MAX_CONSECUTIVE_FAILURES):
        return None
    if kind is Kind.THROTTLED:
        retry_after = rng.choice((0, 1))
        budget.add(endpoint, failures, retry_after_s=float(retry_after))
        return f"GET {endpoint}:429:{trigger}:retry_after={retry_after}"
    budget.add(endpoint, failures)
    if kind is Kind.SERVER_ERROR:
        return f"GET {endpoint}:{rng.choice(SERVER_ERRORS)}:{trigger}"
    if kind is Kind.MALFORMED:
        return f"GET {endpoint}:malformed:{trigger}"
    return f"GET {endpoint}:drop:{trigger}"


_GET_KINDS = (Kind.THROTTLED, Kind.SERVER_ERROR, Kind.MALFORMED, Kind.DROPPED, Kind.SLOW)


def _primary(
    rng: random.Random, kind: Kind, budget: _Budget, scenario_counts: Mapping[str | None, int]
) -> tuple[str, dict[str, Any]]:
    """The case's primary fault spec and what it changes in the expectation."""
    if kind in _GET_KINDS:
        spec = _get_fault(rng, kind, budget, primary=True)
        assert spec is not None  # an empty budget always fits a primary fault
        return spec, {}
    if kind is Kind.START_THROTTLED:
        times, retry_after = rng.choice((1, 1, 2)), rng.choice((0, 1))
        budget.add("run", times, retry_after_s=float(retry_after))
        return f"POST run:429:times={times}:retry_after={retry_after}", {}
    if kind is Kind.START_DROPPED:
        return "POST run:drop:times=1", {"start": StartFate.LOST_BEFORE_ACTING}
    if kind is Kind.START_SERVER_ERROR:
        status = rng.choice(SERVER_ERRORS)
        return f"POST run:{status}:times=1", {"start": StartFate.LOST_BEFORE_ACTING}
    if kind is Kind.START_DROPPED_AFTER_READ:
        return "POST run:drop_after_read:times=1", {"start": StartFate.LOST_AFTER_ACTING}
    if kind is Kind.RUN_ERROR:
        smallest = min(scenario_counts.values())
        trigger = rng.choice(("times=1", f"nth={rng.randint(1, smallest)}"))
        return f"runs:error:{trigger}", {"run_errors": 1}
    duration = rng.choice((1, 2))
    budget.delay_s += duration
    return f"results:slow:min_duration={duration}", {}


def generate_cases(
    seed: int,
    count: int,
    *,
    scenario_counts: Mapping[str | None, int],
    max_extra_faults: int = 2,
    max_delay_s: float = 3.0,
) -> list[FaultCase]:
    """``count`` cases from ``seed``; the same arguments always give the same cases.

    ``scenario_counts`` maps each tag of :data:`TAGS` to the scenarios it selects (the
    caller reads the suite; the generator does no I/O). Plans whose estimated added
    delay exceeds ``max_delay_s`` are drawn again, so the caller controls the run time.
    """
    rng = random.Random(seed)
    deck: list[Kind] = []
    cases = []
    for index in range(count):
        if not deck:
            deck = list(Kind)
            rng.shuffle(deck)
        kind = deck.pop()
        for _ in range(100):
            case = _draw_case(rng, index, kind, scenario_counts, max_extra_faults)
            if case.estimated_delay_s <= max_delay_s:
                break
        else:  # pragma: no cover - the primary alone always fits a sane budget
            raise ValueError(f"no plan of kind {kind.value} fits {max_delay_s} s")
        cases.append(case)
    return cases


def _draw_case(
    rng: random.Random,
    index: int,
    kind: Kind,
    scenario_counts: Mapping[str | None, int],
    max_extra_faults: int,
) -> FaultCase:
    budget = _Budget()
    primary, effects = _primary(rng, kind, budget, scenario_counts)
    faults = [primary]
    for _ in range(rng.randint(0, max_extra_faults)):
        extra = _extra_fault(rng, budget, faults)
        if extra is not None and extra not in faults:
            faults.append(extra)
    run_errors = effects.get("run_errors", 0)
    if run_errors == 0 and any(f.startswith("runs:error") for f in faults):
        run_errors = 1
    return FaultCase(
        index=index,
        seed=rng.randrange(2**31),
        agent=rng.choice(AGENTS),
        tag=rng.choice(TAGS),
        kind=kind,
        faults=tuple(faults),
        run_errors=run_errors,
        start=effects.get("start", StartFate.ANSWERED),
        estimated_delay_s=round(budget.delay_s, 2),
    )


def _extra_fault(rng: random.Random, budget: _Budget, faults: Sequence[str]) -> str | None:
    """A secondary fault: another transient GET fault, a slow start POST, or a run error."""
    roll = rng.random()
    if roll < 0.1 and not any(f.startswith("runs:") for f in faults):
        return "runs:error:times=1"
    if roll < 0.2:
        return f"POST run:slow:delay={rng.choice((0.2, 0.5))}:times=1"
    return _get_fault(rng, rng.choice(_GET_KINDS), budget, primary=False)


# --- expectations ----------------------------------------------------------------------


def expected_outcome(case: FaultCase, scenario_count: int) -> Expected:
    """What ``cekura run`` must do under ``case`` with ``scenario_count`` selected scenarios."""
    if case.start is StartFate.LOST_BEFORE_ACTING:
        return Expected(exit_code=3, results_created=0)
    if case.start is StartFate.LOST_AFTER_ACTING:
        return Expected(exit_code=3, results_created=1)
    decided = scenario_count - case.run_errors
    passed = decided if case.agent == "booking" else 0
    counts = {
        "total": scenario_count,
        "passed": passed,
        "failed": decided - passed,
        "errored": case.run_errors,
    }
    exit_code = 0 if passed == scenario_count else 1
    return Expected(exit_code=exit_code, results_created=1, counts=counts)


def check_case(
    case: FaultCase,
    expected: Expected,
    *,
    exit_code: int,
    stats: Mapping[str, Any],
    report: Mapping[str, Any] | None,
    stderr: str,
) -> list[str]:
    """Every way the observed run differs from ``expected`` (empty: the case passed)."""
    problems = []
    if exit_code != expected.exit_code:
        tail = " / ".join(stderr.strip().splitlines()[-3:])
        problems.append(f"exit {exit_code}, expected {expected.exit_code} ({tail})")
    created = stats.get("results_created", 0)
    if created > 1:
        problems.append(f"duplicate results: {created} created")
    elif created != expected.results_created:
        problems.append(f"{created} results created, expected {expected.results_created}")
    fired = stats.get("faults_fired", {})
    if _counted(case.primary) and not fired.get(case.primary):
        problems.append(f"the primary fault {case.primary!r} never fired")
    if "Traceback" in stderr:
        problems.append("a traceback on stderr")
    if expected.counts is not None:
        if report is None:
            problems.append("no JSON report written")
        else:
            problems.extend(_report_problems(expected, report))
    return problems


def _counted(spec: str) -> bool:
    """Whether the sandbox counts ``spec`` in faults_fired (results:slow is a setting)."""
    return not spec.startswith("results:slow")


def _report_problems(expected: Expected, report: Mapping[str, Any]) -> list[str]:
    problems = []
    counts = {k: report.get("counts", {}).get(k) for k in ("total", "passed", "failed", "errored")}
    if counts != dict(expected.counts or {}):
        problems.append(f"report counts {counts}, expected {dict(expected.counts or {})}")
    verdict = "passed" if expected.exit_code == 0 else "failed"
    if report.get("verdict") != verdict:
        problems.append(f"report verdict {report.get('verdict')!r}, expected {verdict!r}")
    if report.get("exit_code") != expected.exit_code:
        shown = report.get("exit_code")
        problems.append(f"report exit_code {shown}, expected {expected.exit_code}")
    return problems
