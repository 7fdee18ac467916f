"""Turn a scenario's expectations and a conversation record into the service's verdict.

One binary metric per expectation, named after what it checks (``turn 2: reply contains
'booked'``) and explained so that a person knows what to fix: what was expected, in
which turn, and what the agent actually said or did. ``success`` is true when every
metric passed; ``expected_outcome`` summarises the failures. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cekura_cli.sandbox.checks import (
    CheckFn,
    contains,
    ends_call,
    greeting_contains,
    greets_first,
    list_texts,
    matches,
    max_latency,
    max_turns,
    no_tool_calls,
    not_contains,
    tool_called,
    turns_text,
)
from cekura_cli.sandbox.conversation import ConversationRecord, record_transcript
from cekura_cli.sandbox.records import Outcome, RunStatus
from cekura_cli.sandbox.scenario_file import (
    ConversationExpectation,
    ScenarioSpec,
    ToolCallExpectation,
    TurnExpectation,
    texts,
)


@dataclass(frozen=True)
class Metric:
    name: str
    evaluate: CheckFn


@dataclass
class Verdict:
    success: bool
    metrics: list[dict[str, Any]]
    expected_outcome: dict[str, Any]
    failed_checks: list[str]

    @property
    def evaluation(self) -> dict[str, Any]:
        return {"metrics": self.metrics}

    @property
    def evaluation_status(self) -> str:
        return "success" if self.success else "failure"


# --- planning: which metrics a scenario has ---------------------------------------


def plan_metrics(scenario: ScenarioSpec, first_speaker: str) -> list[Metric]:
    """Every metric the scenario's expectations produce, in a stable order."""
    metrics: list[Metric] = []
    expect = scenario.expect or ConversationExpectation()
    if first_speaker == "agent":
        metrics.append(Metric("greeting: the agent speaks first", greets_first))
        wanted = texts(expect.greeting_contains)
        if wanted:
            metrics.append(
                Metric(f"greeting contains {list_texts(wanted)}", greeting_contains(wanted))
            )
    for index, turn in enumerate(scenario.turns, start=1):
        if turn.expect is not None:
            metrics.extend(_turn_metrics(index, turn.expect))
    if expect.agent_ends_call is not None:
        name = (
            "the agent ends the call" if expect.agent_ends_call else "the agent keeps the call open"
        )
        metrics.append(Metric(f"conversation: {name}", ends_call(expect.agent_ends_call, scenario)))
    if expect.max_turns is not None:
        metrics.append(
            Metric(
                f"conversation: over within {turns_text(expect.max_turns)}",
                max_turns(expect.max_turns),
            )
        )
    if expect.max_turn_latency_s is not None:
        metrics.append(
            Metric(
                f"conversation: every reply within {expect.max_turn_latency_s:g} s",
                max_latency(expect.max_turn_latency_s),
            )
        )
    return metrics


def describe_expectations(scenario: ScenarioSpec, first_speaker: str = "agent") -> list[str]:
    """The checks in words (the scenario's ``expected_outcome_prompt``)."""
    return [m.name for m in plan_metrics(scenario, first_speaker)]


def _turn_metrics(index: int, expect: TurnExpectation) -> list[Metric]:
    metrics: list[Metric] = []
    prefix = f"turn {index}:"
    wanted = texts(expect.reply_contains)
    if wanted:
        metrics.append(
            Metric(f"{prefix} reply contains {list_texts(wanted)}", contains(index, wanted))
        )
    unwanted = texts(expect.reply_not_contains)
    if unwanted:
        metrics.append(
            Metric(
                f"{prefix} reply does not contain {list_texts(unwanted)}",
                not_contains(index, unwanted),
            )
        )
    if expect.reply_matches is not None:
        metrics.append(
            Metric(
                f"{prefix} reply matches /{expect.reply_matches}/",
                matches(index, expect.reply_matches),
            )
        )
    tools = expect.tool_called
    for tool in [tools] if isinstance(tools, ToolCallExpectation) else (tools or []):
        args = f" with {json.dumps(tool.arguments)}" if tool.arguments else ""
        metrics.append(Metric(f"{prefix} calls {tool.name}{args}", tool_called(index, tool)))
    if expect.no_tool_calls:
        metrics.append(Metric(f"{prefix} no tool calls", no_tool_calls(index)))
    return metrics


# --- the verdict -------------------------------------------------------------------

PASS_MARK = "\u2705"  # the service marks each expected-outcome line: check mark / cross
FAIL_MARK = "\u274c"


def evaluate(scenario: ScenarioSpec, first_speaker: str, record: ConversationRecord) -> Verdict:
    """Every metric of the scenario, evaluated against what happened."""
    metrics: list[dict[str, Any]] = []
    failed: list[str] = []
    for number, metric in enumerate(plan_metrics(scenario, first_speaker), start=1):
        passed, explanation = metric.evaluate(record)
        metrics.append(
            {
                "id": number,
                "name": metric.name,
                "type": "binary",
                "score": 1 if passed else 0,
                "value": passed,
                "explanation": explanation,
            }
        )
        if not passed:
            failed.append(f"{metric.name}: {explanation}")
    success = not failed and record.error is None
    if failed:
        summary = f"{len(failed)} of {len(metrics)} checks failed. " + " | ".join(failed)
    elif record.error:
        summary = f"The conversation failed: {record.error}"
    else:
        summary = f"All {len(metrics)} checks passed."
    # As the service sends it (OpenAPI example): explanation a list of lines, each
    # marked pass or fail, and one alignment per check.
    lines = [f"{FAIL_MARK} The conversation failed: {record.error}"] if record.error else []
    lines += [
        f"{PASS_MARK if m['value'] else FAIL_MARK} {m['name']}: {m['explanation']}" for m in metrics
    ]
    expected_outcome = {
        "score": 100 if success else 0,
        "explanation": lines or [f"{PASS_MARK} {summary}"],
        "outcome_alignments": [
            {"outcome": m["name"], "prompt_part": m["explanation"], "aligned": bool(m["value"])}
            for m in metrics
        ],
    }
    return Verdict(
        success=success, metrics=metrics, expected_outcome=expected_outcome, failed_checks=failed
    )


def outcome_of(scenario: ScenarioSpec, first_speaker: str, record: ConversationRecord) -> Outcome:
    """A finished conversation's run outcome, however it was held (WebSocket or API chat):
    ``completed`` with the verdict, or ``failed`` with the record's error."""
    verdict = evaluate(scenario, first_speaker, record)
    failed = record.error is not None
    return Outcome(
        status=RunStatus.FAILED if failed else RunStatus.COMPLETED,
        success=verdict.success and not failed,
        error_message=record.error,
        evaluation=verdict.evaluation,
        expected_outcome=verdict.expected_outcome,
        transcript=record_transcript(record),
        transcript_object=record.entries,
        metadata=record.metadata,
        duration_s=record.duration_s,
        failed_checks=verdict.failed_checks,
    )
