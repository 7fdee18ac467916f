"""failure_reason and render_transcript: exact text for every source of a reason."""

from __future__ import annotations

import pytest

from cekura_cli.api.models import Run
from cekura_cli.orchestration.verdict import failure_reason, render_transcript


def run(**fields) -> Run:
    return Run.model_validate({"id": 1, **fields})


def failed_with_metrics(*metrics, **fields) -> Run:
    base = {"status": "completed", "success": False, "evaluation": {"metrics": list(metrics)}}
    return run(**{**base, **fields})


# failure_reason ------------------------------------------------------------------------


def test_a_passed_run_has_no_reason_even_with_an_error_message():
    assert failure_reason(run(status="completed", success=True, error_message="x")) is None


def test_error_message_comes_first_on_one_line():
    got = failure_reason(
        failed_with_metrics(
            {"name": "Greeting", "score": 0, "explanation": "no hello"},
            status="failed",
            error_message="  WebSocket closed\n\tbefore   the first message ",
        )
    )
    assert got == "WebSocket closed before the first message"


def test_reasons_are_cut_to_500_characters():
    got = failure_reason(run(status="failed", error_message="word " * 300))
    assert got is not None
    assert len(got) == 500
    assert got.endswith("word…")


def test_an_unfinished_run_says_so():
    assert failure_reason(run(status="evaluating")) == "did not finish (status: evaluating)"
    assert failure_reason(run(status="???")) == "did not finish (status: unknown)"


@pytest.mark.parametrize(
    "metric",
    [
        {"name": "Greeting", "score": False, "explanation": "no hello"},
        {"name": "Greeting", "score": 0, "explanation": "no hello"},
        {"name": "Greeting", "score": 0.0, "explanation": "no hello"},
        {"name": "Greeting", "score": " FAIL ", "explanation": "no hello"},
        {"name": "Greeting", "score": "failed", "explanation": "no hello"},
        {"name": "Greeting", "score": "false", "explanation": "no hello"},
        {"name": "Greeting", "score": "0", "explanation": "no hello"},
        {"name": "Greeting", "value": "No", "explanation": "no hello"},
        {"name": "Greeting", "score": {"score": 0}, "explanation": "no hello"},
        {"name": "Greeting", "score": 5, "value": False, "explanation": "no hello"},
        {"name": "Greeting", "score": 0, "explanation": ["no hello"]},
        {"name": "Greeting", "score": 0, "explanation": {"explanation": "no hello"}},
    ],
)
def test_a_failed_metric_gives_name_and_explanation(metric):
    assert failure_reason(failed_with_metrics(metric)) == "Greeting: no hello"


@pytest.mark.parametrize(
    "metric",
    [
        {"name": "Greeting", "score": True, "explanation": "fine"},
        {"name": "Greeting", "score": 1, "explanation": "fine"},
        {"name": "Greeting", "score": "pass", "explanation": "fine"},
        {"name": "Greeting", "score": None, "value": None, "explanation": "fine"},
        {"name": "Interruptions", "type": "numeric", "value": 0, "explanation": "none"},
        {"name": "Interruptions", "type": "Numeric", "score": "0", "explanation": "none"},
        {"name": "Greeting", "score": [0], "explanation": "a list is not a verdict"},
    ],
)
def test_metrics_that_did_not_fail_are_not_reasons(metric):
    got = failure_reason(failed_with_metrics(metric))
    assert got == "success: false"


def test_several_failed_metrics_are_joined_and_odd_shapes_tolerated():
    got = failure_reason(
        failed_with_metrics(
            {"name": "Greeting", "score": 1, "explanation": "ok"},
            {"name": "Booking", "score": 0, "explanation": ["wrong date", "", "no confirmation"]},
            {"id": 12, "score": False},
            {"score": "fail", "explanation": {"reason": "hung up", "extra": 1}},
            {"name": "Tone", "value": "no", "explanation": {"a": "rude", "b": None}},
        )
    )
    assert got == (
        "Booking: wrong date; no confirmation; metric 12: failed; metric: hung up; Tone: a: rude"
    )


def test_metrics_keyed_by_id_are_read_too():
    got = failure_reason(
        run(
            status="completed",
            success=False,
            evaluation={"metrics": {"3": {"name": "Tool call", "score": 0, "explanation": "none"}}},
        )
    )
    assert got == "Tool call: none"


def test_expected_outcome_explanation_when_no_metric_failed():
    got = failure_reason(
        failed_with_metrics(
            {"name": "Greeting", "score": 1},
            expected_outcome={"score": 0, "explanation": "The agent did not\nbook the table."},
        )
    )
    assert got == "expected outcome: The agent did not book the table."


def test_expected_outcome_as_a_bare_string():
    got = failure_reason(run(status="completed", success=False, expected_outcome="Not booked"))
    assert got == "expected outcome: Not booked"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": "failed"}, "status: failed"),
        ({"status": "timeout", "evaluation_status": "failure"}, "status: timeout"),
        ({"status": "cancelled"}, "status: cancelled"),
        (
            {"status": "completed", "success": False, "evaluation_status": "failure"},
            "evaluation: failure",
        ),
        (
            {"status": "completed", "success": False, "evaluation_status": "reviewed_failure"},
            "evaluation: reviewed_failure",
        ),
        ({"status": "completed", "success": False}, "success: false"),
        ({"status": "completed"}, "no evaluation result (success not set)"),
        (
            {"status": "completed", "success": None, "expected_outcome": {"explanation": " "}},
            "no evaluation result (success not set)",
        ),
    ],
)
def test_bare_status_and_evaluation_reasons(fields, reason):
    assert failure_reason(run(**fields)) == reason


def test_blank_error_message_is_ignored():
    assert failure_reason(run(status="failed", error_message="   ")) == "status: failed"


# render_transcript ---------------------------------------------------------------------


def test_the_service_transcript_is_used_when_present():
    got = render_transcript(
        run(
            transcript="\nTesting Agent: Hi\nMain Agent: Hello\n",
            transcript_object=[{"role": "x", "content": "y"}],
        )
    )
    assert got == "Testing Agent: Hi\nMain Agent: Hello"


def test_transcript_object_is_rendered_with_tool_entries():
    got = render_transcript(
        run(
            transcript="  ",
            transcript_object=[
                {"role": "Testing Agent", "content": "Book a table for two", "start_time": 0.0},
                {
                    "role": "Function Call",
                    "content": "",
                    "data": {"id": "c1", "name": "book_table", "arguments": '{"people": 2}'},
                },
                {
                    "role": "Function Call Result",
                    "content": "",
                    "data": {"id": "c1", "name": "book_table", "result": {"ok": True}},
                },
                {"role": "Function Call", "data": {"name": "lookup", "arguments": {"q": "x"}}},
                {"role": "Main Agent", "content": "  Booked!  "},
                {"role": "Main Agent", "content": ""},
                {"content": ["odd", 1]},
                {"role": "system", "content": None, "data": "raw data"},
                {"role": "Function Call", "data": {"name": "ping"}},
            ],
        )
    )
    assert got == "\n".join(
        [
            "Testing Agent: Book a table for two",
            'Function Call: book_table({"people": 2})',
            'Function Call Result: book_table -> {"ok": true}',
            'Function Call: lookup({"q": "x"})',
            "Main Agent: Booked!",
            'Unknown: ["odd", 1]',
            "system: raw data",
            "Function Call: ping()",
        ]
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"transcript": ""},
        {"transcript_object": []},
        {"transcript_object": [{"role": "A", "content": " "}]},
    ],
)
def test_no_transcript_is_none(fields):
    assert render_transcript(run(**fields)) is None
