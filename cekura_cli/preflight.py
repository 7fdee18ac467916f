"""The I/O glue of ``cekura doctor``: real :class:`~cekura_cli.doctor.checks.Services`.

Wires the pure checks to the API client (key, agent, verify-websocket, selection), the
WebSocket probe, and the shim (``--serve TARGET`` loads and answers a probe turn). Every
call is bounded; none starts a run, so nothing is charged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cekura_cli.doctor.checks import Services
from cekura_cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from cekura_cli.api.agents import AgentRecord
    from cekura_cli.api.client import CekuraClient
    from cekura_cli.doctor.agent_view import AgentView
    from cekura_cli.orchestration.selection import Selection
    from cekura_cli.shim.probe import ProbeResult
    from cekura_cli.ui import Ui

__all__ = ["PROBE_TIMEOUT_S", "DoctorArgs", "LiveServices", "probe_target", "run_doctor"]

PROBE_TIMEOUT_S = 5.0
GREETING_WAIT_S = 2.0
KEY_CHECK_PATH = "/test_framework/v1/scenarios/?page_size=1"
HTTP_TIMEOUT_S = 15.0
SERVICE_BUDGET_S = 60.0
"""Retries stop after this long in all: a doctor answers in about a minute at worst."""


def probe_target(
    target: str,
    *,
    secret: str | None,
    timeout_s: float = PROBE_TIMEOUT_S,
    greeting_wait_s: float = GREETING_WAIT_S,
) -> ProbeResult:
    """Load TARGET in an in-process shim on a free loopback port and probe one turn.

    The shim's turn timeout is half the probe's, so an agent too slow to answer is seen
    as the shim's fallback reply, and reported as such rather than passing.
    """
    from cekura_cli.shim import ShimConfig, start_shim_in_thread
    from cekura_cli.shim.probe import probe_headers, probe_websocket

    turn_timeout_s = timeout_s / 2
    handle = start_shim_in_thread(  # a TARGET that cannot load raises UsageError here
        ShimConfig(target=target, port=0, secret=secret, turn_timeout_s=turn_timeout_s)
    )
    try:
        result = probe_websocket(
            handle.url,
            headers=probe_headers(secret),
            timeout_s=timeout_s,
            greeting_wait_s=greeting_wait_s,
        )
    finally:
        handle.stop(timeout_s=timeout_s)
    return _no_fallback(result, f"within {turn_timeout_s:g} s")


def _no_fallback(result: ProbeResult, within: str) -> ProbeResult:
    """The shim's fallback text is not a reply: its agent missed the turn timeout."""
    from dataclasses import replace

    from cekura_cli.shim.server import FALLBACK_REPLY

    if result.reply != FALLBACK_REPLY:
        return result
    problem = f"the agent did not answer a probe message {within}"
    return replace(result, reply=None, problem=problem)


@dataclass
class LiveServices:
    """Builds :class:`Services` on one client; remembers the agent record for the report."""

    client: CekuraClient | None
    selection: Selection
    agent_id: int | None
    secret: str | None = field(default=None, repr=False)
    suite_count: Any = None
    """A callable giving the case count of a ``--suite`` file, when one was given."""
    record: AgentRecord | None = None

    def services(self) -> Services:
        return Services(
            check_key=self.check_key,
            fetch_agent=self.fetch_agent,
            verify_websocket=self.verify_websocket,
            probe=self.probe,
            probe_target=lambda target: probe_target(target, secret=self.secret),
            count_cases=self.count_cases,
        )

    def _client(self) -> CekuraClient:
        if self.client is None:  # the api-key check fails first; this is a guard
            from cekura_cli.errors import UsageError

            raise UsageError("no API key")
        return self.client

    def check_key(self) -> None:
        self._client().request_json("GET", KEY_CHECK_PATH, resource="the scenario list")

    def fetch_agent(self, agent_id: int) -> AgentView:
        from cekura_cli.api.agents import fetch_agent

        self.record = fetch_agent(self._client(), agent_id)
        return self.record.view

    def verify_websocket(self, url: str, headers: Mapping[str, str]) -> Any:
        from cekura_cli.api.agents import verify_websocket

        return verify_websocket(self._client(), url, headers, self.secret)

    def probe(self, url: str, headers: Sequence[tuple[str, str]]) -> ProbeResult:
        from cekura_cli.shim.probe import probe_headers, probe_websocket

        result = probe_websocket(
            url,
            headers=probe_headers(self.secret, headers),
            timeout_s=PROBE_TIMEOUT_S,
            greeting_wait_s=GREETING_WAIT_S,
        )
        return _no_fallback(result, "in time (its shim sent the fallback reply)")

    def count_cases(self) -> int:
        if self.suite_count is not None:
            return int(self.suite_count())
        from cekura_cli.runner import resolve_scenarios

        scenarios = resolve_scenarios(
            self._client(), self.selection, agent_id=self.agent_id, assistant_id=None
        )
        return len(scenarios)


