"""The service's JSON shapes, rendered from the sandbox's state (``cekura-api.md``).

The start (201) response; the result detail with ``runs`` keyed by run-id strings, the
``*_runs_count`` fields, ``success_rate`` on a 0..100 scale and ``failed_reasons``; full
runs for ``runs/bulk``; scenario list items; the agent. A mixin of
:class:`~cekura_cli.sandbox.state.SandboxState`, so callers write ``state.result_json(id)``.
"""

from __future__ import annotations

from typing import Any

from cekura_cli.sandbox.records import (
    ResultRecord,
    ResultStatus,
    RunRecord,
    RunStatus,
    iso,
    mm_ss,
)
from cekura_cli.sandbox.scenario_file import AgentSpec, ScenarioSpec, Suite, TestProfile


class ServiceShapes:
    """JSON renderers; the attributes below are provided by ``SandboxState``."""

    suite: Suite
    agent: AgentSpec
    agent_websocket_url: str | None
    test_profiles: dict[int, TestProfile]
    results: dict[int, ResultRecord]
    runs: dict[int, RunRecord]
    started_at: float

    def result_runs(self, result_id: int) -> list[RunRecord]:
        return [self.runs[i] for i in self.results[result_id].run_ids]

    def result_status(self, result_id: int) -> ResultStatus:
        runs = self.result_runs(result_id)
        if runs and all(r.terminal for r in runs):
            return ResultStatus.COMPLETED
        if any(r.status is not RunStatus.PENDING for r in runs):
            return ResultStatus.RUNNING
        return ResultStatus.PENDING if runs else ResultStatus.COMPLETED

    def scenario_json(self, scenario: ScenarioSpec) -> dict[str, Any]:
        profile = self.test_profiles.get(scenario.test_profile) if scenario.test_profile else None
        return {
            "id": scenario.id,
            "name": scenario.name,
            "agent": self.agent.id,
            "agent_name": self.agent.name,
            "tags": list(scenario.tags),
            "folder_path": None,
            "scenario_type": "instruction",
            "scenario_language": "en",
            "instructions": scenario.description or _script_text(scenario),
            "expected_outcome_prompt": scenario.expected_outcome
            or _expectations_text(scenario, self.suite.first_speaker(scenario)),
            "first_message": scenario.turns[0].say
            if self.suite.first_speaker(scenario) == "tester"
            else "",
            "personality": None,
            "personality_name": None,
            "test_profile": profile.id if profile else None,
            "test_profile_data": _profile_json(profile, self.agent.id),
            "metrics": [],
            "metric_names": [],
            "tool_ids": [],
            "phone_number": "",
            "inbound_phone_number": None,
            "created_at": iso(self.started_at),
            "updated_at": iso(self.started_at),
        }

    def run_summary_json(self, run: RunRecord) -> dict[str, Any]:
        """A run as listed in the start (201) response."""
        return {
            "id": run.id,
            "status": run.status.value,
            "scenario": run.scenario.id,
            "scenario_name": run.scenario.name,
            "number": None,
            "inbound_number": None,
            "test_profile_data": _profile_json(run.test_profile, self.agent.id),
            "outbound_dial_window_opens_at": None,
            "outbound_dial_window_seconds": None,
            "outbound_dial_window_closes_at": None,
        }

    def run_detail_json(self, run: RunRecord) -> dict[str, Any]:
        """A run inside a result detail (no transcript, like the service)."""
        outcome = run.outcome
        return {
            "id": run.id,
            "scenario": run.scenario.id,
            "scenario_name": run.scenario.name,
            "status": run.status.value,
            "success": outcome.success if outcome and run.terminal else False,
            "expected_outcome": outcome.expected_outcome if outcome else None,
            "evaluation": outcome.evaluation if outcome else None,
            "error_message": (outcome.error_message or "") if outcome else "",
            "timestamp": iso(run.created_at),
            "executed_at": iso(run.executed_at) if run.executed_at else None,
            "duration": mm_ss(outcome.duration_s) if outcome else None,
            "personality_name": _personality_name(run.personality),
            "metadata": dict(outcome.metadata) if outcome else {},
            "outbound_number": None,
            "inbound_number": None,
        }

    def run_full_json(self, run: RunRecord) -> dict[str, Any]:
        """A run as ``runs/bulk`` returns it: everything, transcript included."""
        outcome = run.outcome
        terminal = run.terminal and outcome is not None
        # Always one of the schema's four values: a run that is not (or never will be) a
        # successful evaluation reads "failure", as the OpenAPI's non-null enum has it.
        evaluation_status = "failure"
        if terminal and run.status is RunStatus.COMPLETED and outcome.success:
            evaluation_status = "success"
        return {
            **self.run_detail_json(run),
            "agent": self.agent.id,
            "agent_name": self.agent.name,
            "result_id": run.result_id,
            "result_name": self.results[run.result_id].name,
            "scenario_type": "instruction",
            "scenario_instructions": run.scenario.description or _script_text(run.scenario),
            "expected_outcome_prompt": run.scenario.expected_outcome
            or _expectations_text(run.scenario, self.suite.first_speaker(run.scenario)),
            "personality": run.personality,
            "evaluation_status": evaluation_status,
            "transcript": outcome.transcript if outcome else "",
            "transcript_object": list(outcome.transcript_object) if outcome else [],
            "test_profile_data": _profile_json(run.test_profile, self.agent.id),
            "run_as_text": True,
            "run_type": "text",
            "is_reviewed": False,
            "critical_categories": [],
        }

    def start_response_json(self, result: ResultRecord) -> dict[str, Any]:
        return {
            "id": result.id,
            "agent": self.agent.id,
            "name": result.name,
            "status": self.result_status(result.id).value,
            "run_as_text": True,
            "created_at": iso(result.created_at),
            "updated_at": iso(result.updated_at),
            "success_rate": 0,
            "runs": [self.run_summary_json(self.runs[i]) for i in result.run_ids],
        }

    def result_json(self, result_id: int) -> dict[str, Any]:
        result = self.results[result_id]
        runs = self.result_runs(result_id)
        done = [r for r in runs if r.terminal]
        passed = [
            r for r in done if r.status is RunStatus.COMPLETED and r.outcome and r.outcome.success
        ]
        failed = [r for r in done if r not in passed]
        infrastructure = [r.id for r in failed if r.status is not RunStatus.COMPLETED]
        workflow = [r.id for r in failed if r.status is RunStatus.COMPLETED]
        scenarios = {r.scenario.id: r.scenario.name for r in runs}
        total_s = sum((r.outcome.duration_s or 0.0) for r in done if r.outcome)
        return {
            "id": result.id,
            "name": result.name,
            "agent": self.agent.id,
            "status": self.result_status(result_id).value,
            "run_as_text": True,
            "is_cronjob": False,
            "created_at": iso(result.created_at),
            "updated_at": iso(result.updated_at),
            "total_runs_count": len(runs),
            "completed_runs_count": len(done),
            "success_runs_count": len(passed),
            "failed_runs_count": len(failed),
            "met_expected_outcome_count": len(passed),
            "total_expected_outcome_count": len(done),
            "success_rate": round(100.0 * len(passed) / len(runs), 2) if runs else 0,
            "total_duration": mm_ss(total_s),
            "runs": {str(r.id): self.run_detail_json(r) for r in runs},
            "scenarios": [{"id": i, "name": n} for i, n in scenarios.items()],
            "failed_reasons": _failed_reasons(failed),
            "failed_infrastructure_runs": infrastructure,
            "failed_workflow_runs": workflow,
            "run_settings": {
                "frequency": result.frequency,
                "concurrency_limit": result.concurrency_limit,
                "personality_ids": result.personality_ids,
                "test_profile_ids": result.test_profile_ids,
            },
        }

    def agent_json(self) -> dict[str, Any]:
        agent = self.agent
        return {
            "id": agent.id,
            "project": agent.project,
            "organization": 1,
            "agent_name": agent.name,
            "description": "Emulated by the cekura-cli sandbox.",
            "inbound": True,
            "language": "en",
            "assistant_id": agent.assistant_id,
            "chat_assistant_id": None,
            "contact_number": None,
            "websocket_url": self.agent_websocket_url,
            "websocket_headers": dict(agent.websocket_headers),
            "assistant_provider": "self_hosted",  # the schema's value for a WebSocket agent
            "transcript_provider": None,
            "agent_gives_first_message": self.suite.defaults.first_speaker == "agent",
            "vapi_api_key_configured": False,
            "retell_api_key_configured": False,
            "elevenlabs_api_key_configured": False,
            "created_at": iso(self.started_at),
            "updated_at": iso(self.started_at),
        }


