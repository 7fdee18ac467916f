"""Expectations -> metrics: exact explanations from hand-made conversation records."""

from __future__ import annotations

from cekura_cli.sandbox.conversation import ConversationRecord, EndedBy, ToolCall, TurnRecord
from cekura_cli.sandbox.evaluation import describe_expectations, evaluate
from cekura_cli.sandbox.loader import parse_suite
from cekura_cli.sandbox.scenario_file import ScenarioSpec

SUITE = parse_suite(
    """\
scenarios:
  - name: Booking
    turns:
      - say: I'd like to book for tomorrow
        expect:
          reply_contains: [booked, tomorrow]
          reply_not_contains: sorry
          reply_matches: 'BK-\\d{4}'
          tool_called: {name: book_appointment, arguments: {date: tomorrow}}
      - say: That's all, thanks
        expect:
          no_tool_calls: true
    expect:
      greeting_contains: Clinic
      agent_ends_call: true
      max_turns: 2
      max_turn_latency_s: 1.5
""",
    filename="t.yaml",
)
SCENARIO: ScenarioSpec = SUITE.scenarios[0]


def good_record() -> ConversationRecord:
    record = ConversationRecord(greeting="Hi, Acme Clinic here.", greeting_at_s=0.1)
    first = TurnRecord(1, "I'd like to book for tomorrow", sent_at_s=0.2)
    first.tool_calls.append(
        ToolCall("call_1", "book_appointment", '{"date": "tomorrow", "time": "10:00"}', 0.3)
    )
    first.reply, first.reply_at_s = "You're booked for tomorrow. BK-1234.", 0.4
    second = TurnRecord(2, "That's all, thanks", sent_at_s=0.5)
    second.reply, second.reply_at_s = "Goodbye!", 0.6
    record.turns = [first, second]
    record.ended_by = EndedBy.AGENT_END_CALL
    record.end_content = "Goodbye!"
    return record


def by_name(record: ConversationRecord) -> dict[str, dict]:
    verdict = evaluate(SCENARIO, "agent", record)
    return {metric["name"]: metric for metric in verdict.metrics}


def test_the_metric_names_describe_each_expectation_in_order() -> None:
    assert describe_expectations(SCENARIO) == [
        "greeting: the agent speaks first",
        "greeting contains 'Clinic'",
        "turn 1: reply contains 'booked' and 'tomorrow'",
        "turn 1: reply does not contain 'sorry'",
        "turn 1: reply matches /BK-\\d{4}/",
        'turn 1: calls book_appointment with {"date": "tomorrow"}',
        "turn 2: no tool calls",
        "conversation: the agent ends the call",
        "conversation: over within 2 turns",
        "conversation: every reply within 1.5 s",
    ]


def test_a_good_conversation_passes_every_metric() -> None:
    verdict = evaluate(SCENARIO, "agent", good_record())
    assert verdict.success is True
    assert [m["id"] for m in verdict.metrics] == list(range(1, 11))
    assert all(
        m["score"] == 1 and m["value"] is True and m["type"] == "binary" for m in verdict.metrics
    )
    # the service's shape (OpenAPI example): explanation a list of marked lines, and
    # one alignment per check
    assert verdict.expected_outcome == {
        "score": 100,
        "explanation": [f"\u2705 {m['name']}: {m['explanation']}" for m in verdict.metrics],
        "outcome_alignments": [
            {"outcome": m["name"], "prompt_part": m["explanation"], "aligned": True}
            for m in verdict.metrics
        ],
    }
    assert verdict.evaluation_status == "success"


def test_a_wrong_reply_explains_what_was_expected_and_what_was_said() -> None:
    record = good_record()
    record.turns[0].reply = "Sorry, I can only help with booking appointments."
    record.turns[0].tool_calls = []
    metrics = by_name(record)
    assert metrics["turn 1: reply contains 'booked' and 'tomorrow'"]["explanation"] == (
        "expected the reply to turn 1 ('I'd like to book for tomorrow') to contain 'booked' and "
        "'tomorrow' (missing: 'booked' and 'tomorrow'); the agent said: 'Sorry, I can only help "
        "with booking appointments.'"
    )
    assert metrics["turn 1: reply does not contain 'sorry'"]["explanation"] == (
        "expected the reply to turn 1 ('I'd like to book for tomorrow') not to contain 'sorry'; "
        "the agent said: 'Sorry, I can only help with booking appointments.'"
    )
    assert metrics["turn 1: reply matches /BK-\\d{4}/"]["explanation"] == (
        "expected the reply to turn 1 ('I'd like to book for tomorrow') to match /BK-\\d{4}/; "
        "the agent said: 'Sorry, I can only help with booking appointments.'"
    )
    assert metrics['turn 1: calls book_appointment with {"date": "tomorrow"}']["explanation"] == (
        'expected the agent to call book_appointment with arguments including {"date": '
        "\"tomorrow\"} while answering turn 1 ('I'd like to book for tomorrow'); it called no "
        "tool. The agent said: 'Sorry, I can only help with booking appointments.'"
    )
    verdict = evaluate(SCENARIO, "agent", record)
    assert verdict.success is False
    assert verdict.expected_outcome["score"] == 0
    lines = verdict.expected_outcome["explanation"]
    assert isinstance(lines, list) and len(lines) == 10
    assert sum(line.startswith("\u274c ") for line in lines) == 4
    assert sum(not a["aligned"] for a in verdict.expected_outcome["outcome_alignments"]) == 4
    assert len(verdict.failed_checks) == 4


