"""The human summary on the terminal (stderr): the runs, then the verdict, last.

Runs come failures first. Below :data:`~cekura_cli.reporting.blocks.NARROW_BELOW`
columns they are pytest-style blocks (:mod:`.blocks`); on wider terminals one of two
table layouts:

- up to :data:`FULL_TABLE_MAX_RUNS` runs: a rich :class:`~rich.table.Table` of every
  run, scenario and reason wrapped, links kept whole when the terminal is wide enough;
- bigger results: every failing run on one line, passes folded into a count. The
  header is a rich table with fixed column widths; the rows are fitted to the same
  widths here, because rich renders a table row in about 0.7 ms: 3.5 s for 5,000
  failing runs, against 0.1 s this way (``benchmarks/report_bench.py``). The link comes
  last and is never cut, so it stays clickable (the terminal wraps it if it must).

After a timeout or an interrupt, runs the stop cut short (still pending, or cancelled by
the ``end_calls`` we sent) are counted in one line, not listed one by one: a 9,000-run
job stopped early would otherwise print 9,000 ``ERROR cancelled`` rows. Only the
runs that finished are listed; the JSON report still has every run.

Reasons are cut with :func:`~cekura_cli.orchestration.reason_cut.cut_reason`: the quoted
agent reply is shortened before the explanation.

Cells are :class:`rich.text.Text` built from cleaned strings: service text is never
parsed as console markup and cannot carry terminal escape sequences. Colour is the
console's decision (``NO_COLOR``, not a TTY, ``--color``): nothing here forces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cekura_cli.orchestration.reason_cut import cut_reason
from cekura_cli.reporting._text import (
    ELLIPSIS,
    clean,
    format_elapsed,
    one_line,
    reason_text,
    verdict_line,
)
from cekura_cli.reporting.blocks import OUTCOME_LABELS, is_narrow, render_blocks
from cekura_cli.reporting.model import Outcome, ResultReport, RunReport, Verdict
from cekura_cli.wording import count

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

FULL_TABLE_MAX_RUNS = 200
REASON_LIMIT = 300
"""Characters of a reason shown in the table; the JSON report has the full text."""

_OTHER_COLUMNS_MIN_WIDTH = 70
"""Room the other columns need beside a whole link (min_width would make rich crop rows)."""

_OUTCOME_CELL = OUTCOME_LABELS
FINISHED_STATUSES = frozenset({"completed", "failed", "timeout"})
"""Run statuses that mean the run ended by itself (``cancelled`` may be our end_calls)."""
_COLUMNS = ("outcome", "scenario", "status", "reason", "link")
_GAP = "   "  # right padding + the (blank) column separator + left padding
_Row = tuple[Outcome, str, str, str, str]


def render_summary(report: ResultReport, console: Console) -> None:
    """Print the runs, any timeout/interrupt lines and notes, and the verdict line last."""
    from rich.text import Text

    runs, cut_short = split_cut_short(report)
    if not runs:
        if not cut_short:
            console.print(Text("No runs in this result."))
    elif is_narrow(console.width):
        render_blocks(runs, console)
    elif len(runs) > FULL_TABLE_MAX_RUNS:
        _print_compact(runs, report.result_url, console)
    else:
        console.print(_full_table(runs, width=console.width))
    elapsed = f" after {format_elapsed(report.elapsed_s)}" if report.elapsed_s is not None else ""
    stopped = []
    if report.timed_out:
        stopped.append(f"Timed out{elapsed} before the result finished")
    if report.interrupted:
        stopped.append(f"Interrupted{elapsed} before the result finished")
    if stopped and cut_short:
        stopped[-1] += f": {count(cut_short, 'run')} cut short (not listed)"
    for line in stopped:
        console.print(Text(line + "."), style="yellow", soft_wrap=True)
    for note in report.notes:
        console.print(Text(f"note: {one_line(note)}"), soft_wrap=True, highlight=False)
    line = verdict_line(report)
    style = "bold green" if report.verdict is Verdict.PASSED else "bold red"
    verdict = Text(line, style=style)
    verdict.append(f" — {clean(report.result_url)}", style="")
    console.print(verdict, soft_wrap=True, highlight=False)


def split_cut_short(report: ResultReport) -> tuple[list[RunReport], int]:
    """(runs to list, failures first; how many runs the timeout or interrupt cut short).

    Only a stopped report has runs cut short: those not in a :data:`FINISHED_STATUSES`
    state (pending, running, or cancelled by our ``end_calls``). Pure.
    """
    ordered = report.failures_first()
    if not (report.timed_out or report.interrupted):
        return ordered, 0
    listed = [run for run in ordered if run.status in FINISHED_STATUSES]
    return listed, len(ordered) - len(listed)


def _cells(run: RunReport) -> _Row:
    return (
        run.outcome,
        one_line(run.case_name),
        one_line(run.status),
        cut_reason(one_line(reason_text(run)), REASON_LIMIT),
        clean(run.url),
    )


def _links_fit(rows: list[_Row], width: int) -> bool:
    """Whether the longest link fits beside the other columns."""
    return width >= _OTHER_COLUMNS_MIN_WIDTH + max((len(row[4]) for row in rows), default=0)


def _table(widths: list[int] | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    for index, name in enumerate(_COLUMNS):
        table.add_column(name, width=widths[index] if widths else None)
    return table


def _full_table(runs: Sequence[RunReport], *, width: int) -> Table:
    """Every run; scenario and reason wrap, links stay whole when they fit."""
    from rich.text import Text

    rows = [_cells(run) for run in runs]
    table = _table()
    outcome, scenario, status, reason, link = table.columns
    outcome.no_wrap = status.no_wrap = True
    scenario.overflow = reason.overflow = link.overflow = "fold"
    # A folded URL cannot be clicked or copied; on a narrow terminal folding still
    # beats cutting it.
    link.no_wrap = _links_fit(rows, width)
    for kind, *texts in rows:
        label, style = _OUTCOME_CELL[kind]
        table.add_row(Text(label, style=style), *(Text(text) for text in texts))
    return table


def _print_compact(runs: Sequence[RunReport], result_url: str, console: Console) -> None:
    """Failing runs one per line under a fixed-width header; passes as one count line."""
    from rich.text import Text

    rows: list[_Row] = []
    passed = 0
    for run in runs:
        if run.outcome is Outcome.PASSED:
            passed += 1
        else:
            rows.append(_cells(run))
    summary_row: _Row | None = None
    if passed:
        summary_row = (
            Outcome.PASSED,
            f"{ELLIPSIS} {count(passed, 'passed run')} not listed",
            "",
            "see the JSON report or the dashboard",
            clean(result_url),
        )
    widths = _compact_widths(rows + ([summary_row] if summary_row else []), console.width)
    console.print(_table(widths))
    body = Text()
    for row in rows:
        _append_line(body, row, widths)
    if summary_row:
        _append_line(body, summary_row, widths, style="dim")
    body.right_crop(1)  # the last newline: print adds its own
    console.print(body, soft_wrap=True)


def _append_line(body: Text, row: _Row, widths: list[int], *, style: str = "") -> None:
    kind, scenario, status, reason, link = row
    label, label_style = _OUTCOME_CELL[kind]
    body.append(_fit(label, widths[0]), style=label_style)
    cells = (_fit(scenario, widths[1]), _fit(status, widths[2]), _fit(reason, widths[3]))
    line = _GAP + _GAP.join(cells) + (_GAP + link if link else "")
    body.append(line.rstrip() + "\n", style=style)


def _fit(text: str, width: int) -> str:
    """``text`` padded or cut (with ``…``) to exactly ``width`` terminal cells."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + ELLIPSIS


def _compact_widths(rows: list[_Row], width: int) -> list[int]:
    """Column widths for the one-line layout, from the longest cells and the terminal."""
    from rich.cells import cell_len

    outcome = len("outcome")
    status = max(min(max((len(row[2]) for row in rows), default=0), 12), len("status"))
    gaps = len(_GAP) * (len(_COLUMNS) - 1)
    if _links_fit(rows, width):
        link = max((len(row[4]) for row in rows), default=0)
    else:  # half of what is left; the row's link runs on and the terminal wraps it
        link = (width - gaps - outcome - status) // 2
    link = max(link, len("link"))
    room = max(width - gaps - outcome - status - link, 24)
    longest_name = max((cell_len(row[1]) for row in rows), default=0)
    scenario = min(max(longest_name, 12), max(room * 2 // 5, 12))
    reason = max(room - scenario, 12)
    return [outcome, scenario, status, reason, link]
