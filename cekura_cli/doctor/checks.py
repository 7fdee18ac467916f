"""The doctor's checks, in the order of the troubleshooting page, as data.

Each :class:`Check` has a name, a title and a ``run`` function that gets the
:class:`Doctor` (what was asked, the injected I/O in :class:`Services`, and what earlier
checks learned) and returns an :class:`Outcome`: ``ok``, ``FAIL`` with a one-line fix,
or ``skip`` (does not apply, or needs something an earlier check could not get).
:func:`run_checks` runs every check, whatever the others did: a doctor reports all.

Pure: no I/O here; the command wires :class:`Services` to the API client, the WebSocket
probe and the shim. Text from the service or the agent goes into ``detail`` as data and
is cleaned for the terminal by :mod:`.report`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from cekura_cli.doctor import fixes
from cekura_cli.doctor.agent_view import AgentView
from cekura_cli.doctor.mode import RunMode
from cekura_cli.doctor.providers import check_pathway_id, check_websocket_url, is_loopback_host
from cekura_cli.errors import AuthError, CekuraError, NoScenariosError, UsageError

if TYPE_CHECKING:
    from cekura_cli.api.agents import Verification
    from cekura_cli.shim.probe import ProbeResult

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "Doctor",
    "Inputs",
    "Outcome",
    "Services",
    "Status",
    "run_checks",
]


class Status(str, Enum):
    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str
    fix: str | None = None


def ok(detail: str) -> Outcome:
    return Outcome(Status.OK, detail)


def fail(detail: str, fix: str) -> Outcome:
    return Outcome(Status.FAIL, detail, fix)


def skip(detail: str) -> Outcome:
    return Outcome(Status.SKIP, detail)


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    status: Status
    detail: str
    fix: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status.value.lower(),
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Inputs:
    """What the user asked the doctor about (secrets only as present / absent)."""

    api_key_present: bool
    agent_id: int | None
    mode: RunMode
    websocket_url: str | None = None
    """``--websocket-url``: where the run would send its conversations instead."""
    public_url: bool = False
    """``--serve`` with ``--public-url``: the run passes its own WebSocket URL."""
    secret_present: bool = False
    serve: str | None = None
    selection: str = "all scenarios of the agent"
    service_is_local: bool = False
    """The API is on loopback (the sandbox), so it can reach loopback WebSockets."""
    selection_offline: bool = False
    """The cases come from a ``--suite`` file: counting them needs no key or agent."""


@dataclass(frozen=True)
class Services:
    """The I/O the checks need, injected (the tests pass fakes or real loopback servers)."""

    check_key: Callable[[], None]
    fetch_agent: Callable[[int], AgentView]
    verify_websocket: Callable[[str, Mapping[str, str]], Verification]
    probe: Callable[[str, Sequence[tuple[str, str]]], ProbeResult]
    probe_target: Callable[[str], ProbeResult]
    count_cases: Callable[[], int]


@dataclass
class Doctor:
    inputs: Inputs
    services: Services
    key_ok: bool = False
    agent: AgentView | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def websocket_url(self) -> str | None:
        """Where a run's conversations would go, when that is a WebSocket we can probe."""
        if self.inputs.websocket_url:
            return self.inputs.websocket_url
        if self.agent is not None and self.agent.chat.provider == "websocket":
            return self.agent.chat.websocket_url
        return None

    @property
    def agent_headers(self) -> dict[str, str]:
        if self.inputs.websocket_url or self.agent is None:
            return {}
        return dict(self.agent.chat.headers)


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: Callable[[Doctor], Outcome]


def _error_text(exc: CekuraError) -> str:
    return exc.message.rstrip(".")


# --- the checks --------------------------------------------------------------------------


def check_api_key(doctor: Doctor) -> Outcome:
    if not doctor.inputs.api_key_present:
        return fail("no API key", fixes.SET_API_KEY)
    try:
        doctor.services.check_key()
    except AuthError as exc:
        return fail(_error_text(exc), fixes.NEW_API_KEY)
    except CekuraError as exc:
        return fail(f"could not check the key: {_error_text(exc)}", fixes.CHECK_API_URL)
    doctor.key_ok = True
    return ok("present and accepted")


