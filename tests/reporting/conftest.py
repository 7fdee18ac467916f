"""Shared sample reports for the reporter tests.

Exposed as fixtures only: tests directories have no ``__init__.py``, so importing a
helper module (or this conftest) by name could pick up another area's file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cekura_cli.redact import forget_secrets
from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict

GOLDEN_DIR = Path(__file__).parent / "golden"
DASHBOARD = "https://dashboard.cekura.ai/7/results/123"


def make_run(run_id: int, outcome: Outcome, **overrides: object) -> RunReport:
    fields: dict[str, object] = {
        "run_id": run_id,
        "scenario_id": 1000 + run_id,
        "scenario_name": f"scenario {run_id}",
        "case_name": f"scenario {run_id}",
        "status": "completed",
        "success": outcome is Outcome.PASSED,
        "outcome": outcome,
        "reason": None,
        "transcript": f"Testing Agent: hello {run_id}\nMain Agent: hi",
        "url": f"{DASHBOARD}?run={run_id}",
        "duration_s": 1.5,
    }
    fields.update(overrides)
    return RunReport(**fields)  # type: ignore[arg-type]


def make_report(runs: list[RunReport], **overrides: object) -> ResultReport:
    passed = sum(run.outcome is Outcome.PASSED for run in runs)
    failed = sum(run.outcome is Outcome.FAILED for run in runs)
    errored = sum(run.outcome is Outcome.ERROR for run in runs)
    total = len(runs)
    rate = passed / total if total else 0.0
    fields: dict[str, object] = {
        "result_id": 123,
        "result_url": DASHBOARD,
        "name": "PR #42 main@abc1234",
        "status": "completed",
        "verdict": Verdict.PASSED if total and passed == total else Verdict.FAILED,
        "exit_code": 0 if total and passed == total else 1,
        "counts": Counts(total=total, passed=passed, failed=failed, errored=errored),
        "pass_rate": rate,
        "min_pass_rate": 1.0,
        "runs": tuple(runs),
        "elapsed_s": 72.34567,
        "agent_id": 7,
    }
    fields.update(overrides)
    return ResultReport(**fields)  # type: ignore[arg-type]


def representative_runs() -> list[RunReport]:
    """Passed, failed, error, repeats, unicode, XML-hostile characters, a ``|`` in a reason."""
    return [
        make_run(
            274,
            Outcome.PASSED,
            scenario_name="Book a table",
            case_name="Book a table #1",
            transcript="Testing Agent: Table for 2?\nMain Agent: Booked ✅",
            duration_s=12.3456,
        ),
        make_run(
            275,
            Outcome.FAILED,
            scenario_name="Book a table",
            case_name="Book a table #2",
            reason="Expected outcome: agent confirms the time | got: no confirmation",
            transcript="Testing Agent: 7pm?\r\nMain Agent: <maybe> & \"later\" ]]> 'ok'",
        ),
        make_run(
            276,
            Outcome.ERROR,
            scenario_name="Réservation — café ☕",
            case_name="Réservation — café ☕",
            status="timeout",
            success=None,
            reason="Connection to wss://agent.example/ws failed: timed out\nafter 30s",
            transcript=None,
            duration_s=None,
        ),
        make_run(
            277,
            Outcome.FAILED,
            scenario_name="Hostile \x00\x1b[31mred\x1b[0m\x07 name, with: colons",
            case_name="Hostile \x00\x1b[31mred\x1b[0m\x07 name, with: colons",
            reason="Metric 'politeness' failed: 100% rude\x0b\ufffe\ud800 [bold]not markup[/bold]",
            transcript="Main Agent: \x01control\x1f chars and a lone surrogate \udc80 end",
            url=None,
        ),
        make_run(278, Outcome.PASSED, scenario_id=None, transcript="", duration_s=0.0),
    ]


@pytest.fixture
def representative_report() -> ResultReport:
    return make_report(
        representative_runs(),
        notes=("1 run had not finished when we stopped waiting",),
    )


@pytest.fixture(scope="session")
def make_run_report() -> Callable[..., RunReport]:
    return make_run


@pytest.fixture(scope="session")
def make_result_report() -> Callable[..., ResultReport]:
    return make_report


@pytest.fixture(scope="session")
def golden() -> Callable[[str, str], None]:
    return assert_golden


@pytest.fixture(autouse=True)
def _no_secrets() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def assert_golden(name: str, actual: str) -> None:
    """Compare with tests/reporting/golden/<name>; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8", "backslashreplace"))
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 to refresh)"
