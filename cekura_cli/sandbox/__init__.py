"""The local sandbox: an emulation of the Cekura service for ``cekura run --local``.

Layout: :mod:`.scenario_file` (the scenario-file models and JSON Schema),
:mod:`.loader` (YAML/JSON -> models, errors with file:line); the pure service —
:mod:`.records`, :mod:`.state` and :mod:`.shapes` (data and its JSON shapes),
:mod:`.messages`, :mod:`.dispatch` and :mod:`.start_request` (request dispatch),
:mod:`.faults` (fault injection); the testing agent — :mod:`.conversation`,
:mod:`.tester`, :mod:`.checks` and :mod:`.evaluation`; the glue — :mod:`.engine` (event
loop), :mod:`.server` (HTTP) and :mod:`.runner` (start/stop in-process).

Importing this package is cheap; the public names below load their modules lazily::

    load_suite(path | None) -> Suite
    SandboxConfig(suite, host=..., port=0, api_key=None, agent_websocket_url=None,
                  websocket_secret=None, faults=None, concurrency=..., close_delay_s=1.0,
                  turn_timeout_s=30.0)
    start_sandbox_in_thread(config) -> SandboxHandle  # .url .agent_id .stop() .stats()
    parse_fault_specs(specs, *, seed=0) -> FaultPlan
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cekura_cli.sandbox.faults import FaultPlan, parse_fault_specs
    from cekura_cli.sandbox.loader import load_suite
    from cekura_cli.sandbox.runner import SandboxConfig, SandboxHandle, start_sandbox_in_thread
    from cekura_cli.sandbox.scenario_file import Suite

_EXPORTS = {
    "FaultPlan": "cekura_cli.sandbox.faults",
    "parse_fault_specs": "cekura_cli.sandbox.faults",
    "load_suite": "cekura_cli.sandbox.loader",
    "SandboxConfig": "cekura_cli.sandbox.runner",
    "SandboxHandle": "cekura_cli.sandbox.runner",
    "start_sandbox_in_thread": "cekura_cli.sandbox.runner",
    "Suite": "cekura_cli.sandbox.scenario_file",
}

__all__ = [
    "FaultPlan",
    "SandboxConfig",
    "SandboxHandle",
    "Suite",
    "load_suite",
    "parse_fault_specs",
    "start_sandbox_in_thread",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
