"""``cekura wait RESULT_ID``: attach to an existing result with the same waiting, reports
and exit codes as ``cekura run``."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from cekura_cli.commands import options as opt
from cekura_cli.exit_codes import ExitCode


def wait(
    result_id: Annotated[
        int, typer.Argument(metavar="RESULT_ID", min=1, help="The result to wait for.")
    ],
    timeout: opt.Timeout = None,
    json_out: opt.JsonOut = None,
    junit_xml: opt.JunitOut = None,
    html_out: opt.HtmlOut = None,
    min_pass_rate: opt.MinPassRate = None,
    api_key: opt.ApiKey = None,
    api_url: opt.ApiUrl = None,
    dashboard_url: opt.DashboardUrl = None,
) -> ExitCode:
    """Attach to an existing result, wait for it, report, and exit like ``cekura run``."""
    from cekura_cli.commands.common import check_report_paths, open_client, settings_from_flags
    from cekura_cli.orchestration.guards import HTTP_SCHEMES, check_url
    from cekura_cli.runner import (
        Links,
        ReportOptions,
        WaitOptions,
        announce_result,
        read_project_id,
        wait_and_report,
    )
    from cekura_cli.ui import make_ui, sigterm_as_interrupt

    started_at = time.monotonic()
    check_url(api_url, flag="--api-url", schemes=HTTP_SCHEMES)
    check_url(dashboard_url, flag="--dashboard-url", schemes=HTTP_SCHEMES)
    check_report_paths(json_out, junit_xml, html_path=html_out)
    settings = settings_from_flags(
        api_key=api_key,
        api_url=api_url,
        dashboard_url=dashboard_url,
        timeout=timeout,
        min_pass_rate=min_pass_rate,
    )
    ui = make_ui()
    with sigterm_as_interrupt(), open_client(settings) as client:
        client.deadline = started_at + settings.timeout
        result = client.get_result(result_id)  # a wrong id or key fails here, clearly
        project = result.project
        if project is None:  # the detail may name only the agent; links need the project
            project = read_project_id(client, result.agent, required=False)
        links = Links(settings.dashboard_url, project)
        announce_result(result_id, links.result(result_id), ui=ui)
        return wait_and_report(
            client,
            result_id,
            WaitOptions(
                timeout_s=settings.timeout,
                report=ReportOptions(
                    min_pass_rate=settings.min_pass_rate,
                    json_path=json_out,
                    junit_path=junit_xml,
                    html_path=html_out,
                ),
            ),
            ui=ui,
            links=links,
            started_at=started_at,
        )
