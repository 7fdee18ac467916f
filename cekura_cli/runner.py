"""One test run, end to end: resolve the selection, start, wait, report.

This is the I/O glue between the API client (:mod:`cekura_cli.api`), the pure
orchestration (:mod:`cekura_cli.orchestration`) and the reporters
(:mod:`cekura_cli.reporting`). ``cekura run`` uses all of it; ``cekura wait`` enters at
:func:`wait_and_report`; ``cekura scenarios list`` uses :func:`resolve_scenarios`.

Guarantees:
- nothing is started before the selection resolved to at least one scenario;
- the start request is sent once (the client never repeats it once it may have
  reached the service), so one invocation creates at most one result;
- on ``--timeout``, SIGINT or SIGTERM the result's calls are ended (bounded to a few
  seconds), the reports are still written, and the exit code is 4 or 130.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cekura_cli.errors import (
    AuthError,
    CekuraError,
    NoScenariosError,
    NotFoundError,
    RequestRejected,
    ServiceError,
    UsageError,
    WaitTimeout,
)
from cekura_cli.exit_codes import ExitCode
from cekura_cli.orchestration.polling import PollPolicy
from cekura_cli.orchestration.selection import Selection, select
from cekura_cli.ui import Ui, sigterm_as_interrupt

if TYPE_CHECKING:
    from cekura_cli.api.client import CekuraClient
    from cekura_cli.api.models import Result, Run, Scenario
    from cekura_cli.reporting.model import ResultReport

END_CALLS_TIMEOUT_S = 5.0
FINAL_FETCH_BUDGET_S = 60.0  # fetching run details after the result finished
SALVAGE_FETCH_BUDGET_S = 5.0  # fetching what we can after a timeout or interrupt


@dataclass(frozen=True)
class StartRequest:
    """What to start, in the service's terms (PRODUCT.md §3 run options)."""

    agent_id: int | None
    assistant_id: str | None
    name: str
    frequency: int | None = None
    personality_ids: tuple[int, ...] = ()
    test_profile_ids: tuple[int, ...] = ()
    websocket_url: str | None = None
    concurrency: int | None = None

    def body(self, scenario_ids: Sequence[int]) -> dict[str, Any]:
        """The ``run_scenarios_text`` body: always the resolved ids as the one selector."""
        body: dict[str, Any] = {"scenarios": list(scenario_ids), "name": self.name}
        if self.agent_id is not None:
            body["agent_id"] = self.agent_id
        else:
            body["assistant_id"] = self.assistant_id
        if self.frequency is not None:
            body["frequency"] = self.frequency
        if self.personality_ids:
            body["personality_ids"] = list(self.personality_ids)
        if self.test_profile_ids:
            body["test_profile_ids"] = list(self.test_profile_ids)
        if self.websocket_url:
            body["websocket_url"] = self.websocket_url
        if self.concurrency is not None:
            body["concurrency_limit"] = self.concurrency
        return body

    def runs_per_scenario(self) -> int:
        return (
            (self.frequency or 1)
            * max(1, len(self.personality_ids))
            * max(1, len(self.test_profile_ids))
        )


@dataclass(frozen=True)
class ReportOptions:
    min_pass_rate: float = 1.0
    json_path: str | None = None
    junit_path: Path | None = None
    context: Any = None
    """A :class:`cekura_cli.ci_kit.ReportContext` (agent, shard, gates), or None."""
    html_path: Path | None = None
    scenario_tags: Mapping[int, Sequence[str]] = field(default_factory=dict)
    """Scenario id -> tags, for the HTML report's tag filter (known when ``run`` resolved)."""
    decorate: Callable[[ResultReport], ResultReport] | None = None
    """Adds what the result alone cannot know (suite case keys, skipped cases)."""


@dataclass(frozen=True)
class Links:
    """Builds dashboard links; the project id is known only once the agent was read."""

    dashboard_url: str
    project_id: int | None = None

    def result(self, result_id: int) -> str:
        from cekura_cli.orchestration.naming import result_url

        return result_url(self.dashboard_url, self.project_id, result_id)


