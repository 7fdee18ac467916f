"""Agent adapters: one Protocol (:mod:`.base`) and a registry that maps TARGET to an Agent.

``load_agent(target)`` tries, in order: a built-in agent name (``echo``,
``booking``), then each :data:`ADAPTERS` entry whose ``matches`` accepts the target
(``exec:COMMAND``, ``http(s)://URL``, ``module:function`` / ``file.py:function``).
Adding a form is one module with a ``load(target)`` function and one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cekura_cli.errors import UsageError
from cekura_cli.shim.adapters import exec as exec_adapter
from cekura_cli.shim.adapters import http as http_adapter
from cekura_cli.shim.adapters import python_callable
from cekura_cli.shim.adapters.base import Agent, AgentError, AgentReply, AgentSession

__all__ = [
    "ADAPTERS",
    "BUILTIN_AGENTS",
    "Agent",
    "AgentError",
    "AgentReply",
    "AgentSession",
    "AdapterKind",
    "load_agent",
]


@dataclass(frozen=True)
class AdapterKind:
    """One TARGET form: how to recognise it and how to load it."""

    name: str
    matches: Callable[[str], bool]
    load: Callable[[str], Agent]
    example: str


def _echo() -> Agent:
    from cekura_cli.shim.agents.echo import EchoAgent  # agents import adapters.base

    return EchoAgent()


def _booking() -> Agent:
    from cekura_cli.shim.agents.booking import BookingAgent

    return BookingAgent()


BUILTIN_AGENTS: dict[str, Callable[[], Agent]] = {
    "echo": _echo,
    "booking": _booking,
}

ADAPTERS: dict[str, AdapterKind] = {
    "exec": AdapterKind(
        "exec", exec_adapter.looks_like_exec_target, exec_adapter.load, "exec:'node agent.js'"
    ),
    "http": AdapterKind(
        "http", http_adapter.looks_like_http_target, http_adapter.load, "http://127.0.0.1:9000/turn"
    ),
    "python": AdapterKind(
        "python",
        python_callable.looks_like_callable_target,
        python_callable.load,
        "my_pkg.agent:reply or agent.py:reply",
    ),
}


def describe_targets() -> str:
    builtins = ", ".join(BUILTIN_AGENTS)
    forms = "; ".join(kind.example for kind in ADAPTERS.values())
    return f"a built-in agent ({builtins}); {forms}"


def load_agent(target: str) -> Agent:
    """The Agent for ``target``; raises UsageError (exit 2) with one clear line if bad."""
    target = target.strip()
    factory = BUILTIN_AGENTS.get(target)
    if factory is not None:
        return factory()
    for kind in ADAPTERS.values():
        if kind.matches(target):
            return kind.load(target)
    raise UsageError(f"unknown agent TARGET {target!r}", hint=f"use {describe_targets()}")
