"""The human summary on the terminal (stderr): a table of runs, then the verdict.

Runs come failures first. Small results show every run with its reason wrapped;
results with more than :data:`FULL_TABLE_MAX_RUNS` runs show every failing run on one
line each (reason cut with ``…``) and fold the passes into a count, so a 5,000-run
result stays readable and renders quickly (rich spends most of its time wrapping).

All cells are :class:`rich.text.Text` built from cleaned strings: service text is
never parsed as console markup and cannot carry terminal escape sequences. Colour is
the console's decision (``NO_COLOR``, not a TTY, ``--color``): nothing here forces it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cekura_cli.reporting._text import (
    clean,
    format_elapsed,
    one_line,
    reason_text,
    verdict_line,
)
from cekura_cli.reporting.model import Outcome, ResultReport, RunReport, Verdict

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

FULL_TABLE_MAX_RUNS = 200
REASON_LIMIT = 300
"""Characters of a reason shown in the table; the JSON report has the full text."""

_OTHER_COLUMNS_MIN_WIDTH = 70
"""Room the other columns need beside a whole link (min_width would make rich crop rows)."""

_OUTCOME_CELL = {
    Outcome.ERROR: ("ERROR", "bold yellow"),
    Outcome.FAILED: ("FAIL", "bold red"),
    Outcome.PASSED: ("PASS", "green"),
}


def render_summary(report: ResultReport, console: Console) -> None:
    """Print the runs table, the verdict line, and any timeout/interrupt lines and notes."""
    from rich.text import Text

    if report.runs:
        console.print(_runs_table(report, width=console.width))
    else:
        console.print(Text("No runs in this result."))
    counts = report.counts
    line = verdict_line(
        verdict=report.verdict.value,
        passed=counts.passed,
        total=counts.total,
        pass_rate=report.pass_rate,
        min_pass_rate=report.min_pass_rate,
    )
    style = "bold green" if report.verdict is Verdict.PASSED else "bold red"
    verdict = Text(line, style=style)
    verdict.append(f" — {clean(report.result_url)}", style="")
    if counts.failed or counts.errored:
        verdict.append(f" ({counts.failed} failed, {counts.errored} errored)", style="")
    console.print(verdict, soft_wrap=True, highlight=False)
    elapsed = f" after {format_elapsed(report.elapsed_s)}" if report.elapsed_s is not None else ""
    if report.timed_out:
        console.print(
            Text(f"Timed out{elapsed} before the result finished; the remote calls were ended."),
            style="yellow",
            soft_wrap=True,
        )
    if report.interrupted:
        console.print(
            Text(f"Interrupted{elapsed} before the result finished; the remote calls were ended."),
            style="yellow",
            soft_wrap=True,
        )
    for note in report.notes:
        console.print(Text(f"note: {one_line(note)}"), soft_wrap=True, highlight=False)


def _runs_table(report: ResultReport, *, width: int) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    big = len(report.runs) > FULL_TABLE_MAX_RUNS
    # Big tables: one line per run. Wrapping is where rich spends its time, and a
    # one-line-per-run list is easier to scan in a CI log anyway.
    wrap = {"no_wrap": True, "overflow": "ellipsis"} if big else {"overflow": "fold"}
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("outcome", no_wrap=True)
    table.add_column("scenario", **wrap)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", **wrap)
    # Links stay whole when the terminal is wide enough: a folded URL cannot be clicked
    # or copied. On a narrow one they fold rather than get cut.
    longest_link = max((len(run.url or "") for run in report.runs), default=0)
    whole = width >= _OTHER_COLUMNS_MIN_WIDTH + longest_link
    table.add_column("link", no_wrap=whole, overflow="fold")

    passed_hidden = 0
    for run in report.failures_first():
        if big and run.outcome is Outcome.PASSED:
            passed_hidden += 1
            continue
        table.add_row(*_row(run, Text))
    if passed_hidden:
        label, style = _OUTCOME_CELL[Outcome.PASSED]
        table.add_row(
            Text(label, style=style),
            Text(f"… {passed_hidden:,} passed runs not listed", style="dim"),
            Text(""),
            Text("see the JSON report or the dashboard", style="dim"),
            Text(clean(report.result_url)),
        )
    return table


def _row(run: RunReport, text_type: type) -> tuple:
    label, style = _OUTCOME_CELL[run.outcome]
    return (
        text_type(label, style=style),
        text_type(one_line(run.case_name)),
        text_type(one_line(run.status)),
        text_type(one_line(reason_text(run), REASON_LIMIT)),
        text_type(clean(run.url)),
    )
