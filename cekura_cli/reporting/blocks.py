"""The narrow-terminal summary: pytest-style blocks instead of a table (PRODUCT.md §13).

Below :data:`NARROW_BELOW` columns a five-column table leaves the reason and the link
about 18 columns each: links break over lines (they cannot be clicked or copied) and a
30-run result scrolls its failures away. So each run that did not pass gets a block::

    FAIL  Books an appointment for tomorrow
      turn 1: reply contains 'booked': expected the reply to turn 1 ('I'd like to
      book…') to contain 'booked'; the agent said: 'You said: I'd like to book an…'
      http://127.0.0.1:41713/1/results/1?runId=1002

- the outcome and the case name (``(timeout)``, ``(cancelled)``… when the status is
  not ``completed``);
- the reason wrapped to the whole width, indented;
- the link alone on its own line, never broken (printed with soft wrap: a terminal
  narrower than the link wraps it as one logical line, which stays clickable and
  copyable);

and every passing run is summed in one line (``PASS  27 runs passed``). The verdict
comes after this, printed by :mod:`.console`.

Cells are built from :func:`~cekura_cli.reporting._text.clean`-ed strings into
:class:`rich.text.Text`: no service text is parsed as markup or reaches the terminal as
an escape sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cekura_cli.orchestration.reason_cut import cut_reason
from cekura_cli.reporting._text import clean, one_line, reason_text
from cekura_cli.reporting.model import Outcome, RunReport
from cekura_cli.wording import count

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

NARROW_BELOW = 120
"""Terminals narrower than this get blocks; the table needs about 120 columns."""
BLOCK_REASON_LIMIT = 300
"""Characters of a reason in a block (four lines at 80 columns), as in the table."""
INDENT = "  "

OUTCOME_LABELS = {
    Outcome.ERROR: ("ERROR", "bold yellow"),
    Outcome.FAILED: ("FAIL", "bold red"),
    Outcome.PASSED: ("PASS", "green"),
}
_LABEL_WIDTH = max(len(label) for label, _ in OUTCOME_LABELS.values())


def is_narrow(width: int) -> bool:
    return width < NARROW_BELOW


def render_blocks(runs: Sequence[RunReport], console: Console) -> None:
    """One block per run that did not pass (in the given order), then one line of passes."""
    from rich.text import Text

    body = Text()
    passed = 0
    for run in runs:
        if run.outcome is Outcome.PASSED:
            passed += 1
            continue
        _append_block(body, run, console)
    if passed:
        label, style = OUTCOME_LABELS[Outcome.PASSED]
        body.append(label.ljust(_LABEL_WIDTH), style=style)
        body.append(f"  {count(passed, 'run')} passed\n")
    if body:
        body.right_crop(1)  # the last newline: print adds its own
        console.print(body, soft_wrap=True, highlight=False)


def _append_block(body: Text, run: RunReport, console: Console) -> None:
    label, style = OUTCOME_LABELS[run.outcome]
    body.append(label.ljust(_LABEL_WIDTH), style=style)
    body.append(f"  {one_line(run.case_name)}", style="bold")
    status = one_line(run.status)
    if status and status != "completed":
        body.append(f" ({status})")
    body.append("\n")
    reason = one_line(reason_text(run))
    if reason:
        for line in _wrap(cut_reason(reason, BLOCK_REASON_LIMIT), console):
            line.rstrip()
            body.append(INDENT)
            body.append_text(line)
            body.append("\n")
    link = clean(run.url).strip()
    if link:
        body.append(INDENT + link + "\n", style="dim")


def _wrap(text: str, console: Console) -> list[Text]:
    """``text`` wrapped to the console's width less the indent; long words are folded."""
    from rich.text import Text

    width = max(console.width - len(INDENT), 20)
    return list(Text(text).wrap(console, width, overflow="fold"))
