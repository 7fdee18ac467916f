"""``cekura report trend DIR [--html PATH]``: the pass rate per report and the scenarios
that fail most often, from a directory of JSON reports (a nightly's artefacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cekura_cli.exit_codes import ExitCode

TOP_SCENARIOS = 5
"""Most-failed scenarios named in the lines printed to stderr."""


def trend(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="A directory of JSON reports (searched recursively for *.json).",
            show_default=False,
        ),
    ],
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="PATH",
            dir_okay=False,
            help="Write the trend page (chart and tables, self-contained) to PATH.",
        ),
    ] = None,
) -> ExitCode:
    """Show the pass rate per report and the scenarios by how often they failed.

    Reports are ordered by result id, then file name (newest first). A short summary goes
    to stderr; --html writes the page. Exit 2 when DIR holds no JSON report.
    """
    from cekura_cli.commands.common import check_report_paths
    from cekura_cli.errors import UsageError
    from cekura_cli.reporting._text import one_line, percent
    from cekura_cli.reporting.trend import build_trend
    from cekura_cli.reporting.trend_page import load_reports, write_trend_html
    from cekura_cli.ui import make_ui

    check_report_paths(None, None, html_path=html_out)
    reports, skipped = load_reports(directory)
    ui = make_ui()
    for line in skipped:
        ui.info(f"cekura: skipped {one_line(line, 200)}")
    if not reports:
        raise UsageError(f"no JSON reports found in {str(directory)!r}")
    result = build_trend(reports, skipped)
    newest = result.points[0]
    ui.info(
        f"cekura: trend of {len(result.points)} report{'s' if len(result.points) != 1 else ''}; "
        f"newest {one_line(newest.source, 80)}: {newest.passed}/{newest.total} passed "
        f"({percent(newest.pass_rate)})"
    )
    for scenario in [s for s in result.scenarios if s.failed_runs][:TOP_SCENARIOS]:
        ui.info(
            f"  {scenario.failed_runs}/{scenario.runs} runs failed, in "
            f"{scenario.reports_failed}/{scenario.reports} reports: {one_line(scenario.name, 80)}"
        )
    if html_out is not None:
        write_trend_html(result, html_out)
        ui.info(f"cekura: wrote the trend page to {html_out}")
    return ExitCode.OK