@dataclass
class Clock:
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class RunHooks:
    """What a way of running (API chat) adds to waiting: ``before_stop(why)`` runs
    before the calls are ended on a timeout or interrupt; ``amend_runs`` corrects the
    service's runs with what only the CLI knows (a local agent failure) before the
    verdict."""

    before_stop: Callable[[str], None] | None = None
    amend_runs: Callable[[Sequence[Run]], Sequence[Run]] | None = None


@dataclass(frozen=True)
class WaitOptions:
    timeout_s: float
    report: ReportOptions = field(default_factory=ReportOptions)
    poll: PollPolicy = field(default_factory=PollPolicy)


def resolve_scenarios(
    client: CekuraClient,
    selection: Selection,
    *,
    agent_id: int | None,
    assistant_id: str | None,
) -> list[Scenario]:
    """The concrete scenarios a selection means (every page); fails fast when empty."""
    tags, tag_filter_type = selection.server_query()
    scenarios = client.list_scenarios(
        agent_id=agent_id, assistant_id=assistant_id, tags=tags, tag_filter_type=tag_filter_type
    )
    outcome = select(scenarios, selection)
    if outcome.missing_ids:
        missing = ", ".join(str(i) for i in outcome.missing_ids)
        owner = f"agent {agent_id}" if agent_id is not None else f"assistant {assistant_id}"
        raise NoScenariosError(f"scenario id(s) not found for {owner}: {missing}")
    if not outcome.scenarios:
        raise NoScenariosError(
            f"the selection matched no scenarios ({describe_selection(selection)})",
            hint="check the tags with 'cekura scenarios list'",
        )
    return outcome.scenarios


def describe_selection(selection: Selection) -> str:
    parts = []
    if selection.tags:
        parts.append(f"tags {', '.join(selection.tags)} (match {selection.match})")
    if selection.exclude_tags:
        parts.append(f"excluding {', '.join(selection.exclude_tags)}")
    if selection.scenario_ids:
        parts.append("ids " + ", ".join(str(i) for i in selection.scenario_ids))
    return "; ".join(parts) or "all scenarios of the agent"


def read_project_id(
    client: CekuraClient, agent_id: int | None, *, required: bool = True
) -> int | None:
    """The agent's project id for dashboard links; a wrong key still fails fast.

    ``required``: an agent the service does not know is a usage error (exit 2, §13),
    before anything is resolved or started, not an empty selection.
    """
    if agent_id is None:
        return None
    try:
        return client.get_agent(agent_id).project
    except AuthError:
        raise
    except NotFoundError as exc:
        if required:
            raise UsageError(
                f"agent {agent_id} not found",
                hint="check --agent-id / CEKURA_AGENT_ID and that the API key is for its project",
            ) from exc
        return None
    except ServiceError:
        return None  # links degrade to /results/{id}; the run itself does not need it


def announce_result(result_id: int, url: str, *, ui: Ui) -> None:
    """The result exists: tell GitHub at once (``result_id`` step output, §13)."""
    import sys

    from cekura_cli.reporting.github import write_result_started

    write_result_started(result_id, url, environ=ui.environ, stream=sys.stderr)