# --- the flow: flags -> servers -> checks -> report ----------------------------------------


@dataclass
class DoctorArgs:
    tags: Sequence[str] | None = None
    match: Any = None
    exclude_tags: Sequence[str] | None = None
    scenario_ids: Sequence[str] | None = None
    suite: Path | None = None
    agent_id: int | None = None
    websocket_url: str | None = None
    serve: str | None = None
    public_url: str | None = None
    via: str | None = None
    local: bool = False
    scenarios_file: Path | None = None
    json_out: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_url: str | None = None

    def check(self) -> None:
        """Flag combinations that cannot work: one line each, exit 2, before any I/O."""
        from cekura_cli.errors import UsageError

        if self.local and self.api_url:
            raise UsageError("--local checks the built-in sandbox; drop --api-url")
        if self.scenarios_file is not None and not self.local:
            raise UsageError("--scenarios FILE is for --local")
        if self.serve and self.websocket_url:
            raise UsageError("pass either --serve TARGET or --websocket-url, not both")
        if self.public_url and not self.serve:
            raise UsageError("--public-url goes with --serve TARGET")
        if self.suite is not None and self.scenario_ids:
            raise UsageError("--scenario ids select the agent's scenarios, not --suite cases")
        urls = {"--websocket-url": self.websocket_url, "--public-url": self.public_url}
        for flag, url in urls.items():
            if url is not None:
                _check_ws_url(flag, url)


def _check_ws_url(flag: str, url: str) -> None:
    from urllib.parse import urlsplit

    from cekura_cli.errors import UsageError

    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise UsageError(f"{flag} {url!r} is not a valid URL") from None
    if parts.scheme.lower() not in {"ws", "wss"} or not parts.hostname:
        raise UsageError(f"{flag} {url!r} must be a ws:// or wss:// URL")


def _suite_counter(args: DoctorArgs) -> Any:
    """A callable counting the ``--suite`` file's selected cases (offline), or a usage
    error when this build has no suite support."""
    import importlib.util

    from cekura_cli.errors import UsageError

    if importlib.util.find_spec("cekura_cli.suite") is None:
        raise UsageError(f"--suite {args.suite}: suite files are not supported by this build")
    from cekura_cli.orchestration.selection import split_csv
    from cekura_cli.suite import resolve_suite_cases

    path = args.suite
    match = getattr(args.match, "value", args.match) or "any"

    def count() -> int:
        return len(
            resolve_suite_cases(
                path,
                tags=split_csv(args.tags or ()),
                match=match,
                exclude_tags=split_csv(args.exclude_tags or ()),
            )
        )

    return count


def _is_loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    from cekura_cli.doctor.providers import is_loopback_host

    return is_loopback_host(urlsplit(url).hostname)


def run_doctor(args: DoctorArgs, *, ui: Ui) -> ExitCode:
    """Run every check and report; exit 0 (all fine), 1 (a check failed) or 2 (bad flags).

    A flag error reaches the CLI boundary, which writes the ``--json`` error document
    (:mod:`cekura_cli.reporting.error_document`), as for every command.
    """
    return _run_doctor(args, ui)


