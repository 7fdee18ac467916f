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
) -> ExitCode:
    """List the scenarios a selection resolves to (the same flags as ``cekura run``).

    The table goes to stdout; with --json - the JSON array instead. Exit 5 when nothing matches.
    """
    from rich.console import Console

    from cekura_cli.commands.common import (
        build_selection,
        open_client,
        require_agent,
        settings_from_flags,
    )
    from cekura_cli.plan import render_scenarios, scenarios_to_dicts, write_plan_json
    from cekura_cli.runner import resolve_scenarios
    from cekura_cli.ui import make_ui

    selection = build_selection(tags, match, exclude_tags, scenario_ids)
    settings = settings_from_flags(api_key=api_key, api_url=api_url, agent_id=agent_id)
    with open_client(settings) as client:
        require_agent(settings, assistant_id)
        scenarios = resolve_scenarios(
            client, selection, agent_id=settings.agent_id, assistant_id=assistant_id
        )
    ui = make_ui()
    if json_out:
        write_plan_json(scenarios_to_dicts(scenarios), json_out, ui.stdout)
    if json_out != "-":
        render_scenarios(scenarios, Console(), title=f"{len(scenarios)} scenarios")
    return ExitCode.OK