def wait_and_report(
    client: CekuraClient,
    result_id: int,
    options: WaitOptions,
    *,
    ui: Ui,
    links: Links,
    started_at: float,
    scenario_names: dict[int, str] | None = None,
    clock: Clock | None = None,
    hooks: RunHooks | None = None,
) -> ExitCode:
    """Wait for ``result_id`` to finish (or the deadline / an interrupt), report, decide.

    The ``try`` opens before anything else, so an interrupt at any point after the run
    was started reaches :func:`stop_and_report` and the calls are ended.
    """
    clock = clock or Clock()
    deadline = started_at + options.timeout_s
    result: Result | None = None
    last_read: list[Result] = []  # the last poll, for a report if the service fails us
    service_failure: ServiceError | None = None
    timed_out = interrupted = False
    display = None
    url = links.dashboard_url

    def poll() -> Result:
        last_read[:] = [client.get_result(result_id)]
        return last_read[0]

    try:
        from cekura_cli.orchestration.waiter import wait_for_result
        from cekura_cli.reporting.progress import make_progress_display

        url = links.result(result_id)
        client.deadline = deadline
        display = make_progress_display(ui.console, live=ui.live)
        with sigterm_as_interrupt():
            display.start(result_id=result_id, result_url=url, total=None)
            result = wait_for_result(
                poll,
                deadline=deadline,
                started_at=started_at,
                policy=options.poll,
                clock=clock.monotonic,
                sleep=clock.sleep,
                on_progress=display.update,
            )
    except WaitTimeout as exc:
        timed_out = True
        result = getattr(exc, "last_result", None)
    except KeyboardInterrupt:
        interrupted = True
    except ServiceError as exc:
        if clock.monotonic() < deadline and not exc.stopped_by_deadline:
            exc.hint = exc.hint or (
                f"the run goes on at {url}; attach again with 'cekura wait {result_id}'"
            )
            service_failure = exc
        else:
            timed_out = True  # the retries were cut short by the deadline
    finally:
        if display is not None:
            display.stop()

    if service_failure is not None:
        from cekura_cli.failure_reports import bare_result, report_service_failure

        latest = last_read[0] if last_read else None
        raise report_service_failure(
            service_failure,
            latest or bare_result(result_id),
            options,
            ui=ui,
            url=url,
            clock=clock,
            started_at=started_at,
            scenario_names=scenario_names,
            hooks=hooks,
        )

    with sigterm_as_interrupt():
        if timed_out or interrupted:
            return stop_and_report(
                client,
                result_id,
                result,
                options,
                ui=ui,
                url=url,
                timed_out=timed_out,
                clock=clock,
                started_at=started_at,
                scenario_names=scenario_names,
                hooks=hooks,
            )

        assert result is not None
        client.deadline = clock.monotonic() + FINAL_FETCH_BUDGET_S
        try:
            runs = read_run_details(client, result, ui=ui)
        except KeyboardInterrupt:
            # The result has finished, so no call is left to end: report what we have.
            ui.info("cekura: interrupted while reading the run details; reporting what is known")
            report = _build(
                result,
                result.runs,
                options,
                url,
                clock,
                started_at,
                scenario_names,
                interrupted=True,
                hooks=hooks,
            )
            emit_reports(report, options.report, ui=ui)
            return ExitCode.INTERRUPTED
        except ServiceError as exc:
            from cekura_cli.failure_reports import report_service_failure

            exc.hint = exc.hint or f"read it again later with 'cekura wait {result_id}'"
            raise report_service_failure(
                exc,
                result,
                options,
                ui=ui,
                url=url,
                clock=clock,
                started_at=started_at,
                scenario_names=scenario_names,
                hooks=hooks,
            ) from exc.__cause__
    report = _build(result, runs, options, url, clock, started_at, scenario_names, hooks=hooks)
    emit_reports(report, options.report, ui=ui)
    return ExitCode(report.exit_code)


def read_run_details(client: CekuraClient, result: Result, *, ui: Ui) -> list[Run]:
    """Per-run details from ``runs/bulk``; the result's own run summaries if it is refused.

    A service that does not offer the bulk read (404, or 400 for the query) still gets a
    verdict from the summaries in the result detail; auth and transport failures do not
    degrade silently.
    """
    if not result.run_ids:
        return []
    try:
        return client.get_runs(result.run_ids)
    except (NotFoundError, RequestRejected) as exc:
        ui.info(f"cekura: could not read the run details ({exc}); using the result's summaries")
        return list(result.runs)


