"""The one-line fix each doctor check prints when it fails (the troubleshooting page)."""

from __future__ import annotations

from cekura_cli.doctor.providers import ProviderSpec

SET_API_KEY = "export CEKURA_API_KEY=<a key from the dashboard's API keys page>"
NEW_API_KEY = (
    "create a key in the dashboard (organisation of the agent) and export it as CEKURA_API_KEY"
)
CHECK_API_URL = "check CEKURA_API_URL and the network, then run cekura doctor again"
SET_AGENT_ID = "pass --agent-id N or export CEKURA_AGENT_ID=N (the id in the agent's URL)"
AGENT_NOT_FOUND = (
    "check the agent id, and that CEKURA_API_KEY belongs to the organisation that owns it"
)
ENABLE_AGENT = "enable agent {id} in the dashboard (Agents → {id} → settings), then run again"
CONNECT = (
    "cekura agent connect --provider websocket --url wss://… "
    "(or elevenlabs|retell|vapi|bland); see cekura agent connect --help"
)
CONNECT_WEBSOCKET = (
    "cekura agent connect --provider websocket --url wss://your-agent.example/ws "
    "[--secret-env CEKURA_WEBSOCKET_SECRET] [--header NAME=VALUE]"
)
REACHABLE = (
    "start the agent's WebSocket server and check that {url} is reachable "
    "(host, port, path, tunnel, firewall)"
)
SECRET_MISSING = (
    "export CEKURA_WEBSOCKET_SECRET with the agent's WebSocket secret (the server wants one)"
)
SECRET_MISMATCH = (
    "make CEKURA_WEBSOCKET_SECRET, the agent's secret in Cekura and the server's agree: "
    "cekura agent connect --provider websocket --url … --secret-env CEKURA_WEBSOCKET_SECRET"
)
ANSWER = (
    'make the agent greet on connect or answer each {"content": …} frame with one '
    '{"content": …} frame'
)
PONGS = "never block the server's event loop (run slow agent code in a thread): pings need pongs"
TARGET = (
    "TARGET is module:function, file.py:function, http(s)://…, exec:COMMAND, echo or booking; "
    "see cekura shim serve --help"
)
REPORT_BUG = "run with CEKURA_DEBUG=1 and report it"
SELECTION = "check the tags and ids with cekura scenarios list (or the --suite file)"


def connect_for(spec: ProviderSpec) -> str:
    """The ``cekura agent connect`` line that sets this provider right."""
    if spec.name == "websocket":
        return CONNECT_WEBSOCKET
    env = f"{spec.name.upper()}_API_KEY"
    value = "<pathway uuid>" if spec.id_kind == "uuid" else "<id>"
    return (
        f"export {env}=… && cekura agent connect --provider {spec.name} "
        f"{spec.id_flag} {value} --key-env {env}"
    )
