"""``cekura run --suite FILE --dry-run``: the service's plan on the terminal and as JSON.

The service validates and prices the posted spec (``?dry_run=true``) and charges
nothing. Shown: each test case (key, name, runs, tags), the total runs and the estimated
cost *as the service states it* (its amount, and its unit when it names one). The plan
is service text: every value is cleaned before it is printed or written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cekura_cli.reporting._text import clean
from cekura_cli.suite.model import SuiteCase, SuiteFile

if TYPE_CHECKING:
    from cekura_cli.ui import Ui

UNIT_KEYS = ("estimated_cost_unit", "cost_unit", "currency", "unit")


def _plan(answer: Mapping[str, Any]) -> Mapping[str, Any]:
    plan = answer.get("plan")
    return plan if isinstance(plan, dict) else {}


def cost_of(answer: Mapping[str, Any]) -> tuple[Any, str | None]:
    """(amount, unit) as the service states them; unit None when it names none."""
    plan = _plan(answer)
    amount = plan.get("estimated_cost")
    unit = next((plan[k] for k in UNIT_KEYS if isinstance(plan.get(k), str) and plan[k]), None)
    if isinstance(amount, dict):  # {"amount": 0.35, "currency": "USD"}-style
        unit = unit or next((amount[k] for k in UNIT_KEYS if isinstance(amount.get(k), str)), None)
        amount = amount.get("amount", amount.get("value"))
    return amount, (_flat(unit) if unit else None)


def _cost_text(answer: Mapping[str, Any]) -> str:
    amount, unit = cost_of(answer)
    if amount is None:
        return "not stated by the service"
    return _flat(f"{amount} {unit}" if unit else f"{amount}")


def plan_cases(answer: Mapping[str, Any], cases: Sequence[SuiteCase]) -> list[dict[str, Any]]:
    """One entry per posted case: the file's view joined with the service's plan entry."""
    planned = [s for s in _plan(answer).get("scenarios") or [] if isinstance(s, dict)]
    rows = []
    for position, case in enumerate(cases):
        entry = planned[position] if position < len(planned) else {}
        frequency = entry.get("frequency", case.frequency)
        rows.append(
            {
                "index": case.index,
                "line": case.line,
                "case_key": case.key,
                "name": case.name,
                "runs": frequency if isinstance(frequency, int) else case.frequency,
                "tags": list(case.tags),
                "metric_ids": [m for m in entry.get("metric_ids") or [] if isinstance(m, int)],
            }
        )
    return rows


def total_runs_of(answer: Mapping[str, Any], cases: Sequence[SuiteCase]) -> int:
    stated = _plan(answer).get("total_runs")
    if isinstance(stated, int) and not isinstance(stated, bool):
        return stated
    return sum(row["runs"] for row in plan_cases(answer, cases))


def plan_document(
    answer: Mapping[str, Any], suite: SuiteFile, cases: Sequence[SuiteCase]
) -> dict[str, Any]:
    amount, unit = cost_of(answer)
    return {
        "dry_run": True,
        "valid": True,
        "file": suite.file,
        "suite_name": clean(suite.name) if suite.name else None,
        "test_cases": [
            {**row, "name": clean(row["name"]), "tags": [clean(t) for t in row["tags"]]}
            for row in plan_cases(answer, cases)
        ],
        "test_case_count": len(cases),
        "total_runs": total_runs_of(answer, cases),
        "estimated_cost": amount if isinstance(amount, (int, float)) else None,
        "cost_unit": unit,
        "charged": False,
    }


def render_plan(
    answer: Mapping[str, Any], suite: SuiteFile, cases: Sequence[SuiteCase], *, ui: Ui
) -> None:
    from rich.table import Table

    table = Table(
        title=f"Would run {_count(len(cases))} from {clean(suite.file)}", title_justify="left"
    )
    table.add_column("key")
    table.add_column("test case")
    table.add_column("runs", justify="right")
    table.add_column("tags")
    for row in plan_cases(answer, cases):
        table.add_row(
            _flat(row["case_key"] or "—"),
            _flat(row["name"]),
            str(row["runs"]),
            _flat(", ".join(row["tags"])),
        )
    ui.console.print(table, markup=False, highlight=False)
    runs = _count(total_runs_of(answer, cases), "run")
    ui.info(
        f"cekura: dry run: valid; {_count(len(cases))}, {runs}, "
        f"estimated cost {_cost_text(answer)}; nothing was started or charged"
    )


def _count(number: int, noun: str = "test case") -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _flat(text: object) -> str:
    """Cleaned and on one line: nothing from the file or the service starts a line."""
    return " ".join(clean(str(text)).split())