def stop_and_report(
    client: CekuraClient,
    result_id: int,
    result: Result | None,
    options: WaitOptions,
    *,
    ui: Ui,
    url: str,
    timed_out: bool,
    clock: Clock,
    started_at: float,
    scenario_names: dict[int, str] | None,
    hooks: RunHooks | None = None,
) -> ExitCode:
    """End the remote calls, salvage what we can for the reports, exit 4 or 130."""
    from cekura_cli.api.models import Result

    why = f"timed out after {options.timeout_s:g}s" if timed_out else "interrupted"
    if hooks is not None and hooks.before_stop is not None:
        hooks.before_stop(why)  # e.g. end every open API chat before the calls
    ui.info(f"cekura: {why}; ending the calls of result {result_id} …")
    ended = client.end_calls(result_id, timeout_s=END_CALLS_TIMEOUT_S)
    ui.info(f"cekura: {'calls ended' if ended else 'could not end the calls'}; result: {url}")
    runs: list[Run] = []
    client.deadline = clock.monotonic() + SALVAGE_FETCH_BUDGET_S
    try:
        result = client.get_result(result_id)
        runs = client.get_runs(result.run_ids) if result.run_ids else []
    except (CekuraError, KeyboardInterrupt):
        runs = list(result.runs) if result is not None else []
    if result is None:
        result = Result(id=result_id)
    report = _build(
        result,
        runs,
        options,
        url,
        clock,
        started_at,
        scenario_names,
        timed_out=timed_out,
        interrupted=not timed_out,
        hooks=hooks,
    )
    emit_reports(report, options.report, ui=ui)
    return ExitCode.TIMEOUT if timed_out else ExitCode.INTERRUPTED


def _build(
    result: Result,
    runs: Sequence[Run],
    options: WaitOptions,
    url: str,
    clock: Clock,
    started_at: float,
    scenario_names: dict[int, str] | None,
    *,
    timed_out: bool = False,
    interrupted: bool = False,
    hooks: RunHooks | None = None,
) -> ResultReport:
    from cekura_cli.orchestration.naming import run_url
    from cekura_cli.orchestration.verdict import build_report

    if hooks is not None and hooks.amend_runs is not None:
        runs = hooks.amend_runs(runs)
        result = result.model_copy(update={"runs": list(hooks.amend_runs(result.runs))})

    report = build_report(
        result,
        runs,
        min_pass_rate=options.report.min_pass_rate,
        result_url=url,
        run_url=lambda run_id: run_url(url, run_id),
        scenario_names=scenario_names,
        scenario_tags=options.report.scenario_tags,
        elapsed_s=clock.monotonic() - started_at,
        timed_out=timed_out,
        interrupted=interrupted,
    )
    context = options.report.context
    return context.finish(report) if context is not None else report


def emit_reports(report: ResultReport, options: ReportOptions, *, ui: Ui) -> None:
    """Every requested report; files are written even when the run failed or timed out."""
    import sys

    from cekura_cli.reporting.console import render_summary
    from cekura_cli.reporting.error_document import mark_report_written
    from cekura_cli.reporting.github import write_github
    from cekura_cli.reporting.json_report import write_json
    from cekura_cli.reporting.junit import write_junit

    if options.decorate is not None:
        report = options.decorate(report)
    render_summary(report, ui.console)
    json_written = False
    try:
        if options.json_path:
            write_json(report, options.json_path, stdout=ui.stdout)
            json_written = True
        if options.junit_path:
            write_junit(report, options.junit_path)
        if options.html_path:
            from cekura_cli.reporting.html import write_html

            write_html(report, options.html_path)
    except OSError as exc:
        error = UsageError(f"cannot write the report: {exc}")
        raise (mark_report_written(error) if json_written else error) from exc
    except CekuraError as exc:
        if json_written:  # the JSON holds the full report; keep it
            mark_report_written(exc)
        raise
    write_github(report, environ=ui.environ, stream=sys.stderr)
