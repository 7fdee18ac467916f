"""Fault injection: make the sandbox misbehave on purpose, on chosen requests and runs.

A fault is one compact spec string (``--fault SPEC``, repeatable, or
``CEKURA_SANDBOX_FAULTS="SPEC;SPEC"``). Request faults::

    METHOD ENDPOINT:ACTION[:key=value]...
      METHOD    GET | POST | *
      ENDPOINT  scenarios | scenario | run | results | runs_bulk | end_calls | agent |
                run_json | *
                or a path glob such as /test_framework/v1/results/*
      ACTION    400..599        answer with that status and a DRF-style body
                malformed       answer 200 with a truncated (unparseable) JSON body
                drop            close the connection without answering (nothing done)
                drop_after_read do the request (e.g. create the result), then close
                                the connection without answering
                slow            wait `delay` seconds, then answer normally
      keys      times=N (the first N matching requests) | nth=N (only the Nth) |
                rate=P (each with probability P, seeded) | retry_after=S (a
                Retry-After header) | delay=S (for slow; default 1)

Run faults::

    runs:never_finish[:times=N|nth=N|rate=P]   runs stay in_progress until end_calls
    runs:error[:...]                           runs fail with an infrastructure error
    results:slow:min_duration=S                no result completes before S seconds

API-chat faults (``--via api-chat``; request faults name its endpoints ``api_chat_run``,
``chat`` (a turn's submit), ``chat_turn`` (a poll) and ``end_chat``)::

    chat:slow_user:delay=S                     every simulated-user reply takes S seconds
    chat:error[:times=N|nth=N|rate=P]          that reply fails: its turn is `error`

Without times/nth/rate a fault applies to every match. Faults are checked in the order
given; delays add up and the first other action that fires wins (a fault that did not
get to act is not used up). The plan is pure apart from its counters (thread-safe).
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from cekura_cli.errors import ConfigError

ENV_VAR = "CEKURA_SANDBOX_FAULTS"

ENDPOINTS = frozenset(
    {"scenarios", "scenario", "run", "results", "runs_bulk", "end_calls", "agent", "*"}
    | {"api_chat_run", "chat", "chat_turn", "end_chat"}
    | {"run_json"}
)
METHODS = frozenset({"GET", "POST", "*"})


class Action(str, Enum):
    STATUS = "status"
    MALFORMED = "malformed"
    DROP = "drop"
    DROP_AFTER_READ = "drop_after_read"
    SLOW = "slow"


class RunFaultKind(str, Enum):
    NEVER_FINISH = "never_finish"
    ERROR = "error"


@dataclass
class _Trigger:
    """When a matching fault fires: every time, the first N times, the Nth, or at a rate."""

    times: int | None = None
    nth: int | None = None
    rate: float | None = None
    matched: int = 0
    fired: int = 0

    def wants(self, rng: random.Random) -> bool:
        """Count one match; True when the fault should act on it."""
        self.matched += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None and self.matched != self.nth:
            return False
        return not (self.rate is not None and rng.random() >= self.rate)


@dataclass
class RequestFault:
    spec: str
    method: str
    endpoint: str
    action: Action
    status: int | None = None
    retry_after_s: float | None = None
    delay_s: float = 1.0
    trigger: _Trigger = field(default_factory=_Trigger)

    def matches(self, method: str, endpoint: str, path: str) -> bool:
        if self.method != "*" and self.method != method:
            return False
        if self.endpoint.startswith("/"):
            return fnmatch.fnmatchcase(path, self.endpoint)
        return self.endpoint in ("*", endpoint)


@dataclass
class RunFault:
    spec: str
    kind: RunFaultKind
    trigger: _Trigger = field(default_factory=_Trigger)


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request."""

    delay_s: float = 0.0
    action: Action | None = None
    status: int | None = None
    retry_after_s: float | None = None
    spec: str | None = None


