"""The sandbox's data: one agent, its scenarios, and the results and runs created so far.

Pure state: no sockets, no threads, no sleeping; the wall clock is injected (it only
stamps ``created_at``-style fields). The JSON renderers live in
:mod:`cekura_cli.sandbox.shapes` (mixed in). Callers serialise access (the server holds
one lock around dispatch and updates).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from cekura_cli.sandbox.records import (
    TERMINAL_RUN,
    Outcome,
    ResultRecord,
    ResultStatus,
    RunRecord,
    RunStatus,
    iso,
    mm_ss,
)
from cekura_cli.sandbox.scenario_file import ScenarioSpec, Suite, TestProfile
from cekura_cli.sandbox.shapes import ServiceShapes

__all__ = [
    "TERMINAL_RUN",
    "Outcome",
    "ResultRecord",
    "ResultStatus",
    "RunRecord",
    "RunStatus",
    "SandboxState",
    "iso",
    "mm_ss",
]

FIRST_RESULT_ID = 1
FIRST_RUN_ID = 1001  # distinct from result ids so a client mixing them up is caught


class SandboxState(ServiceShapes):
    """Everything the emulated service knows. Not thread-safe: callers hold a lock."""

    def __init__(
        self,
        suite: Suite,
        *,
        agent_websocket_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.suite = suite
        self.agent = suite.agent
        self.agent_websocket_url = agent_websocket_url or suite.agent.websocket_url
        self.clock = clock
        self.scenarios: list[ScenarioSpec] = list(suite.scenarios)
        self.scenario_index: dict[int, ScenarioSpec] = suite.scenario_by_id()
        self.test_profiles: dict[int, TestProfile] = suite.test_profile_by_id()
        self.results: dict[int, ResultRecord] = {}
        self.runs: dict[int, RunRecord] = {}
        self._next_result_id = FIRST_RESULT_ID
        self._next_run_id = FIRST_RUN_ID
        self.started_at = clock()
        self.chats: dict[int, Any] = {}  # run id -> api_chat.ChatSession (API-chat runs)
        self.faults: Any = None  # the FaultPlan, for the API-chat faults

    # --- changes -----------------------------------------------------------------

    def create_result(
        self,
        *,
        name: str | None,
        scenarios: Iterable[ScenarioSpec],
        frequency: int,
        websocket_url: str,
        websocket_headers: dict[str, str],
        personality_ids: list[int],
        test_profile_ids: list[int],
        concurrency_limit: int | None,
    ) -> ResultRecord:
        """Create a result with scenarios × frequency × personalities × test profiles runs."""
        now = self.clock()
        result_id = self._next_result_id
        self._next_result_id += 1
        result = ResultRecord(
            id=result_id,
            name=name or f"Sandbox run {result_id}",
            websocket_url=websocket_url,
            websocket_headers=dict(websocket_headers),
            created_at=now,
            updated_at=now,
            run_ids=[],
            frequency=frequency,
            concurrency_limit=concurrency_limit,
            personality_ids=list(personality_ids),
            test_profile_ids=list(test_profile_ids),
        )
        personalities: list[int | None] = list(personality_ids) or [None]
        for scenario in scenarios:
            profiles: list[TestProfile | None]
            if test_profile_ids:
                profiles = [self.test_profiles[i] for i in test_profile_ids]
            elif scenario.test_profile is not None:
                profiles = [self.test_profiles[scenario.test_profile]]
            else:
                profiles = [None]
            number = 0
            for _ in range(frequency * scenario.frequency):
                for personality in personalities:
                    for profile in profiles:
                        number += 1
                        run = RunRecord(
                            id=self._next_run_id,
                            result_id=result_id,
                            scenario=scenario,
                            number=number,
                            personality=personality,
                            test_profile=profile,
                            created_at=now,
                        )
                        self._next_run_id += 1
                        self.runs[run.id] = run
                        result.run_ids.append(run.id)
        self.results[result_id] = result
        return result

    def run_started(self, run_id: int) -> bool:
        """pending -> in_progress; False when the run was already ended (end_calls)."""
        run = self.runs[run_id]
        if run.terminal:
            return False
        run.status = RunStatus.IN_PROGRESS
        run.executed_at = self.clock()
        self._touch(run.result_id)
        return True

    def run_evaluating(self, run_id: int) -> None:
        run = self.runs[run_id]
        if not run.terminal:
            run.status = RunStatus.EVALUATING
            self._touch(run.result_id)

    def run_finished(self, run_id: int, outcome: Outcome) -> None:
        """Record the outcome; a run already ended by end_calls keeps its status."""
        run = self.runs[run_id]
        if run.terminal:
            if run.outcome is not None and outcome.transcript_object:
                # keep what was said before the call was ended, but not the verdict
                run.outcome.transcript = outcome.transcript
                run.outcome.transcript_object = outcome.transcript_object
                run.outcome.duration_s = outcome.duration_s
            return
        run.status = outcome.status
        run.outcome = outcome
        self._touch(run.result_id)

    def end_calls(self, result_id: int) -> list[int]:
        """Mark every unfinished run of the result cancelled; returns their ids."""
        ended: list[int] = []
        for run_id in self.results[result_id].run_ids:
            run = self.runs[run_id]
            if run.terminal:
                continue
            run.status = RunStatus.CANCELLED
            run.outcome = Outcome(
                status=RunStatus.CANCELLED,
                success=False,
                error_message="The call was ended by an end_calls request before it finished.",
            )
            ended.append(run_id)
        if ended:
            self._touch(result_id)
        return ended

    def _touch(self, result_id: int) -> None:
        self.results[result_id].updated_at = self.clock()
