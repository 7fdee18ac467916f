"""Exact-output tests of the pure protocol core: frame parsing and turn planning."""

from __future__ import annotations

import json

import pytest

from cekura_cli.shim.protocol import (
    ClientFrame,
    FrameKind,
    MessageKind,
    classify_message,
    parse_agent_frame,
    parse_client_frame,
    plan_turn,
)

UNKNOWN = "unknown message type"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"content": "hi"}', ClientFrame(FrameKind.TURN, "hi")),
        ('{"content": "hi", "extra": {"x": 1}}', ClientFrame(FrameKind.TURN, "hi")),
        ('{"content": ""}', ClientFrame(FrameKind.TURN, "")),
        ('{"type": "end_call"}', ClientFrame(FrameKind.END_CALL, None)),
        ('{"type": "end_call", "content": "bye"}', ClientFrame(FrameKind.END_CALL, "bye")),
        ('{"type": "end_call", "content": 3}', ClientFrame(FrameKind.END_CALL, None)),
        (b'{"content": "hi"}', ClientFrame(FrameKind.IGNORED, reason="binary frame")),
        ("not json", ClientFrame(FrameKind.IGNORED, reason="not JSON")),
        ("[1, 2]", ClientFrame(FrameKind.IGNORED, reason="not a JSON object")),
        ('"text"', ClientFrame(FrameKind.IGNORED, reason="not a JSON object")),
        ('{"content": 42}', ClientFrame(FrameKind.IGNORED, reason="no text content")),
        ("{}", ClientFrame(FrameKind.IGNORED, reason="no text content")),
        (
            '{"type": "ping", "content": "x"}',
            ClientFrame(FrameKind.IGNORED, reason="unknown message type"),
        ),
        ('{"type": ["end_call"]}', ClientFrame(FrameKind.IGNORED, reason="unknown message type")),
        ("[" * 100_000 + "]" * 100_000, ClientFrame(FrameKind.IGNORED, reason="not JSON")),
        ("\udcff", ClientFrame(FrameKind.IGNORED, reason="not JSON")),
    ],
)
def test_parse_client_frame(data, expected):
    assert parse_client_frame(data) == expected


def test_classify_message():
    assert classify_message({"content": "x"}) is MessageKind.CONTENT
    assert classify_message({"content": "x", "metadata": {"a": 1}}) is MessageKind.CONTENT
    assert classify_message({"metadata": {"a": 1}}) is MessageKind.METADATA
    assert classify_message({"type": "end_call"}) is MessageKind.END_CALL
    assert classify_message({"role": "Function Call", "data": {}}) is MessageKind.FUNCTION_CALL
    assert (
        classify_message({"role": "function_call_result", "data": {}})
        is MessageKind.FUNCTION_CALL_RESULT
    )
    assert classify_message({"foo": 1}) is None
    assert classify_message("x") is None


CALL = {"role": "Function Call", "data": {"id": "c1", "name": "f", "arguments": "{}"}}
RESULT = {"role": "Function Call Result", "data": {"id": "c1", "name": "f", "result": "1"}}


@pytest.mark.parametrize("raw", [None, "", [], [""]])
def test_plan_turn_nothing(raw):
    plan = plan_turn(raw)
    assert plan.messages == []
    assert not plan.ends_call
    assert not plan.has_content


def test_plan_turn_explicit_empty_content_is_sent():
    assert plan_turn({"content": ""}).messages == [{"content": ""}]
    assert plan_turn([{"content": ""}, "b"]).messages == [{"content": "b"}]


def test_plan_turn_string_and_dict():
    assert plan_turn("hello").messages == [{"content": "hello"}]
    assert plan_turn({"content": "hello"}).messages == [{"content": "hello"}]
    assert plan_turn({"content": 7}).messages == [{"content": "7"}]


def test_plan_turn_orders_calls_then_results_then_one_content():
    call2 = {"role": "Function Call", "data": {"id": "c2", "name": "g", "arguments": "{}"}}
    result2 = {"role": "Function Call Result", "data": {"id": "c2", "name": "g", "result": "2"}}
    plan = plan_turn(["Sure.", RESULT, CALL, "Done.", result2, call2])
    assert plan.messages == [CALL, call2, RESULT, result2, {"content": "Sure.\nDone."}]
    assert plan.has_content and not plan.ends_call


