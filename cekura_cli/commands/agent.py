"""``cekura agent show`` and ``cekura agent connect``: an agent's chat connection, from the CLI.

Secrets (provider keys, the WebSocket secret) are read only from environment variables
named by ``--key-env`` / ``--secret-env``, registered for redaction before anything is
sent, never echoed, and shown only as "configured" / "not set" (masked in --dry-run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cekura_cli.commands import options as opt
from cekura_cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from cekura_cli.api.agents import AgentRecord
    from cekura_cli.doctor.providers import Connection
    from cekura_cli.ui import Ui

app = typer.Typer(
    help="Show or set an agent's chat connection (ElevenLabs, Retell, Vapi, Bland, WebSocket).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

CHAT = "Chat connection"

Provider = Annotated[
    str,
    typer.Option(
        "--provider",
        metavar="elevenlabs|retell|vapi|bland|websocket",
        help="The chat provider to connect.",
        show_default=False,
        rich_help_panel=CHAT,
    ),
]
ProviderAssistantId = Annotated[
    str | None,
    typer.Option(
        "--assistant-id",
        metavar="ID",
        help="ElevenLabs/Vapi assistant id, or Retell chat agent id.",
        rich_help_panel=CHAT,
    ),
]
PathwayId = Annotated[
    str | None,
    typer.Option(
        "--pathway-id", metavar="UUID", help="Bland pathway id (a UUID).", rich_help_panel=CHAT
    ),
]
KeyEnv = Annotated[
    str | None,
    typer.Option(
        "--key-env",
        metavar="VAR",
        help="Read the provider's API key from this environment variable "
        "(default: <PROVIDER>_API_KEY, e.g. VAPI_API_KEY). Never a flag value.",
        show_default=False,
        rich_help_panel=CHAT,
    ),
]
Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        metavar="URL",
        help="WebSocket provider: the agent's wss:// URL (ws:// only on loopback).",
        rich_help_panel=CHAT,
    ),
]
SecretEnv = Annotated[
    str | None,
    typer.Option(
        "--secret-env",
        metavar="VAR",
        help="WebSocket provider: read the secret (sent as X-VOCERA-SECRET) from this "
        "environment variable, e.g. CEKURA_WEBSOCKET_SECRET.",
        show_default=False,
        rich_help_panel=CHAT,
    ),
]
Headers = Annotated[
    list[str] | None,
    typer.Option(
        "--header",
        metavar="NAME=VALUE",
        help="WebSocket provider: a handshake header (repeatable).",
        rich_help_panel=CHAT,
    ),
]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Show the request (secrets masked); change nothing."),
]


@app.command("show")
def show(
    agent_id: opt.AgentId = None,
    json_out: opt.JsonOut = None,
    api_key: opt.ApiKey = None,
    api_url: opt.ApiUrl = None,
) -> ExitCode:
    """Show the agent and its chat connection; secrets only as configured / not set.

    Human output goes to stdout; with --json - the JSON document instead.
    """
    from cekura_cli.commands.common import check_report_paths
    from cekura_cli.doctor.agent_output import agent_lines
    from cekura_cli.plan import write_plan_json
    from cekura_cli.ui import make_ui

    check_report_paths(json_out, None)
    ui = make_ui()
    with _open(api_key, api_url, agent_id) as (client, agent):
        from cekura_cli.api.agents import fetch_agent

        record = fetch_agent(client, agent)
    if json_out:
        write_plan_json(record.view.as_json(), json_out, ui.stdout)
    if json_out != "-":
        ui.stdout.write("".join(line + "\n" for line in agent_lines(record.view)))
        ui.stdout.flush()
    return ExitCode.OK


@app.command("connect")
def connect(
    provider: Provider,
    agent_id: opt.AgentId = None,
    assistant_id: ProviderAssistantId = None,
    pathway_id: PathwayId = None,
    key_env: KeyEnv = None,
    url: Url = None,
    secret_env: SecretEnv = None,
    header: Headers = None,
    dry_run: DryRun = False,
    json_out: opt.JsonOut = None,
    api_key: opt.ApiKey = None,
    api_url: opt.ApiUrl = None,
) -> ExitCode:
    """Set the agent's chat connection through the API, and print what changed.

    ElevenLabs/Retell/Vapi: --assistant-id and the key from --key-env VAR. Bland:
    --pathway-id UUID and the key. WebSocket: --url wss://…, --secret-env VAR,
    --header NAME=VALUE (repeatable).
    """
    import os

    from cekura_cli.commands.common import check_report_paths
    from cekura_cli.doctor.agent_output import connection_from_flags
    from cekura_cli.ui import make_ui

    check_report_paths(json_out, None)
    connection = connection_from_flags(
        provider,
        assistant_id=assistant_id,
        pathway_id=pathway_id,
        key_env=key_env,
        url=url,
        secret_env=secret_env,
        headers=header or (),
        environ=os.environ,
    )
    ui = make_ui()
    with _open(api_key, api_url, agent_id) as (client, agent):
        from cekura_cli.api.agents import connect_agent, fetch_agent

        before = fetch_agent(client, agent)
        if dry_run:
            return _show_dry_run(ui, agent, connection, before, json_out)
        version = connect_agent(client, agent, connection, before)
        after = fetch_agent(client, agent)
    return _show_changes(ui, agent, version, before, after, json_out, connection)


def _open(api_key: str | None, api_url: str | None, agent_id: int | None) -> Any:
    """A context manager yielding (client, agent id); exit 2 without a key or an agent."""
    from contextlib import contextmanager

    from cekura_cli.commands.common import open_client, require_agent, settings_from_flags

    settings = settings_from_flags(api_key=api_key, api_url=api_url, agent_id=agent_id)

    @contextmanager
    def opened() -> Any:
        with open_client(settings) as client:
            require_agent(settings, None)
            yield client, int(settings.agent_id or 0)

    return opened()


def _show_dry_run(
    ui: Ui, agent_id: int, connection: Connection, before: AgentRecord, json_out: str | None
) -> ExitCode:
    from cekura_cli.api.agents import AGENT_V2_PATH
    from cekura_cli.doctor.agent_output import dry_run_document
    from cekura_cli.plan import write_plan_json

    document = dry_run_document(AGENT_V2_PATH.format(id=agent_id), connection, before)
    if json_out:
        write_plan_json(document, json_out, ui.stdout)
    if json_out != "-":
        import json

        ui.info(f"cekura: dry run: would PATCH {document['path']} (secrets masked):")
        ui.info(json.dumps(document["body"], indent=2, ensure_ascii=True))
        ui.info("cekura: dry run: nothing was changed")
    return ExitCode.OK


def _show_changes(
    ui: Ui,
    agent_id: int,
    version: str,
    before: AgentRecord,
    after: AgentRecord,
    json_out: str | None,
    connection: Connection,
) -> ExitCode:
    from cekura_cli.doctor.agent_output import change_lines, changes, sent_secrets
    from cekura_cli.plan import write_plan_json

    changed = changes(before.view, after.view)
    sent = sent_secrets(connection)
    if json_out:
        document = {
            "agent_id": agent_id,
            "api": version,
            "changed": changed,
            "secrets_sent": list(sent),
            "chat": after.view.chat.as_json(),
        }
        write_plan_json(document, json_out, ui.stdout)
    if json_out != "-":
        for line in change_lines(agent_id, version, changed, sent):
            ui.info(line)
    return ExitCode.OK