class FaultPlan:
    """The parsed faults plus their counters."""

    def __init__(
        self,
        request_faults: Sequence[RequestFault] = (),
        run_faults: Sequence[RunFault] = (),
        *,
        min_result_duration_s: float = 0.0,
        seed: int = 0,
        chat_reply_delay_s: float = 0.0,
        chat_error_faults: Sequence[RunFault] = (),
    ) -> None:
        self.request_faults = list(request_faults)
        self.run_faults = list(run_faults)
        self.min_result_duration_s = min_result_duration_s
        self.chat_reply_delay_s = chat_reply_delay_s
        self.chat_error_faults = list(chat_error_faults)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.fired: dict[str, int] = {}

    @classmethod
    def empty(cls) -> FaultPlan:
        return cls()

    def __bool__(self) -> bool:
        return bool(
            self.request_faults
            or self.run_faults
            or self.min_result_duration_s
            or self.chat_reply_delay_s
            or self.chat_error_faults
        )

    def for_request(self, method: str, endpoint: str, path: str) -> FaultDecision:
        """Decide the fate of one request (counts the match for every fault it matches)."""
        delay, chosen = 0.0, None
        with self._lock:
            for fault in self.request_faults:
                if not fault.matches(method, endpoint, path):
                    continue
                if fault.action is Action.SLOW:
                    if fault.trigger.wants(self._rng):
                        delay += fault.delay_s
                        self._count(fault.trigger, fault.spec)
                    continue
                if chosen is None and fault.trigger.wants(self._rng):
                    chosen = fault
                    self._count(fault.trigger, fault.spec)
                elif chosen is not None:
                    fault.trigger.matched += 1
        if chosen is None:
            return FaultDecision(delay_s=delay)
        return FaultDecision(
            delay_s=delay,
            action=chosen.action,
            status=chosen.status,
            retry_after_s=chosen.retry_after_s,
            spec=chosen.spec,
        )

    def for_run(self) -> RunFaultKind | None:
        """The fault (if any) for the next run that starts."""
        with self._lock:
            for fault in self.run_faults:
                if fault.trigger.wants(self._rng):
                    self._count(fault.trigger, fault.spec)
                    return fault.kind
        return None

    def for_chat_reply(self) -> bool:
        """True when the next simulated-user reply should fail (an `error` turn)."""
        with self._lock:
            for fault in self.chat_error_faults:
                if fault.trigger.wants(self._rng):
                    self._count(fault.trigger, fault.spec)
                    return True
        return False

    def _count(self, trigger: _Trigger, spec: str) -> None:
        trigger.fired += 1
        self.fired[spec] = self.fired.get(spec, 0) + 1

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self.fired)


# --- parsing -----------------------------------------------------------------------

_ACTIONS = "a status 400-599, malformed, drop, drop_after_read or slow"


def _number(spec: str, key: str, text: str, *, integer: bool) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"bad fault spec {spec!r}: {key}={text!r} is not {kind}") from None
    if value < 0 or (integer and value == 0 and key in ("times", "nth")):
        raise ConfigError(f"bad fault spec {spec!r}: {key} must be positive")
    return value


def _options(spec: str, parts: Sequence[str], allowed: Sequence[str]) -> dict[str, float]:
    options: dict[str, float] = {}
    for part in parts:
        key, sep, text = part.partition("=")
        key = key.strip()
        if not sep or key not in allowed:
            raise ConfigError(
                f"bad fault spec {spec!r}: unknown option {part!r} (allowed: {', '.join(allowed)})"
            )
        options[key] = _number(spec, key, text.strip(), integer=key in ("times", "nth"))
    if "nth" in options and ("times" in options or "rate" in options):
        raise ConfigError(f"bad fault spec {spec!r}: nth cannot be combined with times or rate")
    if "rate" in options and not 0 < options["rate"] <= 1:
        raise ConfigError(f"bad fault spec {spec!r}: rate must be in (0, 1]")
    return options


def _trigger(options: Mapping[str, float]) -> _Trigger:
    return _Trigger(
        times=int(options["times"]) if "times" in options else None,
        nth=int(options["nth"]) if "nth" in options else None,
        rate=options.get("rate"),
    )


_TRIGGER_KEYS = ("times", "nth", "rate")


