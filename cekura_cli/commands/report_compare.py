"""``cekura report compare BASE.json NEW.json``: newly failing, fixed, still failing, new, gone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cekura_cli.commands import options as opt
from cekura_cli.exit_codes import ExitCode


def compare(
    base: Annotated[Path, typer.Argument(metavar="BASE.json", help="The baseline report.")],
    new: Annotated[Path, typer.Argument(metavar="NEW.json", help="The report to judge.")],
    json_out: opt.JsonOut = None,
) -> ExitCode:
    """Compare two JSON reports by scenario: newly failing, fixed, still failing, new, gone.

    Exits 1 when something fails that did not fail in BASE (newly failing, or new and failing), else 0.
    """  # noqa: E501
    from cekura_cli.ci_kit import register_environment_secrets
    from cekura_cli.commands.common import check_report_paths
    from cekura_cli.errors import UsageError
    from cekura_cli.orchestration.compare import compare as compare_reports
    from cekura_cli.plan import write_plan_json
    from cekura_cli.reporting.compare_text import append_step_summary, render_comparison
    from cekura_cli.reporting.report_file import read_report
    from cekura_cli.ui import make_ui

    register_environment_secrets()
    check_report_paths(json_out, None)
    before, after = read_report(base), read_report(new)
    agents = {before.agent_id, after.agent_id} - {None}
    if len(agents) > 1:
        raise UsageError(
            f"{new} is a report of agent {after.agent_id}, {base} of agent "
            f"{before.agent_id}: not comparable"
        )
    result = compare_reports(before, after)
    ui = make_ui()
    render_comparison(result, ui.console)
    append_step_summary(result, ui.environ)
    if json_out:
        write_plan_json(result.to_dict(), json_out, ui.stdout)
    return ExitCode.TEST_FAILURES if result.regressed else ExitCode.OK