def _profile_json(profile: TestProfile | None, agent_id: int) -> dict[str, Any] | None:
    if profile is None:
        return None
    return {
        "id": profile.id,
        "agent": agent_id,
        "name": profile.name,
        "information": dict(profile.information),
    }


def _personality_name(personality: int | None) -> str:
    return "Default" if personality is None else f"Personality {personality}"


def _script_text(scenario: ScenarioSpec) -> str:
    return "Say, one message per turn: " + " / ".join(repr(t.say) for t in scenario.turns)


def _expectations_text(scenario: ScenarioSpec, first_speaker: str) -> str:
    from cekura_cli.sandbox.evaluation import describe_expectations

    checks = describe_expectations(scenario, first_speaker)
    return "; ".join(checks) or "The agent answers every turn."


def _failed_reasons(failed: list[RunRecord]) -> dict[str, Any]:
    """Group failed runs by their first failed check (the service's ``failed_reasons``)."""
    groups: dict[str, list[int]] = {}
    for run in failed:
        outcome = run.outcome
        if outcome is None:
            reason = f"Run ended with status {run.status.value}"
        elif outcome.error_message:
            reason = outcome.error_message
        elif outcome.failed_checks:
            reason = f"Failed check: {outcome.failed_checks[0]}"
        else:
            reason = f"Run ended with status {run.status.value}"
        groups.setdefault(reason, []).append(run.id)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0]))
    return {
        "issues": [
            {"rank": rank, "run_ids": ids, "description": text, "affected_count": len(ids)}
            for rank, (text, ids) in enumerate(ordered, start=1)
        ],
        "total_failed_runs": len(failed),
    }
