"""``cekura scenarios list``: the scenarios a selection resolves to."""

from __future__ import annotations

import typer

from cekura_cli.commands import options as opt
from cekura_cli.exit_codes import ExitCode, exit_code_epilog

app = typer.Typer(
    help="Inspect the scenarios a selection resolves to.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


EPILOG = exit_code_epilog(
    (ExitCode.OK, ExitCode.USAGE, ExitCode.SERVICE, ExitCode.NO_SCENARIOS, ExitCode.INTERRUPTED),
    {
        ExitCode.OK: "the selection matched scenarios; they are listed",
        ExitCode.INTERRUPTED: "interrupted (SIGINT/SIGTERM)",
    },
)


@app.command("list", epilog=EPILOG)
def list_scenarios(
    tags: opt.Tags = None,
    match: opt.Match = opt.MatchMode.ANY,
    exclude_tags: opt.ExcludeTags = None,
    scenario_ids: opt.ScenarioIds = None,
    agent_id: opt.AgentId = None,
    assistant_id: opt.AssistantId = None,
    json_out: opt.JsonOut = None,
    api_key: opt.ApiKey = None,
    api_url: opt.ApiUrl = None,
    local: opt.Local = False,
    scenarios_file: opt.ScenarioFile = None,
) -> ExitCode:
    """List the scenarios a selection resolves to (the same flags as ``cekura run``).

    The table goes to stdout; with --json - the JSON array instead. Exit 5 when nothing
    matches. With --local, the scenarios of the local sandbox's file (offline, no account).
    """
    import sys
    from contextlib import ExitStack
    from pathlib import Path

    from rich.console import Console

    from cekura_cli.commands.common import (
        build_selection,
        check_report_paths,
        open_client,
        require_agent,
        settings_from_flags,
    )
    from cekura_cli.errors import UsageError
    from cekura_cli.plan import render_scenarios, scenarios_to_dicts, write_plan_json
    from cekura_cli.runner import read_project_id, resolve_scenarios
    from cekura_cli.ui import make_ui, output_width
    from cekura_cli.wording import count

    selection = build_selection(tags, match, exclude_tags, scenario_ids)
    check_report_paths(json_out, None)
    if scenarios_file is not None and not local:
        raise UsageError("--scenarios FILE is for --local")
    if local and (api_url or agent_id is not None or assistant_id):
        raise UsageError("--local lists the local sandbox's scenarios; drop --api-url/--agent-id")
    flags = {"api_key": api_key, "api_url": api_url, "agent_id": agent_id}
    with ExitStack() as stack:
        if local:
            from cekura_cli.local import local_sandbox, scenario_file

            settings_from_flags(**flags)  # a bad env var or cekura.toml: one line, exit 2
            service = stack.enter_context(local_sandbox(scenario_file(scenarios_file, Path.cwd())))
            flags = {"api_key": service.api_key, "api_url": service.api_url}
            flags["agent_id"] = service.agent_id
        settings = settings_from_flags(**flags)
        client = stack.enter_context(open_client(settings))
        require_agent(settings, assistant_id)
        read_project_id(client, settings.agent_id)  # an unknown agent: exit 2, not "none"
        scenarios = resolve_scenarios(
            client, selection, agent_id=settings.agent_id, assistant_id=assistant_id
        )
    ui = make_ui()
    if json_out:
        write_plan_json(scenarios_to_dicts(scenarios), json_out, ui.stdout)
    if json_out != "-":
        console = Console(file=sys.stdout, width=output_width(ui.environ, sys.stdout))
        render_scenarios(scenarios, console, title=count(len(scenarios), "scenario"))
    return ExitCode.OK
