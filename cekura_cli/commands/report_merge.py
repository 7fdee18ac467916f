"""``cekura report merge A.json B.json …``: shard reports -> one report, verdict and exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cekura_cli.commands import options as opt
from cekura_cli.exit_codes import ExitCode


def merge(
    reports: Annotated[
        list[Path],
        typer.Argument(
            metavar="REPORT.json...",
            help="JSON reports written by 'cekura run --json' (e.g. one per shard).",
            show_default=False,
        ),
    ],
    json_out: opt.JsonOut = None,
    junit_xml: opt.JunitOut = None,
    html_out: opt.HtmlOut = None,
    min_pass_rate: Annotated[
        float | None,
        typer.Option(
            "--min-pass-rate",
            metavar="R",
            help="Pass when passed/total >= R (0..1); default: the strictest of the reports.",
            show_default=False,
        ),
    ] = None,
) -> ExitCode:
    """Merge shard reports into one report with one verdict and exit code (JSON, JUnit, step summary).

    Refuses a report given twice and reports of different agents (exit 2).
    """  # noqa: E501
    from cekura_cli.ci_kit import register_environment_secrets
    from cekura_cli.commands.common import check_report_paths
    from cekura_cli.orchestration.merge import merge_reports
    from cekura_cli.reporting.report_file import read_report
    from cekura_cli.runner import ReportOptions, emit_reports
    from cekura_cli.ui import make_ui

    register_environment_secrets()
    check_report_paths(json_out, junit_xml, html_path=html_out)
    loaded = [(str(path), read_report(path)) for path in reports]
    merged = merge_reports(loaded, min_pass_rate=min_pass_rate)
    ui = make_ui()
    options = ReportOptions(json_path=json_out, junit_path=junit_xml, html_path=html_out)
    emit_reports(merged, options, ui=ui)
    return ExitCode(merged.exit_code)
