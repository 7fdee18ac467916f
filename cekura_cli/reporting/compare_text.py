"""The human form of a :class:`~cekura_cli.orchestration.compare.Comparison` (stderr)."""

from __future__ import annotations

from collections.abc import Mapping
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


def _md(text: str, limit: int = 100) -> str:
    """Report text as inert Markdown: one line, HTML-escaped, no table or link syntax."""
    import html

    escaped = html.escape(one_line(text, limit), quote=False)
    return escaped.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]").replace("`", "'")


def comparison_markdown(result: Comparison) -> str:
    """The comparison for ``$GITHUB_STEP_SUMMARY``: counts, then a list per section."""
    icon = "❌" if result.regressed else "✅"
    verdict = "new failures" if result.regressed else "no new failures"
    parts = [
        f"## {icon} Cekura compare: {verdict}\n\n",
        f"base result {result.base_result_id} → new result {result.new_result_id}\n\n",
        "| newly failing | fixed | still failing | new | gone |\n|---:|---:|---:|---:|---:|\n",
        f"| {len(result.newly_failing)} | {len(result.fixed)} | {len(result.still_failing)} "
        f"| {len(result.new)} | {len(result.gone)} |\n\n",
    ]
    for title, units in (
        ("Newly failing", result.newly_failing),
        ("Fixed", result.fixed),
        ("Still failing", result.still_failing),
        ("New", result.new),
        ("Gone", result.gone),
    ):
        if not units:
            continue
        parts.append(f"**{title}** ({len(units)})\n\n")
        for unit in units[:SHOWN_PER_SECTION]:
            state = " (failing)" if unit.failing and title in ("New", "Gone") else ""
            parts.append(f"- {_md(unit.name)} `{_md(unit.key, 60)}`{state}\n")
        if len(units) > SHOWN_PER_SECTION:
            parts.append(f"- … and {len(units) - SHOWN_PER_SECTION} more\n")
        parts.append("\n")
    return "".join(parts)


def append_step_summary(
    result: Comparison, environ: Mapping[str, str], limit_bytes: int = 1024 * 1024
) -> bool:
    """Append the comparison to ``$GITHUB_STEP_SUMMARY`` under GitHub Actions, if it fits
    under the 1 MiB limit counting what the file already holds; False when not written."""
    import os

    path = environ.get("GITHUB_STEP_SUMMARY")
    if environ.get("GITHUB_ACTIONS") != "true" or not path:
        return False
    data = comparison_markdown(result).encode("utf-8")
    try:
        held = os.path.getsize(path) if os.path.exists(path) else 0
        if held + len(data) > limit_bytes:
            return False
        with open(path, "ab") as handle:
            handle.write(data)
    except OSError:
        return False  # a summary must never turn a comparison into a tool failure
    return True
