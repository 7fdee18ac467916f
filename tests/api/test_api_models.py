"""Lenient parsing of the service's JSON: the quirks documented in cekura-api.md."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.api.models import (
    TERMINAL,
    Agent,
    Page,
    Result,
    Run,
    Scenario,
    Status,
    parse_status,
)

ALL_STATUSES = [
    "pending", "in_queue", "scaling_up", "running", "in_progress", "evaluating",
    "completed", "failed", "timeout", "cancelled",
]  # fmt: skip


@pytest.mark.parametrize("value", ALL_STATUSES)
def test_every_documented_status_is_known(value: str) -> None:
    run = Run.model_validate({"id": 1, "status": value})
    assert run.status is Status(value)
    assert run.status.is_terminal is (value in {"completed", "failed", "timeout", "cancelled"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("COMPLETED", Status.COMPLETED),
        ("In Progress", Status.IN_PROGRESS),
        ("in-queue", Status.IN_QUEUE),
        (" running ", Status.RUNNING),
        ("paused", Status.UNKNOWN),
        ("", Status.UNKNOWN),
        (None, Status.UNKNOWN),
        (3, Status.UNKNOWN),
    ],
)
def test_status_variants_and_unknown(value: object, expected: Status) -> None:
    assert parse_status(value) is expected
    assert Result.model_validate({"id": 1, "status": value}).status is expected


def test_unknown_status_is_not_terminal() -> None:
    assert Status.UNKNOWN not in TERMINAL


def test_counts_typed_as_strings_are_coerced() -> None:
    result = Result.model_validate(
        {
            "id": "12",
            "total_runs_count": "10",
            "completed_runs_count": 7,
            "success_runs_count": "5.0",
            "failed_runs_count": None,
            "success_rate": "50.0",
        }
    )
    assert (result.id, result.total_runs_count, result.completed_runs_count) == (12, 10, 7)
    assert (result.success_runs_count, result.failed_runs_count) == (5, None)
    assert result.success_rate == 50.0


def test_bad_counts_become_none_instead_of_failing() -> None:
    result = Result.model_validate({"id": 1, "total_runs_count": "many", "success_rate": "n/a"})
    assert result.total_runs_count is None and result.success_rate is None


def test_runs_keyed_by_id_in_the_detail_view() -> None:
    result = Result.model_validate(
        {
            "id": 1,
            "runs": {
                "274": {"status": "completed", "success": True},
                "275": {"id": 275, "status": "failed", "success": False},
                "bad": {"status": "running"},  # no usable id: skipped, not fatal
                "276": "not an object",
            },
        }
    )
    assert result.run_ids == [274, 275]
    assert [run.success for run in result.runs] == [True, False]


def test_runs_as_a_list_in_list_views() -> None:
    result = Result.model_validate({"id": 1, "runs": [{"id": 1}, {"id": "2"}, {"x": 1}, 7]})
    assert result.run_ids == [1, 2]


def test_unknown_fields_are_ignored_everywhere() -> None:
    assert Result.model_validate({"id": 1, "shiny_new": {"a": [1]}}).id == 1
    assert Run.model_validate({"id": 1, "outbound_dial_window_seconds": 30}).id == 1
    assert Scenario.model_validate({"id": 1, "first_message": "hi"}).id == 1
    assert Agent.model_validate({"id": 1, "provider": {"type": "custom"}}).id == 1


def test_run_detail_quirks() -> None:
    run = Run.model_validate(
        {
            "id": "9",
            "scenario": {"id": 4, "name": "nested"},
            "success": "false",
            "expected_outcome": "the caller books a table",
            "evaluation": {"metrics": {"a": {"name": "tone", "score": 1}, "b": "junk"}},
            "transcript": [{"role": "Main Agent"}],
            "transcript_object": [
                {"role": "Main Agent", "content": "hi", "start_time": "0.5"},
                "junk",
            ],
            "duration": "12.5",
        }
    )
    assert (run.id, run.scenario, run.success) == (9, 4, False)
    assert run.expected_outcome is not None
    assert run.expected_outcome.explanation == "the caller books a table"
    assert run.evaluation is not None and [m.name for m in run.evaluation.metrics] == ["tone"]
    assert run.transcript is None
    assert run.transcript_object is not None and run.transcript_object[0].start_time == 0.5
    assert run.duration == 12.5


def test_scenario_tags_variants() -> None:
    assert Scenario.model_validate({"id": 1, "tags": "a, b,,c"}).tags == ["a", "b", "c"]
    assert Scenario.model_validate({"id": 1, "tags": [{"name": "x"}, "y", 3]}).tags == ["x", "y"]
    assert Scenario.model_validate({"id": 1, "tags": None}).tags == []
    assert Scenario.model_validate({"id": 1}).display_name == "scenario 1"


def test_ids_are_required() -> None:
    for model in (Result, Run, Scenario):
        with pytest.raises(ValueError):
            model.model_validate({"name": "no id"})


def test_page_shape() -> None:
    page = Page.model_validate({"count": "2", "next": None, "results": [{"id": 1}, {"id": 2}]})
    assert (page.count, page.next, len(page.results)) == (2, None, 2)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
RESULT_FIELDS = [
    "name", "agent", "project", "status", "run_as_text", "created_at", "total_runs_count",
    "completed_runs_count", "success_runs_count", "failed_runs_count", "success_rate", "runs",
    "failed_reasons",
]  # fmt: skip
RUN_FIELDS = [
    "scenario", "scenario_name", "status", "success", "evaluation_status", "error_message",
    "evaluation", "expected_outcome", "transcript", "transcript_object", "duration",
]  # fmt: skip


@settings(derandomize=True, deadline=None, max_examples=150)
@given(st.fixed_dictionaries({}, optional={name: JSON for name in RESULT_FIELDS}))
def test_any_json_in_result_fields_parses(fields: dict[str, Any]) -> None:
    result = Result.model_validate({"id": 1, **fields})
    assert isinstance(result.status, Status)
    assert all(isinstance(run, Run) for run in result.runs)


@settings(derandomize=True, deadline=None, max_examples=150)
@given(st.fixed_dictionaries({}, optional={name: JSON for name in RUN_FIELDS}))
def test_any_json_in_run_fields_parses(fields: dict[str, Any]) -> None:
    run = Run.model_validate({"id": 5, **fields})
    assert run.id == 5 and isinstance(run.status, Status)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("01:05", 65.0), ("1:02:03", 3723.0), (12.5, 12.5), ("7", 7.0), ("x:1", None), (None, None)],
)
def test_run_duration_accepts_seconds_and_clock_strings(raw: object, seconds: float | None) -> None:
    assert Run.model_validate({"id": 1, "duration": raw}).duration == seconds


# Any JSON at all (the property): a model parses, or pydantic says why; nothing
# else may escape, since parsing.parse_model turns only ValidationError into a malformed
# (retried) body. Integers stay within float range here: beyond it is tested below.
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=5) | st.sampled_from(["id", "name"]), children, max_size=3
        )
    ),
    max_leaves=15,
)
MODEL_FIELDS: dict[type, list[str]] = {
    Result: RESULT_FIELDS,
    Run: RUN_FIELDS,
    Scenario: ["name", "tags", "agent", "folder_path", "scenario_type", "instructions"],
    Agent: ["agent_name", "project", "websocket_url"],
    Page: ["count", "next", "previous", "results"],
}


@pytest.mark.parametrize("model", list(MODEL_FIELDS), ids=lambda m: m.__name__)
@settings(derandomize=True, deadline=None, max_examples=150)
@given(data=st.data())
def test_any_json_parses_or_raises_only_a_validation_error(model: type, data: Any) -> None:
    fields = {name: ANY_JSON for name in ["id", *MODEL_FIELDS[model]]}
    value = data.draw(ANY_JSON | st.fixed_dictionaries({}, optional=fields))
    try:
        parsed = model.model_validate(value)
    except pydantic.ValidationError:
        return
    assert isinstance(parsed, model)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (Result, '{"id": 1, "success_rate": 1%s}'),
        (Run, '{"id": 1, "duration": 1%s}'),
        (Run, '{"id": 1, "transcript_object": [{"role": "Main Agent", "start_time": 1%s}]}'),
    ],
    ids=["success_rate", "duration", "start_time"],
)
def test_an_integer_beyond_float_range_is_lenient(model: type, body: str) -> None:
    """float() of such an int raised OverflowError, which pydantic does not wrap."""
    value = json.loads(body % ("0" * 400))  # valid JSON: the digits of 1e400
    with contextlib.suppress(pydantic.ValidationError):
        model.model_validate(value)