def test_tool_arguments_are_matched_as_a_subset_and_differences_are_named() -> None:
    record = good_record()
    record.turns[0].tool_calls = [
        ToolCall("c", "book_appointment", '{"date": "monday", "time": "10:00"}', 0.3)
    ]
    explanation = by_name(record)['turn 1: calls book_appointment with {"date": "tomorrow"}'][
        "explanation"
    ]
    assert explanation.endswith(
        'it called book_appointment({"date": "monday", "time": "10:00"}): date is "monday", '
        'expected "tomorrow"'
    )
    record.turns[0].tool_calls = [ToolCall("c", "get_weather", '{"city": "Paris"}', 0.3)]
    explanation = by_name(record)['turn 1: calls book_appointment with {"date": "tomorrow"}'][
        "explanation"
    ]
    assert explanation.endswith('; it called get_weather({"city": "Paris"}) instead')
    record.turns[0].tool_calls = [ToolCall("c", "book_appointment", "{not json", 0.3)]
    explanation = by_name(record)['turn 1: calls book_appointment with {"date": "tomorrow"}'][
        "explanation"
    ]
    assert "arguments were not valid JSON" in explanation


def test_an_unexpected_tool_call_fails_no_tool_calls() -> None:
    record = good_record()
    record.turns[1].tool_calls = [ToolCall("c", "cancel", "{}", 0.55)]
    assert by_name(record)["turn 2: no tool calls"]["explanation"] == (
        "expected no tool calls while answering turn 2 ('That's all, thanks'); the agent called "
        "cancel({})"
    )


def test_agent_that_keeps_the_call_open_fails_ends_call_and_max_turns_holds() -> None:
    record = good_record()
    record.ended_by = EndedBy.TESTER
    record.end_content = None
    metrics = by_name(record)
    assert metrics["conversation: the agent ends the call"]["explanation"] == (
        'expected the agent to end the call (send {"type": "end_call"} or close the socket) by '
        "the end of the script; after the last turn (2, 'That's all, thanks') it replied "
        "'Goodbye!' and kept the call open, so the tester hung up"
    )
    assert metrics["conversation: over within 2 turns"]["value"] is True


def test_agent_that_hangs_up_early_leaves_later_turns_unsent() -> None:
    record = good_record()
    record.turns = record.turns[:1]
    record.ended_by = EndedBy.AGENT_CLOSE
    record.end_content = None
    metrics = by_name(record)
    assert metrics["turn 2: no tool calls"]["explanation"] == (
        "turn 2 was never sent: the agent ended the call after turn 1"
    )
    assert metrics["conversation: the agent ends the call"]["explanation"] == (
        "the agent ended the call (closed the socket) after turn 1 "
        "('I'd like to book for tomorrow')"
    )


def test_missing_greeting_says_how_to_fix_it() -> None:
    record = good_record()
    record.greeting = None
    record.greeting_timeout_s = 2.0
    metrics = by_name(record)
    assert metrics["greeting: the agent speaks first"]["explanation"] == (
        "the agent sent nothing in the first 2 s (first_speaker: agent); make it greet on "
        "connect, or set first_speaker: tester"
    )
    assert metrics["greeting contains 'Clinic'"]["explanation"] == (
        "expected the greeting to contain 'Clinic'; the agent did not greet"
    )


def test_slow_reply_names_the_turn_and_the_time() -> None:
    record = good_record()
    record.turns[1].reply_at_s = 2.5
    assert by_name(record)["conversation: every reply within 1.5 s"]["explanation"] == (
        "expected every reply within 1.5 s; the reply to turn 2 ('That's all, thanks') took 2.00 s"
    )


def test_too_many_turns() -> None:
    suite = parse_suite(
        "scenarios:\n  - name: x\n    first_speaker: tester\n"
        "    turns: [{say: a}, {say: b}, {say: c}]\n    expect: {max_turns: 2}\n"
    )
    record = ConversationRecord(first_speaker="tester")
    record.turns = [
        TurnRecord(i, s, 0.0, reply="ok", reply_at_s=0.1) for i, s in enumerate("abc", 1)
    ]
    record.ended_by = EndedBy.AGENT_END_CALL
    verdict = evaluate(suite.scenarios[0], "tester", record)
    assert [m["name"] for m in verdict.metrics] == ["conversation: over within 2 turns"]
    assert verdict.metrics[0]["explanation"] == (
        "expected the conversation to be over within 2 turns; the agent ended the call only "
        "after turn 3"
    )


def test_an_infrastructure_error_fails_the_run_even_without_metrics() -> None:
    suite = parse_suite(
        "scenarios:\n  - name: x\n    first_speaker: tester\n    turns: [{say: a}]\n"
    )
    record = ConversationRecord(
        first_speaker="tester", error="could not connect", ended_by=EndedBy.ERROR
    )
    verdict = evaluate(suite.scenarios[0], "tester", record)
    assert (verdict.success, verdict.metrics) == (False, [])
    assert verdict.expected_outcome["explanation"] == [
        "\u274c The conversation failed: could not connect"
    ]


def test_no_reply_because_of_a_turn_timeout_is_explained() -> None:
    record = good_record()
    record.turns[1].reply = None
    record.turns[1].reply_at_s = None
    record.error = "the agent did not reply to turn 2 ('That's all, thanks') within 30 s"
    record.ended_by = EndedBy.ERROR
    metrics = by_name(record)
    assert metrics["turn 2: no tool calls"]["value"] is True  # it made no tool calls either
    assert metrics["conversation: the agent ends the call"]["explanation"] == (
        "expected the agent to end the call; the conversation ended otherwise (error: the agent "
        "did not reply to turn 2 ('That's all, thanks') within 30 s)"
    )
