"""``exec:COMMAND``: one process per conversation, JSON Lines over stdin/stdout.

The process is started when the conversation opens. The shim writes one JSON object
per line (:func:`turn_request`: ``start``, then one ``message`` per tester message,
then ``end`` before closing stdin) and reads exactly one JSON line back for each
``start`` and ``message`` (a list of messages, ``{"messages": [...]}``, one message,
a string, or ``null`` for no reply). stderr is passed through. When a turn timed out,
its late answer line is read and discarded before the next one, so replies never
shift. The process gets our environment minus any variable holding a secret.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
from typing import Any

from cekura_cli.errors import UsageError
from cekura_cli.redact import redact
from cekura_cli.shim.adapters.base import (
    EVENT_END,
    EVENT_MESSAGE,
    EVENT_START,
    AgentError,
    AgentReply,
    StatelessAgentBase,
    reply_from_json,
    turn_request,
)
from cekura_cli.shim.session import SessionContext

PREFIX = "exec:"
LINE_LIMIT_BYTES = 16 << 20
EXIT_GRACE_S = 2.0
SECRET_ENV_NAMES = ("CEKURA_WEBSOCKET_SECRET", "CEKURA_API_KEY")


def looks_like_exec_target(target: str) -> bool:
    return target.startswith(PREFIX)


def child_environment() -> dict[str, str]:
    """Our environment without secrets (by well-known name or registered value)."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in SECRET_ENV_NAMES and redact(value) == value
    }


class ExecSession:
    def __init__(self, argv: list[str]) -> None:
        self._argv = argv
        self._proc: asyncio.subprocess.Process | None = None
        self._unread = 0  # replies owed by the process (more than 1 after a timeout)

    async def _start(self) -> asyncio.subprocess.Process:
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=child_environment(),
                limit=LINE_LIMIT_BYTES,
            )
        except OSError as exc:
            raise AgentError(f"cannot start agent process: {exc.strerror or exc}") from exc
        return self._proc

    async def _send(self, request: dict[str, Any]) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            await proc.stdin.drain()
        except (OSError, RuntimeError) as exc:  # BrokenPipe / ConnectionReset
            raise AgentError("agent process is not reading its input") from exc

    async def _ask(self, request: dict[str, Any]) -> AgentReply:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        await self._send(request)
        self._unread += 1
        while True:
            try:
                line = await proc.stdout.readline()
            except (ValueError, asyncio.LimitOverrunError) as exc:
                raise AgentError("agent process wrote an over-long line") from exc
            if not line:
                code = await proc.wait()
                raise AgentError(f"agent process exited with code {code}")
            self._unread -= 1
            if self._unread == 0:
                break  # earlier lines were late answers to timed-out turns
        try:
            return reply_from_json(json.loads(line))
        except (ValueError, RecursionError) as exc:
            raise AgentError("agent process wrote a line that is not JSON") from exc

    async def on_start(self, context: SessionContext) -> AgentReply:
        await self._start()
        return await self._ask(turn_request(EVENT_START, context))

    async def on_message(self, text: str, context: SessionContext) -> AgentReply:
        if self._proc is None:
            await self._start()
        return await self._ask(turn_request(EVENT_MESSAGE, context, text))

    async def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None and proc.stdin is not None:
            try:
                proc.stdin.write(json.dumps({"event": EVENT_END}).encode() + b"\n")
                proc.stdin.close()
            except (OSError, RuntimeError):
                pass
        try:
            await asyncio.wait_for(proc.wait(), EXIT_GRACE_S)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()


class ExecAgent(StatelessAgentBase):
    def __init__(self, target: str) -> None:
        command = target[len(PREFIX) :].strip()
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise UsageError(f"cannot parse agent command {command!r}: {exc}") from exc
        if not argv:
            raise UsageError("exec: needs a command, e.g. exec:'python my_agent.py'")
        if shutil.which(argv[0]) is None:
            raise UsageError(f"agent command not found: {argv[0]!r}")
        self.name = target
        self.argv = argv

    def open(self, context: SessionContext) -> ExecSession:
        return ExecSession(self.argv)


def load(target: str) -> ExecAgent:
    return ExecAgent(target)
