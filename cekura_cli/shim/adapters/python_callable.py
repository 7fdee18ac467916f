"""``package.module:function`` / ``path/to/file.py:function``: a Python callable agent.

The callable is called as ``fn(history, context)``:

- once when the connection opens, with ``history == []`` (return ``None`` or ``""``
  for no greeting);
- once per tester message, with the conversation so far (a fresh list, its last
  entry being ``{"role": "user", "content": <tester text>}``).

It returns a string, a message dict, or a list of protocol messages (see
``plan_turn``). ``async def`` callables are awaited on the event loop; plain
functions run in a daemon thread each call, so a slow or blocking agent never stalls
the loop (pings keep being answered) and can never keep the process from exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cekura_cli.errors import UsageError
from cekura_cli.shim.adapters.base import AgentReply, StatelessAgentBase
from cekura_cli.shim.session import SessionContext


def looks_like_callable_target(target: str) -> bool:
    ref, sep, attr = target.rpartition(":")
    return bool(sep and ref and attr) and "://" not in target


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"agent file not found: {path}")
    name = f"cekura_shim_agent_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load agent file {path}")
    module = importlib.util.module_from_spec(spec)
    # let the agent import its sibling modules, as `python file.py` would
    parent = str(path.resolve().parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_callable(target: str) -> Callable[..., Any]:
    """Import the callable named by ``target``; UsageError with one clear line if not."""
    ref, _, attr = target.rpartition(":")
    try:
        if ref.endswith(".py") or os.sep in ref or "/" in ref:
            module = _import_file(Path(ref))
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())  # `cekura` as a console script lacks cwd
            module = importlib.import_module(ref)
    except UsageError:
        raise
    except SystemExit as exc:  # `sys.exit()` at import time must not end cekura silently
        raise UsageError(
            f"cannot import agent {ref!r}: it called sys.exit({exc.code!r}) while loading"
        ) from exc
    except Exception as exc:  # any import-time failure of user code is a bad TARGET
        raise UsageError(f"cannot import agent {ref!r}: {type(exc).__name__}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise UsageError(f"agent {target!r}: {ref!r} has no attribute {attr!r}") from exc
    if not callable(obj):
        raise UsageError(f"agent {target!r} is not callable")
    return obj


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - async callable objects
    )


async def run_in_daemon_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking ``fn(*args)`` in a new daemon thread and await its result.

    Not the loop's default executor: its threads are joined at interpreter exit, so a
    hung agent would keep a stopped shim alive. A cancelled await abandons the thread.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            outcome = (True, fn(*args))
        except BaseException as exc:  # handed to the awaiting coroutine
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name="cekura-shim-agent", daemon=True).start()
    return await future


class CallableSession:
    def __init__(self, fn: Callable[..., Any], is_async: bool) -> None:
        self._fn = fn
        self._is_async = is_async

    async def _call(self, history: list[dict[str, Any]], context: SessionContext) -> AgentReply:
        if self._is_async:
            reply = await self._fn(history, context)
        else:
            reply = await run_in_daemon_thread(self._fn, history, context)
        if inspect.isawaitable(reply):
            reply = await reply
        return reply

    async def on_start(self, context: SessionContext) -> AgentReply:
        return await self._call([], context)

    async def on_message(self, text: str, context: SessionContext) -> AgentReply:
        return await self._call(list(context.history), context)

    async def close(self) -> None:
        return None


class CallableAgent(StatelessAgentBase):
    def __init__(self, target: str, fn: Callable[..., Any] | None = None) -> None:
        self.name = target
        self._fn = fn if fn is not None else load_callable(target)
        self._is_async = _is_async(self._fn)

    def open(self, context: SessionContext) -> CallableSession:
        return CallableSession(self._fn, self._is_async)


def load(target: str) -> CallableAgent:
    return CallableAgent(target)
