"""Runs the conversations a start request created, on the sandbox's event loop.

For each run: wait for a concurrency slot (the sandbox's ``concurrency`` and the
request's ``concurrency_limit``), mark it ``in_progress``, hold the scripted
conversation, mark it ``evaluating``, evaluate, and store the outcome (``completed``
with ``success``, or ``failed`` with ``error_message``). The sandbox-wide slot is given
back as soon as the tester has said its last word, so the 1 s close delay of many
conversations overlaps; the request's ``concurrency_limit`` counts whole conversations.
``end_calls`` sends ``end_call`` to the conversations still talking and closes them
(the state already marked them ``cancelled``). Run-level faults (never finishing,
erroring, results that cannot complete before a minimum duration) are applied here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from cekura_cli.sandbox.dispatch import Effect, EndCalls, StartRuns
from cekura_cli.sandbox.evaluation import outcome_of
from cekura_cli.sandbox.faults import RunFaultKind
from cekura_cli.sandbox.scenario_file import ScenarioSpec
from cekura_cli.sandbox.server import SandboxCore
from cekura_cli.sandbox.state import Outcome, RunStatus
from cekura_cli.sandbox.tester import (
    CallControl,
    ConversationPlan,
    run_conversation,
    vocera_headers,
)

log = logging.getLogger("cekura_cli.sandbox")

INJECTED_RUN_ERROR = "injected fault (runs:error): the sandbox failed this run on purpose"


@dataclass(frozen=True)
class EngineSettings:
    concurrency: int
    turn_timeout_s: float
    close_delay_s: float
    websocket_secret: str | None


class ConversationEngine:
    """Lives on one event loop; ``apply`` is called there (``call_soon_threadsafe``)."""

    def __init__(self, core: SandboxCore, settings: EngineSettings) -> None:
        self.core = core
        self.settings = settings
        self.slots = asyncio.Semaphore(max(1, settings.concurrency))
        self.controls: dict[int, CallControl] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def apply(self, effects: tuple[Effect, ...]) -> None:
        for effect in effects:
            if isinstance(effect, StartRuns):
                self._spawn(self.run_result(effect.result_id))
            elif isinstance(effect, EndCalls):
                for run_id in effect.run_ids:
                    control = self.controls.get(run_id)
                    if control is not None:
                        self._spawn(control.end(self.settings.close_delay_s))

    def _spawn(self, coroutine: object) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[arg-type]
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def shutdown(self) -> None:
        """Cancel everything in flight (the sandbox is stopping)."""
        for control in list(self.controls.values()):
            control.stopped = True
            control.ended.set()
            if control.ws is not None:
                control.ws.transport.abort()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def run_result(self, result_id: int) -> None:
        with self.core.lock:
            result = self.core.state.results[result_id]
            run_ids = list(result.run_ids)
            limit = result.concurrency_limit
        created = asyncio.get_running_loop().time()
        per_result = asyncio.Semaphore(limit) if limit else None
        for run_id in run_ids:
            self.controls[run_id] = CallControl()
        await asyncio.gather(*(self.run_one(run_id, per_result, created) for run_id in run_ids))

    async def run_one(
        self, run_id: int, per_result: asyncio.Semaphore | None, created: float
    ) -> None:
        control = self.controls.setdefault(run_id, CallControl())
        try:
            outcome = await self._converse(run_id, control, per_result)
            if outcome is None:
                return
            minimum = self.core.faults.min_result_duration_s
            remaining = created + minimum - asyncio.get_running_loop().time()
            if remaining > 0:
                await asyncio.sleep(remaining)
            with self.core.lock:
                self.core.state.run_finished(run_id, outcome)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a sandbox bug must not leave a run hanging forever
            log.exception("sandbox: run %s crashed", run_id)
            with self.core.lock:
                self.core.state.run_finished(
                    run_id,
                    Outcome(
                        status=RunStatus.FAILED,
                        success=False,
                        error_message=f"internal sandbox error: {type(exc).__name__}: {exc}",
                    ),
                )
        finally:
            self.controls.pop(run_id, None)

    async def _converse(
        self, run_id: int, control: CallControl, per_result: asyncio.Semaphore | None
    ) -> Outcome | None:
        if per_result is not None:
            await per_result.acquire()
        try:
            await self.slots.acquire()
            released = False

            def release() -> None:
                nonlocal released
                if not released:
                    released = True
                    self.slots.release()

            control.release = release
            try:
                with self.core.lock:
                    if not self.core.state.run_started(run_id):
                        return None  # ended by end_calls while it waited for a slot
                    plan, scenario, first_speaker = self._plan(run_id)
                fault = self.core.faults.for_run() if self.core.faults else None
                if fault is RunFaultKind.NEVER_FINISH:
                    release()
                    await control.ended.wait()
                    return None
                if fault is RunFaultKind.ERROR:
                    return Outcome(
                        status=RunStatus.FAILED, success=False, error_message=INJECTED_RUN_ERROR
                    )
                record = await run_conversation(plan, control)
            finally:
                release()
        finally:
            # the request's concurrency_limit counts whole conversations, close included
            if per_result is not None:
                per_result.release()
        with self.core.lock:
            self.core.state.run_evaluating(run_id)
        return outcome_of(scenario, first_speaker, record)

    def _plan(self, run_id: int) -> tuple[ConversationPlan, ScenarioSpec, str]:
        state = self.core.state
        run = state.runs[run_id]
        result = state.results[run.result_id]
        extra = dict(result.websocket_headers)
        extra.update(run.scenario.headers)
        if run.test_profile is not None:
            extra.update(
                {
                    k: str(v)
                    for k, v in run.test_profile.information.items()
                    if k.lower().startswith("x-")
                }
            )
        first_speaker = state.suite.first_speaker(run.scenario)
        plan = ConversationPlan(
            url=result.websocket_url,
            turns=tuple(turn.say for turn in run.scenario.turns),
            headers=vocera_headers(
                secret=self.settings.websocket_secret,
                scenario_id=run.scenario.id or 0,
                result_id=run.result_id,
                run_id=run.id,
                extra=extra,
            ),
            first_speaker=first_speaker,
            greeting_timeout_s=state.suite.defaults.greeting_timeout_s,
            turn_timeout_s=self.settings.turn_timeout_s,
            close_delay_s=self.settings.close_delay_s,
            end_call_content=run.scenario.end_call_content,
        )
        return plan, run.scenario, first_speaker
