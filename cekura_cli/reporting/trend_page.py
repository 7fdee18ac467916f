"""``cekura report trend DIR --html PATH``: read a directory of JSON reports and write
the trend page: the pass rate per report as an inline SVG chart, the scenarios by how
often they failed, and the reports newest first.

:func:`load_reports` reads the files; :func:`render_trend_html` is pure (a
:class:`~cekura_cli.reporting.trend.Trend` in, the page out). The page has no script at
all; its style is inline and its Content-Security-Policy allows nothing else. Every
piece of text from the reports (file names, result names, scenario names, reasons) is
cleaned and escaped; only ``http(s)://`` URLs become links.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cekura_cli.errors import UsageError
from cekura_cli.reporting import _html_assets as assets
from cekura_cli.reporting._files import report_file
from cekura_cli.reporting._text import clean, one_line, percent
from cekura_cli.reporting.trend import ReportFile, Trend, TrendPoint, is_report

__all__ = ["load_reports", "render_trend_html", "write_trend_html"]

HISTORY_POINTS = 30
"""Reports shown in each scenario's history strip (the newest)."""
SCENARIO_ROWS = 500
"""Scenarios listed (most failed first); the rest are counted in one line."""
REASON_CHARS = 300

# The chart's coordinate system (the SVG scales to the page width).
_W, _H = 800, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 16, 14, 40


def load_reports(directory: Path) -> tuple[list[ReportFile], list[str]]:
    """Every ``*.json`` report under ``directory`` (recursively: artefact downloads nest
    one folder per artefact), and one line for each JSON file that is not a report.

    Raises :class:`UsageError` (exit 2) when ``directory`` is not a directory.
    """
    if not directory.is_dir():
        raise UsageError(f"{str(directory)!r} is not a directory of JSON reports")
    reports: list[ReportFile] = []
    skipped: list[str] = []
    for path in sorted(directory.rglob("*.json")):
        if not path.is_file():
            continue
        source = path.relative_to(directory).as_posix()
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            skipped.append(f"{source}: not readable JSON ({type(exc).__name__})")
            continue
        if not is_report(document):
            skipped.append(f"{source}: not a cekura JSON report")
            continue
        reports.append(ReportFile(source, document))
    return reports, skipped


def write_trend_html(trend: Trend, path: str | Path) -> None:
    """Write the page to ``path``, atomically, creating parent directories."""
    page = render_trend_html(trend)
    with report_file(path, what="trend page") as stream:
        stream.write(page)


def render_trend_html(trend: Trend) -> str:
    """The trend page as one string (pure)."""
    points = trend.points
    parts = [assets.head(f"cekura trend: {len(points)} reports", script=False)]
    parts.append(_header(points))
    if points:
        parts.append("<h2>Pass rate per report</h2>\n")
        parts.append(chart_svg(points))
        parts.append(_scenario_table(trend))
        parts.append(_report_table(points))
    if trend.skipped:
        parts.append("<h2>Files left out</h2>\n<ul>")
        parts.extend(f"<li>{assets.text(clean(line))}</li>" for line in trend.skipped)
        parts.append("</ul>\n")
    parts.append(assets.tail(script=False))
    return "".join(parts)


def _label(point: TrendPoint) -> str:
    return clean(point.source)


def _short_label(point: TrendPoint) -> str:
    """The file name without ``.json``, cut to fit under its point."""
    label = _label(point)
    return one_line(label[:-5] if label.endswith(".json") else label, 24)


def _header(points: Sequence[TrendPoint]) -> str:
    if not points:
        return "<h1>cekura trend</h1>\n<p>No JSON reports were found.</p>\n"
    newest = points[0]
    rates = [p.pass_rate for p in points]
    mean = sum(rates) / len(rates)
    return (
        f"<h1>cekura trend: {len(points)} report{'s' if len(points) != 1 else ''}</h1>\n"
        f'<p class="muted">newest: {assets.text(_label(newest))} — '
        f"{newest.passed}/{newest.total} passed ({percent(newest.pass_rate)}); "
        f"mean pass rate {percent(mean)}; best {percent(max(rates))}, "
        f"worst {percent(min(rates))}</p>\n"
    )


