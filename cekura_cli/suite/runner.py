"""``cekura run --suite FILE``: check, select, post to ``run_scenarios_json``, wait, report.

The I/O glue for suite runs; the steps are the tag run's (:mod:`cekura_cli.runner`):

1. the file is loaded and checked offline first (every problem, exit 2), then the cases
   are selected (unknown ``--case`` or an empty selection: exit 5): nothing is sent
   until both succeeded;
2. ``--local``: the sandbox is started with the selected cases' ``local:`` blocks;
   cases without one are reported ``skipped`` (none at all: exit 5);
3. the spec (selected cases, ``local:`` stripped, ``--frequency`` applied) is posted
   once: ``?dry_run=true`` for ``--dry-run`` (the plan: cases, total runs, estimated
   cost), else the real start, never repeated once it may have reached the service;
4. a 400 is mapped back to ``FILE:LINE: location: message`` lines (exit 2);
5. then the tag run's waiting, reporting and exit codes, with ``case_key`` on each run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cekura_cli.errors import NoScenariosError, RequestRejected, UsageError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.suite.model import SuiteCase, SuiteFile

if TYPE_CHECKING:
    from cekura_cli.commands.run import RunArgs
    from cekura_cli.ui import Ui


def check_suite_args(args: RunArgs) -> None:
    """Flags that mean nothing for a suite run: one clear line each (exit 2)."""
    if args.selection.scenario_ids:
        raise UsageError("--scenario selects service scenarios; with --suite use --case KEY")
    if args.scenarios_file is not None:
        raise UsageError("pass either --suite FILE or --scenarios FILE, not both")
    if args.assistant_id:
        raise UsageError("--suite runs need --agent-id (run_scenarios_json takes an agent id)")
    ci = args.ci
    if ci is not None and (
        any(v is not None for v in (ci.shard, ci.baseline, ci.quarantine, ci.rerun_failed))
        or any(v is not None for v in (ci.repeat, ci.min_passes))
        or ci.fail_on != "any"
    ):
        raise UsageError(
            "--shard, --baseline, --fail-on, --quarantine, --rerun-failed, --repeat and "
            "--min-passes are not wired to --suite runs yet",
            hint="select cases with --tag/--case; repeat with --frequency",
        )
    if args.via == "api-chat":
        raise UsageError("--via api-chat does not apply to --suite runs (they run as text)")
    for flag, value in (
        ("--personality", args.personality_ids),
        ("--test-profile", args.test_profile_ids),
        ("--websocket-url", args.websocket_url and not args.local),
        ("--concurrency", args.concurrency is not None),
        ("--serve without --local", args.serve and not args.local),
    ):
        if value:
            raise UsageError(
                f"{flag} does not apply to --suite runs",
                hint="set personality, test_profile and defaults.concurrency_limit in the file",
            )


def select_suite_cases(path: Path, args: RunArgs) -> tuple[SuiteFile, list[SuiteCase]]:
    """The checked file and its selected cases (nothing is sent before this succeeds)."""
    from cekura_cli.suite.loading import load_suite_file
    from cekura_cli.suite.selection import CaseSelection, select_cases

    suite = load_suite_file(path)
    selection = CaseSelection(
        tags=args.selection.tags,
        match=args.selection.match,
        exclude_tags=args.selection.exclude_tags,
        case_keys=tuple(args.case_keys),
    )
    outcome = select_cases(suite.cases, selection)
    if outcome.missing_keys:
        keys = ", ".join(repr(k) for k in outcome.missing_keys)
        raise NoScenariosError(f"{path}: no test case with key {keys}")
    if not outcome.cases:
        raise NoScenariosError(
            f"{path}: the selection matched no test cases ({selection.describe()})",
            hint=f"the file's tags: {', '.join(_all_tags(suite)) or 'none'}",
        )
    return suite, outcome.cases


def execute_suite(args: RunArgs, *, ui: Ui) -> ExitCode:
    from datetime import datetime, timezone

    from cekura_cli.commands.common import open_client, settings_from_flags
    from cekura_cli.local import local_service
    from cekura_cli.orchestration.naming import default_run_name
    from cekura_cli.runner import Links, read_project_id
    from cekura_cli.suite.local import has_script, sandbox_suite
    from cekura_cli.suite.posting import build_body, build_spec
    from cekura_cli.suite.source import SuiteFileError

    assert args.suite is not None
    check_suite_args(args)
    try:
        suite, cases = select_suite_cases(args.suite, args)
    except SuiteFileError as exc:
        if len(exc.problems) > 1:  # one line names the first; list them all, like validate
            _print_problems(exc.problems, ui)
            count = len(exc.problems)
            raise UsageError(
                f"{args.suite} has {count} problems; nothing was sent", hint=exc.hint
            ) from exc
        raise
    from cekura_cli.suite.posting import MAX_RUNS_PER_RESULT, total_runs

    runs = total_runs(cases, frequency=args.frequency)
    if runs > MAX_RUNS_PER_RESULT:
        raise UsageError(
            f"{len(cases)} test cases with their frequencies make {runs:,} runs; one result "
            f"holds at most {MAX_RUNS_PER_RESULT:,}",
            hint="lower --frequency or select fewer cases (--tag, --case)",
        )
    skipped: list[SuiteCase] = []
    flags = dict(args.settings)
    with ExitStack() as stack:
        if args.local:
            skipped = [c for c in cases if not has_script(c)]
            cases = [c for c in cases if has_script(c)]
            if not cases:
                raise NoScenariosError(
                    f"{args.suite}: none of the {len(skipped)} selected test cases has a "
                    "local: block, so there is nothing to run offline",
                    hint="add local: turns to a case (docs/suite.md) or run it on the service",
                )
            service = stack.enter_context(
                local_service(
                    scenarios=None,
                    suite=sandbox_suite(suite, cases),
                    source=f"{args.suite} (local: blocks)",
                    target=args.serve,
                    websocket_url=args.websocket_url,
                    secret=os.environ.get("CEKURA_WEBSOCKET_SECRET") or None,
                    transcripts_dir=args.transcripts,
                    ui=ui,
                    turn_timeout_s=args.turn_timeout,
                    tester_turn_timeout_s=args.tester_turn_timeout,
                )
            )
            flags |= {
                "api_key": service.api_key,
                "api_url": service.api_url,
                "dashboard_url": service.dashboard_url,
                "agent_id": service.agent_id,
            }
        settings = settings_from_flags(**flags)
        client = stack.enter_context(open_client(settings))
        if settings.agent_id is None:
            raise UsageError("no agent: pass --agent-id (or set CEKURA_AGENT_ID)")
        client.deadline = args.started_at + settings.timeout
        name = args.name or default_run_name(os.environ, now=datetime.now(timezone.utc))
        body = build_body(
            build_spec(suite, cases, frequency=args.frequency, offline=args.local),
            agent_id=settings.agent_id,
            name=name,
        )
        if skipped:
            noun = "case has" if len(skipped) == 1 else "cases have"
            ui.info(f"cekura: {len(skipped)} selected {noun} no local: block: reported as skipped")
        if args.dry_run:
            return _dry_run(client, body, suite, cases, args, ui=ui)
        links = Links(settings.dashboard_url, read_project_id(client, settings.agent_id))
        return _start_and_wait(client, body, suite, cases, skipped, args, settings, links, ui)
    raise AssertionError("unreachable")  # pragma: no cover


def _start_and_wait(
    client: Any,
    body: dict[str, Any],
    suite: SuiteFile,
    cases: list[SuiteCase],
    skipped: list[SuiteCase],
    args: RunArgs,
    settings: Any,
    links: Any,
    ui: Ui,
) -> ExitCode:
    from cekura_cli.runner import (
        Clock,
        ReportOptions,
        WaitOptions,
        stop_and_report,
        wait_and_report,
    )
    from cekura_cli.suite.posting import total_runs
    from cekura_cli.suite.report import cases_by_scenario, identity_decorator
    from cekura_cli.ui import deferred_interrupts

    result = None
    names: dict[int, str] = {}

    def options_for(result: Any) -> WaitOptions:
        """Report options once the result exists (an interrupt right after the start too)."""
        case_by_scenario = cases_by_scenario(result.runs, cases, frequency=args.frequency)
        names.update({scenario: case.name for scenario, case in case_by_scenario.items()})
        return WaitOptions(
            timeout_s=settings.timeout,
            report=ReportOptions(
                min_pass_rate=settings.min_pass_rate,
                json_path=args.json_out,
                junit_path=args.junit_xml,
                decorate=identity_decorator(cases, case_by_scenario, skipped),
            ),
        )

    try:
        with deferred_interrupts() as interrupt:  # a sent start request is seen through
            try:
                result = client.start_suite_run(body)
            except RequestRejected as exc:
                mapped = _rejected(exc, suite, cases, ui)
                if mapped is None:
                    raise
                raise mapped from exc
            wait_options = options_for(result)  # still deferred: no interrupt in between
        if interrupt.signalled:
            raise KeyboardInterrupt
        total = len(result.runs) or total_runs(cases, frequency=args.frequency)
        url = links.result(result.id)
        ui.info(f"cekura: started result {result.id} ({total} runs) from {suite.file}: {url}")
        if args.no_wait:
            ui.stdout.write(f"{result.id}\n")
            ui.stdout.flush()
            return ExitCode.OK
    except KeyboardInterrupt:
        if result is None:
            raise
        return stop_and_report(
            client,
            result.id,
            result,
            wait_options,
            ui=ui,
            url=links.result(result.id),
            timed_out=False,
            clock=Clock(),
            started_at=args.started_at,
            scenario_names=names,
        )
    return wait_and_report(
        client,
        result.id,
        wait_options,
        ui=ui,
        links=links,
        started_at=args.started_at,
        scenario_names=names,
    )


def _dry_run(
    client: Any,
    body: dict[str, Any],
    suite: SuiteFile,
    cases: list[SuiteCase],
    args: RunArgs,
    *,
    ui: Ui,
) -> ExitCode:
    from cekura_cli.suite.plan import plan_document, render_plan

    try:
        answer = client.dry_run_suite(body)
    except RequestRejected as exc:
        mapped = _rejected(exc, suite, cases, ui)
        if mapped is None:
            raise
        raise mapped from exc
    if answer.get("valid") is not True:
        payload = answer.get("errors") or {
            "(request)": ["the service did not say the suite is valid"]
        }
        raise _problems_error(payload, suite, cases, ui, what="the dry run found problems")
    render_plan(answer, suite, cases, ui=ui)
    if args.json_out:
        from cekura_cli.plan import write_plan_json

        write_plan_json(plan_document(answer, suite, cases), args.json_out, ui.stdout)
    return ExitCode.OK


def _rejected(
    exc: RequestRejected, suite: SuiteFile, cases: Sequence[SuiteCase], ui: Ui
) -> UsageError | None:
    """A 400 with a body: its problems printed, as one exit-2 error; else None (re-raise)."""
    if exc.status_code != 400 or exc.payload is None:
        return None
    return _problems_error(exc.payload, suite, cases, ui, what="the service rejected the suite")


def _problems_error(
    payload: Any, suite: SuiteFile, cases: Sequence[SuiteCase], ui: Ui, *, what: str
) -> UsageError:
    from cekura_cli.suite.posting import service_problems

    problems = service_problems(payload, suite, cases)
    _print_problems(problems, ui)
    count = len(problems)
    return UsageError(
        f"{what}: {count} problem{'s' if count != 1 else ''} in {suite.file}; nothing was run",
    )


def _print_problems(problems: Sequence[Any], ui: Ui) -> None:
    from cekura_cli.reporting._text import clean

    for problem in problems:
        ui.info(" ".join(clean(str(problem)).split()))


def _all_tags(suite: SuiteFile) -> list[str]:
    return sorted({t for c in suite.cases for t in c.tags}, key=str.casefold)
