"""The human form of a :class:`~cekura_cli.orchestration.compare.Comparison` (stderr)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cekura_cli.reporting._text import one_line

if TYPE_CHECKING:
    from rich.console import Console

    from cekura_cli.orchestration.compare import Comparison, Unit

SHOWN_PER_SECTION = 50


def comparison_lines(result: Comparison) -> list[str]:
    """Plain lines: one heading per non-empty section, then one line per unit."""
    lines = [
        f"compare: base result {result.base_result_id} -> new result {result.new_result_id}: "
        f"{len(result.newly_failing)} newly failing, {len(result.fixed)} fixed, "
        f"{len(result.still_failing)} still failing, {len(result.new)} new, "
        f"{len(result.gone)} gone, {len(result.passing)} still passing"
    ]
    sections: list[tuple[str, list[Unit]]] = [
        ("newly failing", result.newly_failing),
        ("fixed", result.fixed),
        ("still failing", result.still_failing),
        ("new", result.new),
        ("gone", result.gone),
    ]
    for title, units in sections:
        if not units:
            continue
        lines.append(f"{title} ({len(units)}):")
        for unit in units[:SHOWN_PER_SECTION]:
            state = " (failing)" if unit.failing and title in ("new", "gone") else ""
            lines.append(f"  {one_line(unit.key)}  {one_line(unit.name, 100)}{state}")
        if len(units) > SHOWN_PER_SECTION:
            lines.append(f"  … and {len(units) - SHOWN_PER_SECTION} more (see --json)")
    lines.append("REGRESSED: new failures" if result.regressed else "no new failures")
    return lines


def render_comparison(result: Comparison, console: Console) -> None:
    from rich.text import Text

    for line in comparison_lines(result):
        console.print(Text(line), soft_wrap=True, highlight=False)