def _parse_request_fault(spec: str, head: str, rest: str) -> RequestFault:
    method, _, endpoint = head.partition(" ")
    method, endpoint = method.strip().upper(), endpoint.strip()
    if method not in METHODS:
        raise ConfigError(f"bad fault spec {spec!r}: method {method!r} is not GET, POST or *")
    if not endpoint.startswith("/") and endpoint not in ENDPOINTS:
        names = ", ".join(sorted(ENDPOINTS - {"*"}))
        raise ConfigError(
            f"bad fault spec {spec!r}: unknown endpoint {endpoint!r} "
            f"(use {names}, * or a /path/glob)"
        )
    action_text, *option_parts = [p.strip() for p in rest.split(":")]
    if action_text.isdigit():
        status = int(action_text)
        if not 400 <= status <= 599:
            raise ConfigError(f"bad fault spec {spec!r}: status {status} is not in 400-599")
        options = _options(spec, option_parts, (*_TRIGGER_KEYS, "retry_after"))
        return RequestFault(
            spec=spec,
            method=method,
            endpoint=endpoint,
            action=Action.STATUS,
            status=status,
            retry_after_s=options.get("retry_after"),
            trigger=_trigger(options),
        )
    try:
        action = Action(action_text)
    except ValueError:
        raise ConfigError(
            f"bad fault spec {spec!r}: unknown action {action_text!r} (use {_ACTIONS})"
        ) from None
    if action is Action.STATUS:
        raise ConfigError(f"bad fault spec {spec!r}: give the status code itself, e.g. 503")
    allowed = (*_TRIGGER_KEYS, "delay") if action is Action.SLOW else _TRIGGER_KEYS
    options = _options(spec, option_parts, allowed)
    return RequestFault(
        spec=spec,
        method=method,
        endpoint=endpoint,
        action=action,
        delay_s=options.get("delay", 1.0),
        trigger=_trigger(options),
    )


def parse_fault_specs(specs: Sequence[str], *, seed: int = 0) -> FaultPlan:
    """Parse fault specs (see the module docstring); ConfigError names the bad one."""
    request_faults: list[RequestFault] = []
    run_faults: list[RunFault] = []
    min_duration = 0.0
    chat_delay = 0.0
    chat_errors: list[RunFault] = []
    for raw in specs:
        spec = raw.strip()
        if not spec:
            continue
        head, sep, rest = spec.partition(":")
        if not sep or not rest.strip():
            raise ConfigError(
                f"bad fault spec {spec!r}: expected 'METHOD ENDPOINT:ACTION[:key=value]', "
                "'runs:never_finish', 'runs:error' or 'results:slow:min_duration=S'"
            )
        if " " in head.strip():
            request_faults.append(_parse_request_fault(spec, head, rest))
            continue
        kind_text, *option_parts = [p.strip() for p in rest.split(":")]
        target = head.strip()
        if target == "runs" and kind_text in {k.value for k in RunFaultKind}:
            options = _options(spec, option_parts, _TRIGGER_KEYS)
            run_faults.append(RunFault(spec, RunFaultKind(kind_text), _trigger(options)))
        elif target == "results" and kind_text == "slow":
            options = _options(spec, option_parts, ("min_duration",))
            if "min_duration" not in options:
                raise ConfigError(f"bad fault spec {spec!r}: results:slow needs min_duration=S")
            min_duration = max(min_duration, options["min_duration"])
        elif target == "chat" and kind_text == "slow_user":
            options = _options(spec, option_parts, ("delay",))
            chat_delay = max(chat_delay, options.get("delay", 1.0))
        elif target == "chat" and kind_text == "error":
            options = _options(spec, option_parts, _TRIGGER_KEYS)
            chat_errors.append(RunFault(spec, RunFaultKind.ERROR, _trigger(options)))
        else:
            raise ConfigError(
                f"bad fault spec {spec!r}: unknown fault; request faults start with a method "
                "('GET results:503'); run faults are runs:never_finish, runs:error and "
                "results:slow:min_duration=S"
            )
    return FaultPlan(
        request_faults,
        run_faults,
        min_result_duration_s=min_duration,
        seed=seed,
        chat_reply_delay_s=chat_delay,
        chat_error_faults=chat_errors,
    )


def specs_from_env(environ: Mapping[str, str]) -> list[str]:
    """The ``;``-separated specs of ``CEKURA_SANDBOX_FAULTS`` (empty when unset)."""
    return [s.strip() for s in environ.get(ENV_VAR, "").split(";") if s.strip()]
