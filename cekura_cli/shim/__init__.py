"""The WebSocket agent shim: expose any agent over the Custom WebSocket chat protocol.

Layout: :mod:`.protocol`, :mod:`.session`, :mod:`.transcript` are pure (no I/O);
:mod:`.server` is the websockets glue; :mod:`.runner` starts it (coroutine or
thread); :mod:`.adapters` holds the Agent protocol and the TARGET registry;
:mod:`.agents` the bundled demo agents. Names below are imported lazily so that
``import cekura_cli.shim`` stays cheap for ``cekura --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "ShimConfig",
    "ShimHandle",
    "load_agent",
    "serve_shim",
    "start_shim_in_thread",
]

_LAZY = {
    "ShimConfig": "cekura_cli.shim.runner",
    "ShimHandle": "cekura_cli.shim.runner",
    "serve_shim": "cekura_cli.shim.runner",
    "start_shim_in_thread": "cekura_cli.shim.runner",
    "load_agent": "cekura_cli.shim.adapters",
}

if TYPE_CHECKING:
    from cekura_cli.shim.adapters import load_agent
    from cekura_cli.shim.runner import ShimConfig, ShimHandle, serve_shim, start_shim_in_thread


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
