"""Options shared by several commands, as ``Annotated`` aliases (one definition each)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

SELECTION = "Selection"
CONNECTION = "Connection"
WAITING = "Waiting and reporting"

# Selection ---------------------------------------------------------------------------

Tags = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        "-t",
        metavar="TAG",
        help="Run scenarios with this tag. Repeatable and comma-separable.",
        rich_help_panel=SELECTION,
    ),
]
ExcludeTags = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude-tag",
        metavar="TAG",
        help="Leave out scenarios with this tag. Repeatable and comma-separable.",
        rich_help_panel=SELECTION,
    ),
]
ScenarioIds = Annotated[
    list[str] | None,
    typer.Option(
        "--scenario",
        "-s",
        metavar="ID",
        help="Run this scenario id. Repeatable and comma-separable.",
        rich_help_panel=SELECTION,
    ),
]
SuiteFile = Annotated[
    Path | None,
    typer.Option(
        "--suite",
        metavar="FILE",
        dir_okay=False,
        help="Run the test cases of a suite file (Cekura test-suite v1, JSON or YAML) "
        "instead of the agent's scenarios; --tag/--exclude-tag/--case select inside it.",
        rich_help_panel=SELECTION,
    ),
]
CaseKeys = Annotated[
    list[str] | None,
    typer.Option(
        "--case",
        metavar="KEY",
        help="With --suite: run the test case with this key (or name, if it has no key). "
        "Repeatable and comma-separable.",
        rich_help_panel=SELECTION,
    ),
]
AgentId = Annotated[
    int | None,
    typer.Option(
        "--agent-id",
        metavar="ID",
        help="The agent under test (env CEKURA_AGENT_ID).",
        show_default=False,
        rich_help_panel=SELECTION,
    ),
]
AssistantId = Annotated[
    str | None,
    typer.Option(
        "--assistant-id",
        metavar="ID",
        help="Select the agent by its provider assistant id instead of --agent-id.",
        rich_help_panel=SELECTION,
    ),
]

# Connection --------------------------------------------------------------------------

ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        metavar="KEY",
        help="API key (env CEKURA_API_KEY). Prefer the environment variable.",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]
ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        metavar="URL",
        help="API base URL (env CEKURA_API_URL; default https://api.cekura.ai).",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]
DashboardUrl = Annotated[
    str | None,
    typer.Option(
        "--dashboard-url",
        metavar="URL",
        help="Dashboard base URL for links (env CEKURA_DASHBOARD_URL).",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]

# Waiting and reporting ---------------------------------------------------------------

Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help="Give up waiting after SECONDS for the whole run, end its calls, exit 4 "
        "(env CEKURA_TIMEOUT; default 3600).",
        metavar="SECONDS",
        show_default=False,
        rich_help_panel=WAITING,
    ),
]
MinPassRate = Annotated[
    float | None,
    typer.Option(
        "--min-pass-rate",
        help="Pass when passed/total >= R (0..1) (env CEKURA_MIN_PASS_RATE; default 1.0).",
        metavar="R",
        show_default=False,
        rich_help_panel=WAITING,
    ),
]
JsonOut = Annotated[
    str | None,
    typer.Option(
        "--json",
        help="Write the JSON report to PATH, or to stdout with '-' (nothing else on stdout).",
        metavar="PATH|-",
        rich_help_panel=WAITING,
    ),
]
JunitOut = Annotated[
    Path | None,
    typer.Option(
        "--junit-xml",
        help="Write a JUnit XML report to PATH (one testcase per run).",
        metavar="PATH",
        dir_okay=False,
        rich_help_panel=WAITING,
    ),
]
HtmlOut = Annotated[
    Path | None,
    typer.Option(
        "--html",
        help="Write a self-contained HTML report to PATH (failures first, transcripts, "
        "filters; opens offline).",
        metavar="PATH",
        dir_okay=False,
        rich_help_panel=WAITING,
    ),
]

# Run options -------------------------------------------------------------------------

RUN = "Run options"
LOCAL = "Local agent and sandbox"

Frequency = Annotated[
    int | None,
    typer.Option(
        "--frequency", min=1, metavar="N", help="Run each scenario N times.", rich_help_panel=RUN
    ),
]
Personalities = Annotated[
    list[str] | None,
    typer.Option(
        "--personality",
        metavar="ID",
        rich_help_panel=RUN,
        help="Personality id (repeatable): each scenario runs once per personality.",
    ),
]
TestProfiles = Annotated[
    list[str] | None,
    typer.Option(
        "--test-profile",
        metavar="ID",
        rich_help_panel=RUN,
        help="Test profile id (repeatable): each scenario runs once per profile.",
    ),
]
RunName = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="TEXT",
        show_default=False,
        rich_help_panel=RUN,
        help="Result name (default: from the CI context: branch, short SHA, PR, workflow).",
    ),
]
WebsocketUrl = Annotated[
    str | None,
    typer.Option(
        "--websocket-url",
        metavar="URL",
        rich_help_panel=RUN,
        help="Send the conversations to this WebSocket URL instead of the agent's.",
    ),
]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        min=1,
        metavar="N",
        rich_help_panel=RUN,
        help="At most N conversations at once.",
    ),
]
NoWait = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        rich_help_panel=WAITING,
        help="Print the result id alone on stdout and exit 0 once the run is accepted.",
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        rich_help_panel=WAITING,
        help="Resolve the selection and show what would run; start nothing.",
    ),
]
Local = Annotated[
    bool,
    typer.Option(
        "--local",
        rich_help_panel=LOCAL,
        help="Run offline against the built-in sandbox and a local agent (no account needed).",
    ),
]
ScenarioFile = Annotated[
    Path | None,
    typer.Option(
        "--scenarios",
        metavar="FILE",
        dir_okay=False,
        rich_help_panel=LOCAL,
        help="Scenario file for --local (default: ./cekura-scenarios.yaml, else the "
        "bundled example suite).",
    ),
]
Serve = Annotated[
    str | None,
    typer.Option(
        "--serve",
        metavar="TARGET",
        rich_help_panel=LOCAL,
        help="Serve this agent with the bundled shim during the run: module:function, "
        "file.py:function, http(s)://…, exec:COMMAND, echo or booking "
        "(with --local the default is booking). Against the service without --public-url "
        "the CLI plays it over API chat: no tunnel needed.",
    ),
]
ServePort = Annotated[
    int,
    typer.Option(
        "--serve-port",
        metavar="PORT",
        min=0,
        max=65535,
        rich_help_panel=LOCAL,
        help="With --serve against the service: the local port the shim listens on "
        "(point your tunnel at it). --local always uses a free port.",
    ),
]
PublicUrl = Annotated[
    str | None,
    typer.Option(
        "--public-url",
        metavar="URL",
        rich_help_panel=LOCAL,
        help="With --serve against the service: the wss:// URL your tunnel exposes the shim at.",
    ),
]
Transcripts = Annotated[
    Path | None,
    typer.Option(
        "--transcripts",
        metavar="DIR",
        file_okay=False,
        rich_help_panel=LOCAL,
        help="With --serve or --local: write each conversation's transcript to DIR.",
    ),
]
TurnTimeout = Annotated[
    float | None,
    typer.Option(
        "--turn-timeout",
        metavar="SECONDS",
        min=0.001,
        rich_help_panel=LOCAL,
        help="With --serve or --local: the shim's per-turn deadline for the agent; when "
        "missed it sends a fallback reply (default 20, below the tester's 30).",
    ),
]
TesterTurnTimeout = Annotated[
    float | None,
    typer.Option(
        "--tester-turn-timeout",
        metavar="SECONDS",
        min=0.001,
        rich_help_panel=LOCAL,
        help="With --local: how long the sandbox's tester waits for each reply before "
        "failing the run (default 30; keep it above --turn-timeout).",
    ),
]


class MatchMode(str, Enum):
    ANY = "any"
    ALL = "all"


Match = Annotated[
    MatchMode,
    typer.Option(
        "--match",
        rich_help_panel=SELECTION,
        help="With several --tag: 'any' (a scenario has one of them) or 'all'.",
    ),
]


class ViaMode(str, Enum):
    WEBSOCKET = "websocket"
    API_CHAT = "api-chat"


Via = Annotated[
    ViaMode | None,
    typer.Option(
        "--via",
        rich_help_panel=LOCAL,
        show_default=False,
        help="How the conversations reach the agent: 'websocket' (the service dials it; "
        "--serve needs --public-url) or 'api-chat' (the CLI plays it over REST, no tunnel). "
        "Default: api-chat for --serve without --public-url against the service, else "
        "websocket.",
    ),
]

# CI kit (PRODUCT.md §11; logic in cekura_cli/ci_kit.py) -------------------------------

CI_KIT = "CI: shards, baselines, reruns, k-of-n"

ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        rich_help_panel=CI_KIT,
        help="Run shard K of N: a stable split by scenario id, for matrix jobs "
        "(merge with 'cekura report merge').",
    ),
]
Baseline = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="BASE.json",
        dir_okay=False,
        rich_help_panel=CI_KIT,
        help="A JSON report to compare with (see --fail-on).",
    ),
]
FailOn = Annotated[
    str,
    typer.Option(
        "--fail-on",
        metavar="new-failures|any",
        rich_help_panel=CI_KIT,
        help="With --baseline: 'new-failures' fails only on scenarios that did not fail "
        "in the baseline; 'any' (default) on every failure.",
    ),
]
Quarantine = Annotated[
    Path | None,
    typer.Option(
        "--quarantine",
        metavar="FILE",
        dir_okay=False,
        rich_help_panel=CI_KIT,
        help="Scenario ids (one a line, # comments) that are reported but do not gate.",
    ),
]
RerunFailed = Annotated[
    Path | None,
    typer.Option(
        "--rerun-failed",
        metavar="REPORT.json",
        dir_okay=False,
        rich_help_panel=CI_KIT,
        help="Run only the scenarios that failed or errored in this JSON report.",
    ),
]
Repeat = Annotated[
    int | None,
    typer.Option(
        "--repeat",
        metavar="N",
        rich_help_panel=CI_KIT,
        help="Run each scenario N times and judge it by --min-passes (k-of-n).",
    ),
]
MinPasses = Annotated[
    int | None,
    typer.Option(
        "--min-passes",
        metavar="K",
        rich_help_panel=CI_KIT,
        help="With --repeat N: pass a scenario when K of its N runs passed (default N).",
    ),
]
AllScenarios = Annotated[
    bool,
    typer.Option(
        "--all",
        rich_help_panel=SELECTION,
        help="Run every scenario of the agent (needed when there is no --tag/--scenario; "
        "--local runs the whole scenario file without it).",
    ),
]
MaxRuns = Annotated[
    int | None,
    typer.Option(
        "--max-runs",
        min=1,
        metavar="N",
        rich_help_panel=RUN,
        help="Refuse to start more than N runs in one result (default 10000).",
        show_default=False,
    ),
]
