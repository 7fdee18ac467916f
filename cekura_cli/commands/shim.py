"""``cekura shim serve TARGET``: expose a local agent over the Custom WebSocket protocol.

Only typer and the standard library at import time; the shim (websockets, httpx)
is imported inside the command so ``cekura --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from cekura_cli.exit_codes import ExitCode, exit_code_epilog

app = typer.Typer(
    help="Expose a local agent to the Cekura service over the Custom WebSocket protocol.",
    no_args_is_help=True,
)

TARGET_HELP = (
    "The agent: 'echo' or 'booking' (built-in demos), 'pkg.module:func' or "
    "'path/to/agent.py:func' (a Python callable), 'http://HOST/PATH' (an HTTP endpoint "
    "answering each turn), or 'exec:COMMAND' (a process per conversation, JSON Lines)."
)


@app.callback()
def _group() -> None:
    """Expose a local agent to the Cekura service over the Custom WebSocket protocol."""
    # a callback keeps `serve` a subcommand even while it is the only one


EPILOG = exit_code_epilog(
    (ExitCode.OK, ExitCode.USAGE, ExitCode.SERVICE),
    {
        ExitCode.OK: "stopped by SIGTERM/SIGINT; open conversations drained and written",
        ExitCode.USAGE: "usage error: bad TARGET or option, the port is in use",
        ExitCode.SERVICE: "internal error (one line; CEKURA_DEBUG=1 for the traceback)",
    },
)


@app.command("serve", epilog=EPILOG)
def serve(
    target: str = typer.Argument(..., help=TARGET_HELP, metavar="TARGET"),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port (0: any free port)."),
    secret_env: str | None = typer.Option(
        None,
        "--secret-env",
        metavar="VAR",
        help="Environment variable holding the WebSocket secret (default "
        "CEKURA_WEBSOCKET_SECRET, where unset means no auth; a VAR named here must be set).",
    ),
    transcripts: Path | None = typer.Option(
        None,
        "--transcripts",
        metavar="DIR",
        help="Write every finished conversation as one JSON file here.",
    ),
    max_conversations: int = typer.Option(
        2000,  # runner.DEFAULT_MAX_CONVERSATIONS (not imported: keeps --help fast)
        "--max-conversations",
        min=1,
        metavar="N",
        help="Cap on concurrent conversations (past it: close 1013, try again later).",
    ),
    turn_timeout: float = typer.Option(
        20.0,  # runner.DEFAULT_TURN_TIMEOUT_S: under the tester's 30 s
        "--turn-timeout",
        min=0.001,
        metavar="SECONDS",
        help="Per-turn agent deadline; a fallback reply is sent when it is missed.",
    ),
) -> ExitCode:
    """Serve TARGET until SIGTERM/SIGINT, then drain open conversations and exit 0.

    The secret is checked in constant time (mismatch: close 1008). The agent gets the
    X- headers (secret removed) and the run/scenario/result ids. GET /healthz answers
    200; GET /calls serves finished conversations (Authorization: the secret or
    'Bearer <secret>').
    """
    import asyncio
    import contextlib
    import gc
    import logging
    import signal

    from cekura_cli.orchestration.guards import DEFAULT_SECRET_ENV, secret_from_env
    from cekura_cli.redact import RedactingFilter, register_secret
    from cekura_cli.shim.adapters import load_agent
    from cekura_cli.shim.runner import ShimConfig, serve_shim

    secret = secret_from_env(os.environ, secret_env)
    secret_env = secret_env or DEFAULT_SECRET_ENV
    register_secret(secret)
    # the agent (in-process callables, exec children) must never see the secret
    os.environ.pop(secret_env, None)

    logger = logging.getLogger("cekura_cli.shim")
    if not logger.handlers and not logging.getLogger("cekura_cli").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cekura shim: %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)

    config = ShimConfig(
        target=target,
        host=host,
        port=port,
        secret=secret,
        transcripts_dir=transcripts,
        max_conversations=max_conversations,
        turn_timeout_s=turn_timeout,
    )
    agent = load_agent(target)  # UsageError (exit 2) before anything listens
    auth = "on" if secret else "off"

    def announce(url: str) -> None:
        sys.stderr.write(f"cekura shim: serving {target} on {url} (auth: {auth})\n")
        sys.stderr.flush()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
                with contextlib.suppress(ValueError):  # not the main thread: caller owns them
                    signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
        await serve_shim(config, ready=announce, stop=stop, agent=agent)

    # Everything imported so far lives as long as the process: move it out of the
    # garbage collector's way, so full collections (which pause every conversation)
    # only walk what serving creates.
    gc.collect()
    gc.freeze()
    asyncio.run(main())
    sys.stderr.write("cekura shim: stopped\n")
    return ExitCode.OK