def test_plan_turn_tool_data_is_normalised():
    plan = plan_turn(
        [
            {"role": "function_call", "data": {"name": "f", "arguments": {"a": 1}}},
            {"role": "function_call_result", "data": {"name": "f", "result": {"ok": True}}},
        ]
    )
    assert plan.messages == [
        {"role": "Function Call", "data": {"id": "call_1", "name": "f", "arguments": '{"a": 1}'}},
        {
            "role": "Function Call Result",
            "data": {"id": "call_2", "name": "f", "result": '{"ok": true}'},
        },
    ]


def test_plan_turn_metadata_folds_onto_content_last_write_wins():
    plan = plan_turn([{"metadata": {"a": 1, "b": 1}}, {"content": "x", "metadata": {"b": 2}}])
    assert plan.messages == [{"content": "x", "metadata": {"a": 1, "b": 2}}]


def test_plan_turn_metadata_only():
    plan = plan_turn({"metadata": {"internal_call_id": "abc"}})
    assert plan.messages == [{"metadata": {"internal_call_id": "abc"}}]
    assert not plan.has_content


def test_plan_turn_end_call_replaces_content():
    plan = plan_turn(["One moment.", {"type": "end_call", "content": "Goodbye!"}])
    assert plan.messages == [{"type": "end_call", "content": "One moment.\nGoodbye!"}]
    assert plan.ends_call
    assert plan_turn({"type": "end_call"}).messages == [{"type": "end_call"}]


def test_plan_turn_end_call_after_tools():
    plan = plan_turn([{"type": "end_call", "content": "Bye"}, CALL, RESULT])
    assert plan.messages == [CALL, RESULT, {"type": "end_call", "content": "Bye"}]


def test_plan_turn_drops_bad_entries_and_says_why():
    plan = plan_turn(
        [
            42,
            {"weird": True},
            {"role": "Function Call", "data": "nope"},
            {"role": "Function Call", "data": {"id": "x"}},
            {"content": {"nested": 1}},
            {"content": "ok", "metadata": [1]},
        ]
    )
    assert plan.messages == [{"content": "ok"}]
    assert len(plan.problems) == 6


def test_plan_turn_messages_are_json_serialisable():
    plan = plan_turn([CALL, RESULT, "x", {"metadata": {"k": "v"}}])
    assert [json.loads(json.dumps(m)) for m in plan.messages] == plan.messages


@pytest.mark.parametrize(
    ("data", "kind", "reason"),
    [
        ('{"content": "hi"}', MessageKind.CONTENT, None),
        ('{"content": "hi", "metadata": {"a": 1}}', MessageKind.CONTENT, None),
        ('{"metadata": {"a": 1}}', MessageKind.METADATA, None),
        (json.dumps(CALL), MessageKind.FUNCTION_CALL, None),
        (json.dumps(RESULT), MessageKind.FUNCTION_CALL_RESULT, None),
        ('{"type": "end_call", "content": "bye"}', MessageKind.END_CALL, None),
        ('{"content": 3}', None, "content is not a string"),
        ('{"content": "x", "metadata": [1]}', None, "metadata is not an object"),
        ('{"role": "Function Call", "data": {}}', None, "function call without a name"),
        ('{"role": "Function Call", "data": 1}', None, "tool message without a data object"),
        # the seed page's own result shape: no name
        (
            '{"role": "Function Call Result", "data": {"id": "c1", "result": "1"}}',
            MessageKind.FUNCTION_CALL_RESULT,
            None,
        ),
        ('{"hello": 1}', None, "not a protocol message"),
        ("nope", None, "not JSON"),
        (b"\x00", None, "binary frame"),
    ],
)
def test_parse_agent_frame(data, kind, reason):
    frame = parse_agent_frame(data)
    assert (frame.kind, frame.reason) == (kind, reason)
    if kind is not None:
        assert frame.message == json.loads(data)
