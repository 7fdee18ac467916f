"""``cekura run``: start a text-mode run of the selected scenarios, wait, report, exit."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cekura_cli.commands import options as opt
from cekura_cli.errors import UsageError
from cekura_cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from cekura_cli.api.models import Scenario
    from cekura_cli.apichat.mode import Mode
    from cekura_cli.ci_kit import CiFlags
    from cekura_cli.orchestration.selection import Selection
    from cekura_cli.runner import StartRequest
    from cekura_cli.ui import Ui


@dataclass
class RunArgs:
    """The parsed flags of one ``cekura run`` (settings-backed ones stay in ``settings``)."""

    selection: Selection
    settings: dict[str, Any]
    """Flags that are also settings: api_key, api_url, dashboard_url, agent_id, timeout, …"""
    assistant_id: str | None = None
    frequency: int | None = None
    personality_ids: tuple[int, ...] = ()
    test_profile_ids: tuple[int, ...] = ()
    name: str | None = None
    websocket_url: str | None = None
    concurrency: int | None = None
    no_wait: bool = False
    dry_run: bool = False
    json_out: str | None = None
    junit_xml: Path | None = None
    html_out: Path | None = None
    local: bool = False
    scenarios_file: Path | None = None
    serve: str | None = None
    serve_port: int = 8765
    public_url: str | None = None
    transcripts: Path | None = None
    via: str | None = None
    turn_timeout: float | None = None
    tester_turn_timeout: float | None = None
    run_all: bool = False
    max_runs: int | None = None
    started_at: float = field(default_factory=time.monotonic)
    ci: CiFlags | None = None
    """--shard, --baseline, --fail-on, --quarantine, --rerun-failed, --repeat, --min-passes."""
    suite: Path | None = None
    case_keys: tuple[str, ...] = ()

    def check(self) -> None:
        """Flag combinations that cannot work: one clear line each (exit 2)."""
        if self.no_wait and (self.json_out or self.junit_xml):
            raise UsageError("--no-wait cannot write --json/--junit-xml: nothing is finished yet")
        if self.no_wait and self.local:
            raise UsageError(
                "--no-wait cannot be used with --local: the local sandbox stops when cekura "
                "exits, so its result could never be waited for"
            )
        if self.no_wait and self.html_out:
            raise UsageError("--no-wait cannot write --html: nothing is finished yet")
        if self.local and self.settings.get("api_url"):
            raise UsageError("--local runs against the built-in sandbox; drop --api-url")
        if self.scenarios_file is not None and not self.local:
            raise UsageError("--scenarios FILE is for --local runs")
        if self.serve and self.websocket_url:
            raise UsageError("pass either --serve TARGET or --websocket-url, not both")
        if self.public_url and not self.serve:
            raise UsageError("--public-url goes with --serve TARGET")
        from cekura_cli.orchestration.guards import (
            HTTP_SCHEMES,
            WEBSOCKET_SCHEMES,
            check_url,
        )

        check_url(self.public_url, flag="--public-url", schemes=WEBSOCKET_SCHEMES)
        check_url(self.websocket_url, flag="--websocket-url", schemes=WEBSOCKET_SCHEMES)
        check_url(self.settings.get("api_url"), flag="--api-url", schemes=HTTP_SCHEMES)
        check_url(self.settings.get("dashboard_url"), flag="--dashboard-url", schemes=HTTP_SCHEMES)
        if self.serve and self.serve.startswith(("http://", "https://")):
            check_url(self.serve, flag="--serve", schemes=HTTP_SCHEMES)
        if self.transcripts is not None and not (self.serve or self.local):
            raise UsageError("--transcripts is for --serve or --local runs")
        from cekura_cli.local import check_turn_timeouts

        check_turn_timeouts(
            self.turn_timeout, self.tester_turn_timeout, local=self.local, serve=bool(self.serve)
        )
        if self.case_keys and self.suite is None:
            raise UsageError("--case KEY selects test cases of a --suite FILE")
        if self.mode().value == "api-chat" and self.no_wait:
            raise UsageError(
                "API chat needs the CLI to play the agent until the end; drop --no-wait"
            )
        if self.ci is not None:
            from cekura_cli.ci_kit import check_flags

            check_flags(self.ci, frequency=self.frequency)
        self.check_size(scenarios=1)  # --frequency 100000 fails before anything starts
        from cekura_cli.orchestration.guards import check_selection_given

        rerun = self.ci is not None and self.ci.rerun_failed is not None  # selects, too
        has_selection = bool(self.selection.tags or self.selection.scenario_ids or rerun)
        has_selection = has_selection or self.suite is not None  # the file is the selection
        check_selection_given(has_selection=has_selection, run_all=self.run_all, local=self.local)

    def mode(self) -> Mode:
        """WEBSOCKET or API_CHAT (:func:`cekura_cli.apichat.mode.choose_mode`)."""
        from cekura_cli.apichat.mode import choose_mode

        return choose_mode(
            self.via,
            serve=self.serve,
            public_url=self.public_url,
            websocket_url=self.websocket_url,
            local=self.local,
        )

    def check_size(self, *, scenarios: int) -> None:
        """At most --max-runs runs (default 10,000) in the result this would start."""
        from cekura_cli.orchestration.guards import DEFAULT_MAX_RUNS, check_run_count

        repeat = self.ci.repeat if self.ci is not None else None
        per_scenario = (
            (self.frequency or repeat or 1)
            * max(1, len(self.personality_ids))
            * max(1, len(self.test_profile_ids))
        )
        check_run_count(scenarios, per_scenario, max_runs=self.max_runs or DEFAULT_MAX_RUNS)


def run(
    tags: opt.Tags = None,
    match: opt.Match = opt.MatchMode.ANY,
    exclude_tags: opt.ExcludeTags = None,
    scenario_ids: opt.ScenarioIds = None,
    agent_id: opt.AgentId = None,
    assistant_id: opt.AssistantId = None,
    frequency: opt.Frequency = None,
    personality: opt.Personalities = None,
    test_profile: opt.TestProfiles = None,
    name: opt.RunName = None,
    websocket_url: opt.WebsocketUrl = None,
    concurrency: opt.Concurrency = None,
    timeout: opt.Timeout = None,
    no_wait: opt.NoWait = False,
    dry_run: opt.DryRun = False,
    json_out: opt.JsonOut = None,
    junit_xml: opt.JunitOut = None,
    html_out: opt.HtmlOut = None,
    min_pass_rate: opt.MinPassRate = None,
    api_key: opt.ApiKey = None,
    api_url: opt.ApiUrl = None,
    dashboard_url: opt.DashboardUrl = None,
    local: opt.Local = False,
    scenarios_file: opt.ScenarioFile = None,
    serve: opt.Serve = None,
    serve_port: opt.ServePort = 8765,
    public_url: opt.PublicUrl = None,
    transcripts: opt.Transcripts = None,
    via: opt.Via = None,
    turn_timeout: opt.TurnTimeout = None,
    tester_turn_timeout: opt.TesterTurnTimeout = None,
    shard: opt.ShardOpt = None,
    baseline: opt.Baseline = None,
    fail_on: opt.FailOn = "any",
    quarantine: opt.Quarantine = None,
    rerun_failed: opt.RerunFailed = None,
    repeat: opt.Repeat = None,
    min_passes: opt.MinPasses = None,
    run_all: opt.AllScenarios = False,
    max_runs: opt.MaxRuns = None,
    suite: opt.SuiteFile = None,
    case_keys: opt.CaseKeys = None,
) -> ExitCode:
    """Start a text-mode run of the selected scenarios, wait for it, report, and exit with a code a pipeline can gate on.

    Select with --tag / --scenario (or everything of --agent-id with --all). Progress and tables go to stderr; stdout carries only what you ask for (--json -, or the result id with --no-wait).
    """  # noqa: E501
    from cekura_cli.ci_kit import CiFlags
    from cekura_cli.commands.common import build_selection, check_report_paths, parse_id_flags
    from cekura_cli.orchestration.selection import split_csv
    from cekura_cli.ui import make_ui, sigterm_as_interrupt

    args = RunArgs(
        selection=build_selection(tags, match, exclude_tags, scenario_ids),
        settings={
            "api_key": api_key,
            "api_url": api_url,
            "dashboard_url": dashboard_url,
            "agent_id": agent_id,
            "timeout": timeout,
            "min_pass_rate": min_pass_rate,
        },
        assistant_id=assistant_id,
        frequency=frequency,
        personality_ids=parse_id_flags(personality, what="personality id"),
        test_profile_ids=parse_id_flags(test_profile, what="test profile id"),
        name=name,
        websocket_url=websocket_url,
        concurrency=concurrency,
        no_wait=no_wait,
        dry_run=dry_run,
        json_out=json_out,
        junit_xml=junit_xml,
        html_out=html_out,
        local=local,
        scenarios_file=scenarios_file,
        serve=serve,
        serve_port=serve_port,
        public_url=public_url,
        transcripts=transcripts,
        via=via.value if via is not None else None,
        turn_timeout=turn_timeout,
        tester_turn_timeout=tester_turn_timeout,
        ci=CiFlags(shard, baseline, fail_on, quarantine, rerun_failed, repeat, min_passes),
        run_all=run_all,
        max_runs=max_runs,
        suite=suite,
        case_keys=tuple(split_csv(case_keys or ())),
    )
    args.check()
    check_report_paths(json_out, junit_xml, transcripts=transcripts, html_path=html_out)
    with sigterm_as_interrupt():
        return execute(args, ui=make_ui())


def execute(args: RunArgs, *, ui: Ui) -> ExitCode:
    """Resolve, start, wait and report; servers started for --local/--serve stop afterwards."""
    import os
    from contextlib import ExitStack
    from datetime import datetime, timezone

    from cekura_cli import ci_kit
    from cekura_cli.commands.common import open_client, require_agent, settings_from_flags
    from cekura_cli.doctor.start_errors import explain_start_refusal
    from cekura_cli.local import local_service, scenario_file, serve_agent
    from cekura_cli.orchestration.naming import default_run_name
    from cekura_cli.runner import (
        Clock,
        Links,
        ReportOptions,
        StartRequest,
        WaitOptions,
        announce_result,
        emit_reports,
        read_project_id,
        resolve_scenarios,
        stop_and_report,
        wait_and_report,
    )
    from cekura_cli.ui import deferred_interrupts
    from cekura_cli.wording import count

    if args.suite is not None:
        from cekura_cli.suite.runner import execute_suite

        return execute_suite(args, ui=ui)
    flags = dict(args.settings)
    ci_flags = args.ci or ci_kit.CiFlags()
    ci_plan = ci_kit.load_plan(ci_flags)  # bad baseline/quarantine/rerun files: exit 2 here
    websocket_url = args.websocket_url
    api_chat = args.mode().value == "api-chat"
    secret = os.environ.get("CEKURA_WEBSOCKET_SECRET") or None
    with ExitStack() as stack:
        if args.local:
            settings_from_flags(**flags)  # a bad flag, env var or cekura.toml: before any start
            service = stack.enter_context(
                local_service(
                    scenarios=scenario_file(args.scenarios_file, Path.cwd()),
                    target=args.serve,
                    websocket_url=websocket_url,
                    secret=secret,
                    transcripts_dir=args.transcripts,
                    ui=ui,
                    start_shim=not api_chat,
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
            websocket_url = None  # the sandbox's agent already points at the local agent
        settings = settings_from_flags(**flags)
        client = stack.enter_context(open_client(settings))  # no API key: exit 2 here
        require_agent(settings, args.assistant_id)
        client.deadline = args.started_at + settings.timeout
        links = Links(settings.dashboard_url, read_project_id(client, settings.agent_id))
        ci_kit.check_agent(ci_plan, ci_flags, settings.agent_id)
        scenarios = resolve_scenarios(
            client,
            ci_kit.rerun_selection(ci_plan, args.selection),
            agent_id=settings.agent_id,
            assistant_id=args.assistant_id,
        )
        scenarios = ci_kit.narrow(ci_plan, scenarios, ui=ui)
        context = ci_kit.ReportContext(
            settings.agent_id, str(ci_plan.shard) if ci_plan.shard else None, ci_plan.policy
        )
        args.check_size(scenarios=len(scenarios))
        request = StartRequest(
            agent_id=settings.agent_id,
            assistant_id=args.assistant_id,
            name=args.name or default_run_name(os.environ, now=datetime.now(timezone.utc)),
            frequency=args.frequency or ci_plan.repeat,
            personality_ids=args.personality_ids,
            test_profile_ids=args.test_profile_ids,
            websocket_url=args.public_url or websocket_url,
            concurrency=args.concurrency,
        )
        if args.dry_run:
            body = None
            if api_chat:
                from cekura_cli.apichat.run import api_chat_body

                body = api_chat_body(request, [s.id for s in scenarios], settings.timeout)
            return show_plan(ui, scenarios, request, args.json_out, body=body)
        if not scenarios:  # an empty shard, or nothing failed in --rerun-failed's report
            why = ci_kit.why_nothing_to_run(ci_plan)
            ui.info(f"cekura: {why}; nothing was started")
            report = ci_kit.nothing_to_run(context, why)
            paths = ReportOptions(json_path=args.json_out, junit_path=args.junit_xml)
            emit_reports(report, paths, ui=ui)
            return ExitCode.OK
        if args.serve and not args.local and not api_chat:
            stack.enter_context(
                serve_agent(
                    args.serve,
                    port=args.serve_port,
                    secret=secret,
                    transcripts_dir=args.transcripts,
                    ui=ui,
                    turn_timeout_s=args.turn_timeout,
                )
            )
        result = None
        names = {s.id: s.display_name for s in scenarios}
        wait_options = WaitOptions(
            timeout_s=settings.timeout,
            report=ReportOptions(
                min_pass_rate=settings.min_pass_rate,
                json_path=args.json_out,
                junit_path=args.junit_xml,
                context=context,
                html_path=args.html_out,
                scenario_tags={s.id: tuple(s.tags) for s in scenarios},
            ),
        )
        if api_chat:
            from cekura_cli.apichat.run import ApiChatOptions, drive_api_chat
            from cekura_cli.local import DEFAULT_LOCAL_AGENT

            chat = ApiChatOptions(
                target=args.serve or DEFAULT_LOCAL_AGENT,
                api_url=settings.api_url,
                api_key=settings.api_key_value() or "",
                timeout_s=settings.timeout,
                concurrency=args.concurrency,
                transcripts_dir=args.transcripts,
            )
            return drive_api_chat(
                client,
                scenarios,
                request,
                chat,
                wait_options=wait_options,
                links=links,
                ui=ui,
                started_at=args.started_at,
            )
        try:
            with deferred_interrupts() as interrupt:  # a sent start request is seen through
                result = explain_start_refusal(  # "chat provider not configured": exit 2
                    lambda: client.start_text_run(request.body([s.id for s in scenarios]))
                )
            if interrupt.signalled:
                raise KeyboardInterrupt
            total = len(result.runs) or len(scenarios) * request.runs_per_scenario()
            runs = count(total, "run")
            ui.info(f"cekura: started result {result.id} ({runs}): {links.result(result.id)}")
            announce_result(result.id, links.result(result.id), ui=ui)
            if args.no_wait:
                ui.stdout.write(f"{result.id}\n")
                ui.stdout.flush()
                return ExitCode.OK
        except KeyboardInterrupt:
            if result is None:
                raise
            # From the moment the result exists, an interrupt ends its calls.
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


def show_plan(
    ui: Ui,
    scenarios: list[Scenario],
    request: StartRequest,
    json_out: str | None,
    *,
    body: dict[str, Any] | None = None,
) -> ExitCode:
    """``--dry-run``: what would run, and the exact request body; nothing is started."""
    from cekura_cli.plan import render_scenarios, scenarios_to_dicts, write_plan_json
    from cekura_cli.wording import count

    runs = len(scenarios) * request.runs_per_scenario()
    render_scenarios(scenarios, ui.console, title=f"Would run {count(len(scenarios), 'scenario')}")
    would = f"{count(runs, 'run')} would start as {request.name!r}"
    ui.info(f"cekura: dry run: {would}; nothing was started")
    if json_out:
        document = {
            "dry_run": True,
            "name": request.name,
            "runs": runs,
            "scenarios": scenarios_to_dicts(scenarios),
            "request": body if body is not None else request.body([s.id for s in scenarios]),
        }
        write_plan_json(document, json_out, ui.stdout)
    return ExitCode.OK