def _run_doctor(args: DoctorArgs, ui: Ui) -> ExitCode:
    import os
    import time
    from contextlib import ExitStack

    from cekura_cli.api.client import CekuraClient
    from cekura_cli.commands.common import build_selection, check_report_paths, settings_from_flags
    from cekura_cli.commands.options import MatchMode
    from cekura_cli.doctor.checks import Doctor, Inputs, run_checks
    from cekura_cli.doctor.mode import RunMode, run_mode
    from cekura_cli.doctor.report import doctor_exit_code, render_lines, report_json, summary_line
    from cekura_cli.local import DEFAULT_LOCAL_AGENT, local_service, scenario_file
    from cekura_cli.plan import write_plan_json
    from cekura_cli.redact import register_secret
    from cekura_cli.runner import describe_selection

    args.check()
    check_report_paths(args.json_out, None)
    selection = build_selection(
        args.tags, args.match or MatchMode.ANY, args.exclude_tags, args.scenario_ids
    )
    suite_count = _suite_counter(args) if args.suite is not None else None
    secret = os.environ.get("CEKURA_WEBSOCKET_SECRET") or None
    register_secret(secret)
    # --local talks with a throw-away key, but an agent may still quote the real one
    register_secret(args.api_key or os.environ.get("CEKURA_API_KEY"))
    flags: dict[str, Any] = {
        "api_key": args.api_key, "api_url": args.api_url, "agent_id": args.agent_id
    }  # fmt: skip
    mode = run_mode(  # a combination a run would refuse is refused here too (exit 2)
        via=args.via,
        serve=args.serve,
        public_url=args.public_url,
        websocket_url=args.websocket_url,
        local=args.local,
    )
    api_chat = mode is RunMode.API_CHAT
    with ExitStack() as stack:
        if args.local:
            service = stack.enter_context(
                local_service(
                    scenarios=scenario_file(args.scenarios_file, Path.cwd()),
                    target=args.serve,
                    websocket_url=args.websocket_url,
                    secret=secret,
                    transcripts_dir=None,
                    ui=ui,
                    start_shim=not api_chat,  # API chat: the CLI plays the agent itself
                )
            )
            flags = {"api_key": service.api_key, "api_url": service.api_url,
                     "agent_id": service.agent_id}  # fmt: skip
        settings = settings_from_flags(**flags)
        key = settings.api_key_value()
        client = None
        if key:
            client = stack.enter_context(
                CekuraClient(base_url=settings.api_url, api_key=key, timeout_s=HTTP_TIMEOUT_S)
            )
            client.deadline = time.monotonic() + SERVICE_BUDGET_S  # a dead service: one FAIL
        live = LiveServices(client, selection, settings.agent_id, secret, suite_count)
        inputs = Inputs(
            api_key_present=bool(key),
            agent_id=settings.agent_id,
            mode=mode,
            websocket_url=None if args.local else args.websocket_url,
            public_url=bool(args.public_url),
            secret_present=secret is not None,
            # --local: the agent is the sandbox's WebSocket, unless the CLI plays it
            serve=(args.serve or DEFAULT_LOCAL_AGENT)
            if api_chat
            else (None if args.local else args.serve),
            selection=f"--suite {args.suite}" if args.suite else describe_selection(selection),
            selection_offline=args.suite is not None,
            service_is_local=_is_loopback_url(settings.api_url),
        )
        ui.info(f"cekura doctor: a run with these flags would use {_mode_text(mode)}")
        results = run_checks(Doctor(inputs, live.services()))
    for line in render_lines(results):
        ui.info(line)
    ui.info(summary_line(results))
    if args.json_out:
        agent = live.record.view.as_json() if live.record is not None else None
        write_plan_json(report_json(results, mode=mode, agent=agent), args.json_out, ui.stdout)
    return doctor_exit_code(results)


def _mode_text(mode: Any) -> str:
    from cekura_cli.doctor.mode import RunMode

    return {
        RunMode.WEBSOCKET: "WebSocket (the service opens the agent's WebSocket)",
        RunMode.API_CHAT: "API chat (the CLI drives the agent; nothing has to reach it)",
        RunMode.AGENT: "the agent's own chat connection",
    }[mode]