def check_agent(doctor: Doctor) -> Outcome:
    agent_id = doctor.inputs.agent_id
    if agent_id is None:
        return fail("no agent id", fixes.SET_AGENT_ID)
    if not doctor.key_ok:
        return skip("needs an accepted API key")
    try:
        agent = doctor.services.fetch_agent(agent_id)
    except UsageError as exc:  # not found under either route
        return fail(_error_text(exc), fixes.AGENT_NOT_FOUND)
    except CekuraError as exc:
        return fail(f"could not read agent {agent_id}: {_error_text(exc)}", fixes.CHECK_API_URL)
    doctor.agent = agent
    if agent.enabled is False:
        return fail(f"agent {agent_id} is disabled", fixes.ENABLE_AGENT.format(id=agent_id))
    name = f" {agent.name!r}" if agent.name else ""
    project = f" (project {agent.project})" if agent.project is not None else ""
    return ok(f"agent {agent_id}{name}{project}")


def _connection_not_needed(doctor: Doctor) -> str | None:
    if doctor.inputs.mode is RunMode.API_CHAT:
        return "not needed: a run with --serve and no --public-url uses API chat"
    if doctor.inputs.websocket_url:
        return f"not needed: the run sends its conversations to {doctor.inputs.websocket_url}"
    if doctor.inputs.serve and doctor.inputs.public_url:
        return "not needed: the run sends its conversations to --public-url"
    return None


def check_chat_provider(doctor: Doctor) -> Outcome:
    if doctor.agent is None:
        return skip("needs the agent")
    reason = _connection_not_needed(doctor)
    if reason:
        return ok(reason)
    chat = doctor.agent.chat
    if chat.provider is None:
        return fail(
            f"Chat provider not configured: agent {doctor.agent.id} has no chat connection",
            fixes.CONNECT,
        )
    spec = chat.spec
    if spec is None:
        return ok(f"{chat.provider} (set up in the dashboard; its settings are not checked)")
    return ok(f"{spec.name} ({spec.label})")


def check_provider_settings(doctor: Doctor) -> Outcome:
    if doctor.agent is None or _connection_not_needed(doctor):
        return skip("needs the agent's own chat connection")
    chat = doctor.agent.chat
    spec = chat.spec
    if spec is None:
        return skip("no chat provider this tool can check")
    if spec.name == "websocket":
        if not chat.websocket_url:
            return fail("the WebSocket connection has no URL", fixes.CONNECT_WEBSOCKET)
        try:
            check_websocket_url(chat.websocket_url, flag="the agent's WebSocket URL")
        except UsageError as exc:
            return fail(exc.message, fixes.CONNECT_WEBSOCKET)
        return ok(f"URL {chat.websocket_url}")
    if not chat.assistant_id:
        return fail(f"no {spec.label} {spec.id_flag.lstrip('-')}", fixes.connect_for(spec))
    if spec.id_kind == "uuid":
        try:
            check_pathway_id(chat.assistant_id, flag="the pathway id")
        except UsageError as exc:
            return fail(exc.message, fixes.connect_for(spec))
    elif any(ch.isspace() for ch in chat.assistant_id):
        problem = f"the {spec.label} id {chat.assistant_id!r} has spaces"
        return fail(problem, fixes.connect_for(spec))
    if chat.key_configured is False:
        return fail(f"the {spec.label} API key is not set", fixes.connect_for(spec))
    key = {True: "API key configured", None: "API key: not reported"}[chat.key_configured]
    return ok(f"{spec.id_flag.lstrip('-')} {chat.assistant_id}; {key}")


def _websocket_skip(doctor: Doctor) -> str | None:
    if doctor.inputs.mode is RunMode.API_CHAT:
        return "API chat uses no WebSocket"
    if doctor.inputs.serve and not doctor.inputs.websocket_url:
        return "see the --serve check"
    if doctor.websocket_url is None:
        return "the run would not use a WebSocket" if doctor.agent else "needs the agent"
    return None


