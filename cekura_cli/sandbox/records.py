"""The records behind the sandbox's state: statuses, runs, results and outcomes.

Plain data (no I/O). :class:`~cekura_cli.sandbox.state.SandboxState` owns them and
:mod:`cekura_cli.sandbox.shapes` renders them in the service's JSON shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from cekura_cli.sandbox.scenario_file import ScenarioSpec, TestProfile


class RunStatus(str, Enum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    EVALUATING = "evaluating"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class ResultStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"


TERMINAL_RUN: frozenset[RunStatus] = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.TIMEOUT, RunStatus.CANCELLED}
)


def iso(ts: float) -> str:
    """``2025-02-25T21:00:01.990052Z``, the service's timestamp style."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mm_ss(seconds: float | None) -> str | None:
    """Durations are ``MM:SS`` strings in the service's run shape."""
    if seconds is None:
        return None
    whole = max(0, round(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


@dataclass
class Outcome:
    """What the tester and the evaluation made of one conversation."""

    status: RunStatus
    success: bool
    error_message: str | None = None
    evaluation: dict[str, Any] | None = None
    expected_outcome: dict[str, Any] | None = None
    transcript: str = ""
    transcript_object: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    failed_checks: list[str] = field(default_factory=list)


@dataclass
class RunRecord:
    id: int
    result_id: int
    scenario: ScenarioSpec
    number: int  # 1-based repeat index among the result's runs of this scenario
    personality: int | None
    test_profile: TestProfile | None
    created_at: float
    status: RunStatus = RunStatus.PENDING
    executed_at: float | None = None
    outcome: Outcome | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_RUN


@dataclass
class ResultRecord:
    id: int
    name: str
    websocket_url: str
    websocket_headers: dict[str, str]
    created_at: float
    run_ids: list[int]
    frequency: int
    concurrency_limit: int | None
    personality_ids: list[int]
    test_profile_ids: list[int]
    updated_at: float = 0.0
