"""Reports for a run the service failed us on after it was started (exit 3).

PRODUCT.md §13: once a result exists, ``--json`` gets the full report (with
``result_id``), and so do ``--junit-xml``, the console summary and the GitHub channels,
even when the wait ends with a service or network error. Used by
:func:`cekura_cli.runner.wait_and_report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cekura_cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from cekura_cli.api.models import Result
    from cekura_cli.errors import ServiceError
    from cekura_cli.runner import Clock, RunHooks, WaitOptions
    from cekura_cli.ui import Ui


def bare_result(result_id: int) -> Result:
    from cekura_cli.api.models import Result

    return Result(id=result_id)


def report_service_failure(
    exc: ServiceError,
    result: Result,
    options: WaitOptions,
    *,
    ui: Ui,
    url: str,
    clock: Clock,
    started_at: float,
    scenario_names: dict[int, str] | None,
    hooks: RunHooks | None = None,
) -> ServiceError:
    """The service failed us after the result was started (exit 3): every report is
    still written, from what was last read, with ``result_id`` and exit code 3 (§13).
    Returns ``exc``, marked so the error document does not replace the report."""
    from dataclasses import replace

    from cekura_cli.reporting.error_document import mark_report_written
    from cekura_cli.reporting.model import Verdict
    from cekura_cli.runner import _build, emit_reports

    report = _build(
        result, result.runs, options, url, clock, started_at, scenario_names, hooks=hooks
    )
    report = replace(
        report,
        verdict=Verdict.FAILED,
        exit_code=int(ExitCode.SERVICE),
        notes=(*report.notes, f"stopped: the service failed while waiting: {exc.message}"),
    )
    emit_reports(report, options.report, ui=ui)
    mark_report_written(exc)
    return exc
