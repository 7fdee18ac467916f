"""The seeded fault matrix: ``cekura run`` (the real process) against the sandbox with
combined faults on every endpoint it uses. Whatever the faults, the verdict is the
agent's (or exit 3 when the start request was lost), the JSON report's counts match the
agent, and one invocation creates at most one result.

The cases come from :func:`reliability_matrix.generate_cases` with a fixed seed; the
test id carries the plan, so a failure is reproduced with ``cekura sandbox serve
--fault …`` and the same flags. ``benchmarks/soak_faults.py`` runs many more.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_helpers import run_matrix_case, scenario_counts
from reliability_matrix import (
    GET_ENDPOINTS,
    KINDS_COUNT,
    TAGS,
    Expected,
    FaultCase,
    Kind,
    StartFate,
    check_case,
    expected_outcome,
    generate_cases,
)

SEED = 20240611
COUNTS = scenario_counts(TAGS)
CASES = generate_cases(SEED, 12, scenario_counts=COUNTS, max_delay_s=3.0)


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_faults_never_change_the_verdict_or_duplicate_the_result(
    case: FaultCase, agent_urls: dict[str, str], tmp_path: Path
) -> None:
    outcome = run_matrix_case(case, agent_urls=agent_urls, counts=COUNTS, cwd=tmp_path)
    assert outcome.problems == [], outcome.stderr
    if case.start is StartFate.ANSWERED:
        assert outcome.report is not None
        assert outcome.report["result_id"] >= 1


# --- the generator itself (pure, instant) --------------------------------------------------


def test_the_in_suite_cases_cover_every_fault_kind() -> None:
    assert len(CASES) >= KINDS_COUNT
    assert {case.kind for case in CASES} == set(Kind)
    assert {case.agent for case in CASES} == {"booking", "echo"}


def test_the_generator_is_deterministic_and_seed_dependent() -> None:
    again = generate_cases(SEED, len(CASES), scenario_counts=COUNTS, max_delay_s=3.0)
    assert [c.case_id for c in again] == [c.case_id for c in CASES]
    other = generate_cases(SEED + 1, len(CASES), scenario_counts=COUNTS, max_delay_s=3.0)
    assert [c.faults for c in other] != [c.faults for c in CASES]


def test_generated_plans_parse_and_leave_every_get_an_attempt_that_works() -> None:
    from cekura_cli.sandbox.faults import parse_fault_specs

    cases = generate_cases(1, 300, scenario_counts=COUNTS, max_delay_s=8.0)
    for case in cases:
        plan = parse_fault_specs(list(case.faults), seed=case.seed)  # the sandbox's parser
        assert case.estimated_delay_s <= 8.0
        for endpoint in GET_ENDPOINTS:  # six attempts, as the client makes
            answers = [plan.for_request("GET", endpoint, "/") for _ in range(6)]
            assert any(answer.action is None for answer in answers), (case.case_id, endpoint)
    full_decks = len(cases) - len(cases) % KINDS_COUNT
    for start in range(0, full_decks, KINDS_COUNT):
        assert {c.kind for c in cases[start : start + KINDS_COUNT]} == set(Kind)


@pytest.mark.parametrize(
    ("agent", "run_errors", "start", "exit_code", "created", "passed", "failed"),
    [
        ("booking", 0, StartFate.ANSWERED, 0, 1, 5, 0),
        ("echo", 0, StartFate.ANSWERED, 1, 1, 0, 5),
        ("booking", 1, StartFate.ANSWERED, 1, 1, 4, 0),
        ("echo", 1, StartFate.ANSWERED, 1, 1, 0, 4),
        ("booking", 0, StartFate.LOST_BEFORE_ACTING, 3, 0, None, None),
        ("booking", 0, StartFate.LOST_AFTER_ACTING, 3, 1, None, None),
    ],
)
def test_expected_outcome(
    agent: str,
    run_errors: int,
    start: StartFate,
    exit_code: int,
    created: int,
    passed: int | None,
    failed: int | None,
) -> None:
    case = FaultCase(0, 0, agent, None, Kind.SLOW, ("GET agent:slow",), run_errors, start)
    expected = expected_outcome(case, 5)
    assert (expected.exit_code, expected.results_created) == (exit_code, created)
    if passed is None:
        assert expected.counts is None
    else:
        assert expected.counts == {
            "total": 5,
            "passed": passed,
            "failed": failed,
            "errored": run_errors,
        }


def test_check_case_names_every_mismatch() -> None:
    case = FaultCase(3, 0, "booking", "critical", Kind.DROPPED, ("GET results:drop:times=1",))
    expected = Expected(0, 1, {"total": 3, "passed": 3, "failed": 0, "errored": 0})
    report = {
        "verdict": "failed",
        "exit_code": 1,
        "counts": {"total": 3, "passed": 2, "failed": 1, "errored": 0},
    }
    stats = {"results_created": 2, "faults_fired": {}}
    problems = check_case(
        case, expected, exit_code=1, stats=stats, report=report, stderr="Traceback (most…"
    )
    joined = "\n".join(problems)
    for needle in ("exit 1, expected 0", "duplicate", "never fired", "traceback", "counts"):
        assert needle in joined
    assert "report verdict 'failed', expected 'passed'" in joined
    clean = {"results_created": 1, "faults_fired": {case.primary: 1}}
    good = {**report, "verdict": "passed", "exit_code": 0, "counts": dict(expected.counts)}
    assert check_case(case, expected, exit_code=0, stats=clean, report=good, stderr="") == []
