"""``cekura run`` in API-chat mode: start the runs, drive every chat, wait, report.

The steps around the conversations are the orchestrator's own (:mod:`cekura_cli.runner`):
the start request is sent once (interrupts are held while it is in flight), the result
is waited for with the usual polling, and a timeout or an interrupt goes through
:func:`~cekura_cli.runner.stop_and_report`. API chat adds two hooks: every open chat
gets ``end-chat`` before the result's ``end_calls``, and a conversation that failed on
our side (the agent raised, hung or exited) is reported ``error`` with its cause.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cekura_cli.errors import UsageError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.wording import count

if TYPE_CHECKING:
    from cekura_cli.api.client import CekuraClient
    from cekura_cli.api.models import Run, Scenario
    from cekura_cli.runner import Links, StartRequest, WaitOptions
    from cekura_cli.ui import Ui

DEFAULT_CONCURRENCY = 10
MAX_CHAT_TIMEOUT_S = 3600
AMEND_WAIT_S = 10.0
"""After the result finished: how long to wait for the last conversations to be recorded."""


@dataclass(frozen=True)
class ApiChatOptions:
    target: str
    api_url: str
    api_key: str
    timeout_s: float
    concurrency: int | None = None
    transcripts_dir: Path | None = None
    turn_timeout_s: float = 30.0


def api_chat_body(request: StartRequest, scenario_ids: Sequence[int], timeout_s: float) -> dict:
    """The ``run_scenarios_api_chat`` body: the text-run body without what API chat lacks
    (``websocket_url``, ``concurrency_limit``), plus the conversations' lifetime."""
    body: dict[str, Any] = request.body(scenario_ids)
    body.pop("websocket_url", None)
    body.pop("concurrency_limit", None)
    body["timeout"] = max(1, min(MAX_CHAT_TIMEOUT_S, math.ceil(timeout_s)))
    return body


def drive_api_chat(
    client: CekuraClient,
    scenarios: list[Scenario],
    request: StartRequest,
    options: ApiChatOptions,
    *,
    wait_options: WaitOptions,
    links: Links,
    ui: Ui,
    started_at: float,
) -> ExitCode:
    from cekura_cli.apichat.io import ChatRun, DriveSettings
    from cekura_cli.apichat.pool import ChatPool, PoolConfig
    from cekura_cli.runner import (
        Clock,
        RunHooks,
        announce_result,
        stop_and_report,
        wait_and_report,
    )
    from cekura_cli.shim.adapters import load_agent
    from cekura_cli.ui import deferred_interrupts

    try:
        agent = load_agent(options.target)  # a bad TARGET fails here, before anything starts
    except SystemExit as exc:  # user code calling sys.exit() at import time
        raise UsageError(
            f"--serve {options.target}: cannot import agent {options.target!r}: "
            f"it exited while loading ({exc})"
        ) from None
    except UsageError as exc:  # name the flag, as the WebSocket path does (cekura_cli.local)
        if not exc.message.startswith("--serve "):
            exc.message = f"--serve {options.target}: {exc.message}"
        raise
    concurrency = options.concurrency or DEFAULT_CONCURRENCY
    config = PoolConfig(
        base_url=options.api_url,
        api_key=options.api_key,
        concurrency=concurrency,
        transcripts_dir=options.transcripts_dir,
        deadline=started_at + options.timeout_s,
        drive=DriveSettings(turn_timeout_s=options.turn_timeout_s),
    )
    names = {s.id: s.display_name for s in scenarios}
    body = api_chat_body(request, [s.id for s in scenarios], options.timeout_s)
    pool: ChatPool | None = None  # set below; the hooks read it late

    def before_stop(why: str) -> None:
        if pool is not None:
            ui.info(f"cekura: {why}; ending every open chat …")
            pool.stop(why)

    def amend_runs(runs: Sequence[Run]) -> Sequence[Run]:
        if pool is None:
            return runs
        pool.join(AMEND_WAIT_S)
        return pool.amend_runs(runs)

    hooks = RunHooks(before_stop=before_stop, amend_runs=amend_runs)
    pool = ChatPool(agent, config)  # a bad --transcripts DIR fails here, before the start
    result = None
    try:
        with deferred_interrupts() as interrupt:  # a sent start request is seen through
            result = client.start_api_chat_run(body)
        if interrupt.signalled:
            raise KeyboardInterrupt
        # the start response lists the runs; a service that leaves them out is asked once
        runs = list(result.runs) or list(client.get_result(result.id).runs)
        ui.info(
            f"cekura: started result {result.id} ({count(len(runs), 'run')}, API chat: "
            f"{options.target} plays the agent, {concurrency} at a time): "
            f"{links.result(result.id)}"
        )
        announce_result(result.id, links.result(result.id), ui=ui)  # result_id output, §13
        pool.start([ChatRun(run.id, result.id, run.scenario) for run in runs])
    except KeyboardInterrupt:
        if result is None:
            raise
        return stop_and_report(
            client,
            result.id,
            result,
            wait_options,
            ui=ui,
            url=links.result(result.id),
            timed_out=False,
            clock=Clock(),
            started_at=started_at,
            scenario_names=names,
            hooks=hooks,
        )
    try:
        return wait_and_report(
            client,
            result.id,
            wait_options,
            ui=ui,
            links=links,
            started_at=started_at,
            scenario_names=names,
            hooks=hooks,
        )
    finally:
        pool.stop("the run is over")  # no-op when every chat has ended
