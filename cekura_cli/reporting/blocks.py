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

Lines are built from :func:`~cekura_cli.reporting._text.clean`-ed strings and handed to
rich as plain segments: no service text is parsed as markup or reaches the terminal as
an escape sequence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from cekura_cli.orchestration.reason_cut import cut_reason
from cekura_cli.reporting._text import clean, one_line, reason_text
from cekura_cli.reporting.model import Outcome, RunReport
from cekura_cli.wording import count

if TYPE_CHECKING:
    from rich.console import Console
    from rich.segment import Segment
    from rich.style import Style

NARROW_BELOW = 120
"""Terminals narrower than this get blocks; the table needs about 120 columns."""
BLOCK_REASON_LIMIT = 300
"""Characters of a reason in a block (four lines at 80 columns), as in the table."""
INDENT = "  "

OUTCOME_LABELS = {
    Outcome.ERROR: ("ERROR", "bold yellow"),
    Outcome.FAILED: ("FAIL", "bold red"),
    Outcome.PASSED: ("PASS", "green"),
    Outcome.SKIPPED: ("SKIP", "dim"),
}
_LABEL_WIDTH = max(len(label) for label, _ in OUTCOME_LABELS.values())


def is_narrow(width: int) -> bool:
    return width < NARROW_BELOW


def render_blocks(runs: Sequence[RunReport], console: Console) -> None:
    """One block per run that did not pass (in the given order), then one line of passes."""
    lines = _Lines()
    passed = 0
    for run in runs:
        if run.outcome is Outcome.PASSED:
            passed += 1
            continue
        _add_block(lines, run, console)
    if passed:
        label, style = OUTCOME_LABELS[Outcome.PASSED]
        lines.add((label.ljust(_LABEL_WIDTH), style), (f"  {count(passed, 'run')} passed", ""))
    if lines.lines:
        console.print(lines, soft_wrap=True)


class _Lines:
    """Finished lines of (text, style) parts, handed to rich as segments.

    The text is cleaned and wrapped here already, so rich has nothing left to parse,
    wrap or crop: for a big result this renders several times faster than one big
    :class:`~rich.text.Text` (``benchmarks/terminal_bench.py``).
    """

    def __init__(self) -> None:
        self.lines: list[tuple[tuple[str, str], ...]] = []

    def add(self, *parts: tuple[str, str]) -> None:
        self.lines.append(parts)

    def __rich_console__(self, console: Console, options: object) -> Iterator[Segment]:
        from rich.segment import Segment

        newline = Segment.line()
        styles: dict[str, Style | None] = {"": None}
        for parts in self.lines:
            for text, style in parts:
                if style not in styles:
                    styles[style] = console.get_style(style)
                yield Segment(text, styles[style])
            yield newline


def _add_block(lines: _Lines, run: RunReport, console: Console) -> None:
    label, style = OUTCOME_LABELS[run.outcome]
    status = one_line(run.status)
    header = [(label.ljust(_LABEL_WIDTH), style), (f"  {one_line(run.case_name)}", "bold")]
    if status and status != "completed":
        header.append((f" ({status})", ""))
    lines.add(*header)
    reason = one_line(reason_text(run))
    if reason:
        for line in _wrap(cut_reason(reason, BLOCK_REASON_LIMIT), console):
            lines.add((INDENT + line, ""))
    link = clean(run.url).strip()
    if link:
        lines.add((INDENT + link, "dim"))


def _wrap(text: str, console: Console) -> list[str]:
    """``text`` wrapped to the console's width less the indent; long words are folded.

    ASCII text (nearly every reason) takes one cell per character, so the standard
    library wraps it, about 10x faster than rich; anything else is measured in cells.
    """
    width = max(console.width - len(INDENT), 20)
    if text.isascii():
        import textwrap

        return textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    from rich.text import Text

    return [line.plain.rstrip() for line in Text(text).wrap(console, width, overflow="fold")]
