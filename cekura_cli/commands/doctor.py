"""``cekura doctor``: the chat-testing troubleshooting page as ordered checks.

Each check prints ``ok`` / ``FAIL`` (with a one-line fix) / ``skip``; all of them run,
whatever the others found. Exit 0 when none failed, 1 otherwise, 2 for bad flags.
Nothing is started, so nothing is charged. ``--local`` checks the embedded default
(the sandbox and the bundled agent, or ``--serve TARGET``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cekura_cli.commands import options as opt
from cekura_cli.exit_codes import ExitCode

SuiteOption = Annotated[
    Path | None,
    typer.Option(
        "--suite",
        metavar="FILE",
        dir_okay=False,
        help="Check that this tests-as-code suite file resolves to at least one case.",
        rich_help_panel=opt.SELECTION,
    ),
]


def doctor(
    tags: opt.Tags = None,
    match: opt.Match = opt.MatchMode.ANY,
    exclude_tags: opt.ExcludeTags = None,
    scenario_ids: opt.ScenarioIds = None,
    suite: SuiteOption = None,
    agent_id: opt.AgentId = None,
    websocket_url: opt.WebsocketUrl = None,
    serve: opt.Serve = None,
    public_url: opt.PublicUrl = None,
    via: opt.Via = None,
    local: opt.Local = False,
    scenarios_file: opt.ScenarioFile = None,
    json_out: opt.JsonOut = None,
    api_key: opt.ApiKey = None,
    api_url: opt.ApiUrl = None,
) -> ExitCode:
    """Check, in order, everything a chat test run needs; each check ok or FAIL with its fix.

    API key present and accepted; agent found and enabled; a chat provider configured;
    provider ids well-formed; the WebSocket reachable (the service's verify-websocket) and
    speaking the protocol (a local probe with the headers a run sends); --serve TARGET
    loads and answers; the selection resolves to at least one case. Exit 0 when nothing
    failed, 1 otherwise. Nothing is started or charged.
    """
    from cekura_cli.preflight import DoctorArgs, run_doctor
    from cekura_cli.ui import make_ui, sigterm_as_interrupt

    args = DoctorArgs(
        tags=tags,
        match=match,
        exclude_tags=exclude_tags,
        scenario_ids=scenario_ids,
        suite=suite,
        agent_id=agent_id,
        websocket_url=websocket_url,
        serve=serve,
        public_url=public_url,
        via=via.value if via else None,
        local=local,
        scenarios_file=scenarios_file,
        json_out=json_out,
        api_key=api_key,
        api_url=api_url,
    )
    with sigterm_as_interrupt():
        return run_doctor(args, ui=make_ui())