def check_verify_websocket(doctor: Doctor) -> Outcome:
    reason = _websocket_skip(doctor)
    if reason:
        return skip(reason)
    if not doctor.key_ok:
        return skip("needs an accepted API key")
    url = doctor.websocket_url or ""
    from urllib.parse import urlsplit

    if is_loopback_host(urlsplit(url).hostname) and not doctor.inputs.service_is_local:
        return skip("the service cannot reach a loopback address; the local probe checks it")
    try:
        verdict = doctor.services.verify_websocket(url, doctor.agent_headers)
    except CekuraError as exc:
        if getattr(exc, "status_code", None) in {404, 405, 410}:
            return skip("unverified: the service has no verify-websocket route")
        return fail(f"verify-websocket failed: {_error_text(exc)}", fixes.CHECK_API_URL)
    if verdict.connected is None:
        return skip("unverified: the service answered in a shape this tool does not know")
    if not verdict.connected:
        why = verdict.error or "it could not connect"
        fix = fixes.REACHABLE.format(url=url)
        if "1008" in why or "nauthori" in why:
            fix = fixes.SECRET_MISMATCH if doctor.inputs.secret_present else fixes.SECRET_MISSING
        return fail(f"the service could not open {url}: {why}", fix)
    opening = f"; opening message {verdict.opening_message!r}" if verdict.opening_message else ""
    return ok(f"the service connected to {url}{opening}")


def _probe_outcome(result: ProbeResult, url: str, *, secret_present: bool) -> Outcome:
    if result.refused:
        fix = fixes.SECRET_MISMATCH if secret_present else fixes.SECRET_MISSING
        return fail(f"{url} refused the secret (close code 1008)", fix)
    if not result.connected:
        return fail(f"cannot open {url}: {result.problem}", fixes.REACHABLE.format(url=url))
    if result.problem and result.pong is False:
        return fail(result.problem, fixes.PONGS)
    if result.problem and result.greeting is None and result.reply is None:
        return fail(f"{url}: {result.problem}", fixes.ANSWER)
    if result.problem:
        return fail(f"{url}: {result.problem}", fixes.REACHABLE.format(url=url))
    said = f"greeting {result.greeting!r}" if result.greeting else f"reply {result.reply!r}"
    return ok(f"{url} accepted the handshake; {said}; pong answered")


def check_probe(doctor: Doctor) -> Outcome:
    reason = _websocket_skip(doctor)
    if reason:
        return skip(reason)
    url = doctor.websocket_url or ""
    headers = list(doctor.agent_headers.items())
    result = doctor.services.probe(url, headers)
    return _probe_outcome(result, url, secret_present=doctor.inputs.secret_present)


def check_serve(doctor: Doctor) -> Outcome:
    target = doctor.inputs.serve
    if not target:
        return skip("no --serve TARGET")
    try:
        result = doctor.services.probe_target(target)
    except CekuraError as exc:
        return fail(f"TARGET {target!r} does not load: {_error_text(exc)}", fixes.TARGET)
    outcome = _probe_outcome(result, f"TARGET {target!r}", secret_present=True)
    mode = f"; a run would use {doctor.inputs.mode.value}"
    return Outcome(outcome.status, outcome.detail + mode, outcome.fix)


def check_selection(doctor: Doctor) -> Outcome:
    offline = doctor.inputs.selection_offline
    if not offline and (not doctor.key_ok or doctor.inputs.agent_id is None):
        return skip("needs an accepted API key and an agent")
    try:
        count = doctor.services.count_cases()
    except NoScenariosError as exc:
        return fail(_error_text(exc), fixes.SELECTION)
    except CekuraError as exc:
        return fail(f"could not resolve the selection: {_error_text(exc)}", fixes.SELECTION)
    noun = "case" if count == 1 else "cases"
    return ok(f"{count} {noun} ({doctor.inputs.selection})")


CHECKS: tuple[Check, ...] = (
    Check("api-key", "API key present and accepted", check_api_key),
    Check("agent", "Agent found and enabled", check_agent),
    Check("chat-provider", "A chat provider configured", check_chat_provider),
    Check("provider-settings", "Provider ids well-formed", check_provider_settings),
    Check("verify-websocket", "The service reaches the WebSocket", check_verify_websocket),
    Check("websocket-probe", "The WebSocket speaks the protocol", check_probe),
    Check("serve", "--serve TARGET loads and answers", check_serve),
    Check("selection", "The selection resolves to at least one case", check_selection),
)


def run_checks(doctor: Doctor, checks: Sequence[Check] = CHECKS) -> list[CheckResult]:
    """Every check in order; one that fails does not stop the others."""
    results: list[CheckResult] = []
    for check in checks:
        try:
            outcome = check.run(doctor)
        except Exception as exc:  # a broken check must not hide the others' answers
            outcome = fail(f"the check crashed: {type(exc).__name__}: {exc}", fixes.REPORT_BUG)
        results.append(
            CheckResult(check.name, check.title, outcome.status, outcome.detail, outcome.fix)
        )
    return results