def chart_svg(points: Sequence[TrendPoint]) -> str:
    """The pass rate per report, oldest on the left, as an inline ``<svg>`` (pure)."""
    ordered = list(reversed(points))  # oldest first, as time runs left to right
    count = len(ordered)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(index: int) -> float:
        return _LEFT + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return _TOP + plot_h * (1.0 - min(max(rate, 0.0), 1.0))

    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="pass rate per report, oldest first" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="axis" x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{tick * 100:.0f}%</text>'
        )
    threshold = points[0].min_pass_rate
    if threshold is not None:
        out.append(
            f'<line class="threshold" x1="{_LEFT}" x2="{_W - _RIGHT}" '
            f'y1="{y(threshold):.1f}" y2="{y(threshold):.1f}"><title>threshold '
            f"{percent(threshold)}</title></line>"
        )
    if count > 1:
        path = " ".join(f"{x(i):.1f},{y(p.pass_rate):.1f}" for i, p in enumerate(ordered))
        out.append(f'<polyline class="line" points="{path}"/>')
    radius = 4 if count <= 60 else 2.5
    for index, point in enumerate(ordered):
        dot = "dot-passed" if point.verdict == "passed" else "dot-failed"
        tip = f"{_label(point)}: {point.passed}/{point.total} passed ({percent(point.pass_rate)})"
        out.append(
            f'<circle class="{dot}" cx="{x(index):.1f}" cy="{y(point.pass_rate):.1f}" '
            f'r="{radius}"><title>{assets.text(tip)}</title></circle>'
        )
    for index in _label_indexes(count):
        out.append(
            f'<text class="axis" x="{x(index):.1f}" y="{_H - _BOTTOM + 16}" '
            f'text-anchor="middle">{assets.text(_short_label(ordered[index]))}</text>'
        )
    out.append("</svg>\n")
    return "".join(out)


def _label_indexes(count: int) -> list[int]:
    """Which points get an x-axis label: all of up to 5, else at most 5 evenly spaced,
    counted back from the newest (which is always labelled)."""
    stride = max(1, -(-(count - 1) // 4))  # ceil((count - 1) / 4)
    return sorted(range(count - 1, -1, -stride))


def _scenario_table(trend: Trend) -> str:
    scenarios = trend.scenarios
    shown = scenarios[:SCENARIO_ROWS]
    points = trend.points[:HISTORY_POINTS]
    out = [
        "<h2>Scenarios by failures</h2>\n",
        f'<p class="muted">{len(scenarios)} scenarios; history newest first '
        f"(the newest {len(points)} reports): "
        '<span class="h h-passed"></span> passed <span class="h h-failed"></span> failed '
        '<span class="h h-error"></span> error <span class="h h-none"></span> not run</p>\n',
        '<div class="scroll"><table id="scenarios"><thead><tr><th>scenario</th>'
        '<th class="n">failed runs</th><th class="n">reports failed</th>'
        '<th>history</th><th class="hide-narrow">last failure</th></tr></thead><tbody>\n',
    ]
    for scenario in shown:
        strip = "".join(
            f'<span class="h h-{outcome or "none"}" title="'
            f'{assets.attr(_label(point))}: {outcome or "not run"}"></span>'
            for outcome, point in zip(scenario.history, points, strict=False)
        )
        reason = one_line(scenario.last_reason, REASON_CHARS) if scenario.last_reason else ""
        link = assets.safe_link(clean(scenario.last_failure_url), "run") if reason else ""
        out.append(
            f'<tr><td class="sc">{assets.text(clean(scenario.name))}</td>'
            f'<td class="n">{scenario.failed_runs}/{scenario.runs}</td>'
            f'<td class="n">{scenario.reports_failed}/{scenario.reports}</td>'
            f'<td class="hist">{strip}</td>'
            f'<td class="hide-narrow">{assets.text(reason)} {link}</td></tr>\n'
        )
    out.append("</tbody></table></div>\n")
    if len(scenarios) > len(shown):
        out.append(
            f'<p class="muted">{len(scenarios) - len(shown)} more scenarios, '
            "each with fewer failures, are not listed.</p>\n"
        )
    return "".join(out)


def _report_table(points: Sequence[TrendPoint]) -> str:
    out = [
        "<h2>Reports, newest first</h2>\n",
        '<div class="scroll"><table id="reports"><thead><tr><th>report</th>'
        '<th class="hide-narrow">name</th><th class="n">passed</th><th class="n">pass rate</th>'
        "<th>verdict</th>"
        "<th>link</th></tr></thead><tbody>\n",
    ]
    for point in points:
        verdict = "o-passed" if point.verdict == "passed" else "o-failed"
        out.append(
            f"<tr><td>{assets.text(_label(point))}</td>"
            f'<td class="hide-narrow">{assets.text(clean(point.name))}</td>'
            f'<td class="n">{point.passed}/{point.total}</td>'
            f'<td class="n">{percent(point.pass_rate)}</td>'
            f'<td><span class="badge {verdict}">{assets.text(point.verdict)}</span></td>'
            f"<td>{assets.safe_link(clean(point.result_url), 'dashboard')}</td></tr>\n"
        )
    out.append("</tbody></table></div>\n")
    return "".join(out)
