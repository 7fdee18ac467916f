"""Exact-output tests of conversation state and the transcript documents."""

from __future__ import annotations

import json
import os

import pytest

from cekura_cli.redact import forget_secrets, register_secret
from cekura_cli.shim.session import Conversation, EndedBy
from cekura_cli.shim.store import TranscriptStore, write_json_atomic
from cekura_cli.shim.transcript import (
    cekura_transcript,
    provider_call,
    transcript_document,
    transcript_filename,
)

START = 1_700_000_000.25  # 2023-11-14T22:13:20.250Z


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make_conversation(**kwargs) -> tuple[Conversation, FakeClock]:
    clock = FakeClock()
    conv = Conversation(
        clock=clock,
        started_wall=START,
        run_id="274",
        scenario_id="9",
        result_id="31",
        headers={"x-vocera-run-id": "274", "x-customer-number": "+15551234567"},
        conversation_id="conv1",
        **kwargs,
    )
    return conv, clock


def play(conv: Conversation, clock: FakeClock) -> None:
    conv.agent_sent([{"content": "Hello!", "metadata": {"a": 1}}], 0.0, 0.5)
    clock.t = 101.0
    conv.tester_said("Book tomorrow")
    conv.tester_turn_taken("Book tomorrow")
    clock.t = 101.5
    conv.agent_sent(
        [
            {"role": "Function Call", "data": {"id": "c1", "name": "book", "arguments": "{}"}},
            {"role": "Function Call Result", "data": {"id": "c1", "name": "book", "result": "1"}},
            {"content": "Booked.", "metadata": {"a": 2, "b": 3}},
        ],
        1.0,
        1.5,
    )
    clock.t = 102.0
    conv.tester_said("bye")
    conv.end(EndedBy.TESTER, "end_call")


def test_metadata_merges_last_write_wins_and_history_grows():
    conv, clock = make_conversation()
    play(conv, clock)
    assert conv.metadata == {"a": 2, "b": 3}
    assert conv.context.history == [
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Book tomorrow"},
        {
            "role": "function_call",
            "content": "",
            "data": {"id": "c1", "name": "book", "arguments": "{}"},
        },
        {
            "role": "function_call_result",
            "content": "",
            "data": {"id": "c1", "name": "book", "result": "1"},
        },
        {"role": "assistant", "content": "Booked."},
    ]


def test_first_end_wins():
    conv, clock = make_conversation()
    assert conv.end(EndedBy.TESTER, "end_call")
    clock.t = 105.0
    assert not conv.end(EndedBy.DISCONNECT, "closed")
    assert (conv.ended_by, conv.end_reason, conv.duration_s) == (EndedBy.TESTER, "end_call", 0.0)


def test_agent_end_call_ends_the_conversation():
    conv, _ = make_conversation()
    conv.agent_sent([{"type": "end_call", "content": "Bye"}], 0.0, 0.0)
    assert conv.ended_by is EndedBy.AGENT
    assert conv.entries[-1].content == "Bye"


def test_cekura_transcript_format():
    conv, clock = make_conversation()
    play(conv, clock)
    assert cekura_transcript(conv) == [
        {"role": "Main Agent", "content": "Hello!", "start_time": 0.5, "end_time": 0.5},
        {"role": "Testing Agent", "content": "Book tomorrow", "start_time": 1.0, "end_time": 1.0},
        {
            "role": "Function Call",
            "content": "",
            "start_time": 1.5,
            "end_time": 1.5,
            "data": {"id": "c1", "name": "book", "arguments": "{}"},
        },
        {
            "role": "Function Call Result",
            "content": "",
            "start_time": 1.5,
            "end_time": 1.5,
            "data": {"id": "c1", "name": "book", "result": "1"},
        },
        # stamped when sent, so never before the tool calls sent ahead of it
        {"role": "Main Agent", "content": "Booked.", "start_time": 1.5, "end_time": 1.5},
        {"role": "Testing Agent", "content": "bye", "start_time": 2.0, "end_time": 2.0},
    ]


def test_provider_call_format():
    conv, clock = make_conversation()
    play(conv, clock)
    call = provider_call(conv)
    assert call["id"] == "274"
    assert call["startedAt"] == "2023-11-14T22:13:20.250Z"
    assert call["endedAt"] == "2023-11-14T22:13:22.250Z"
    assert call["customer"] == {"number": "+15551234567"}
    assert [m["role"] for m in call["messages"]] == [
        "bot",
        "user",
        "function_call",
        "function_call_result",
        "bot",
        "user",
    ]
    assert call["messages"][2] == {
        "role": "function_call",
        "content": "",
        "start_time": 1.5,
        "end_time": 1.5,
        "data": {"id": "c1", "name": "book", "arguments": "{}"},
    }


def test_transcript_document_and_filename():
    conv, clock = make_conversation()
    play(conv, clock)
    doc = transcript_document(conv)
    assert {k: doc[k] for k in doc if k not in ("transcript_object", "messages")} == {
        "id": "conv1",
        "run_id": "274",
        "scenario_id": "9",
        "result_id": "31",
        "started_at": "2023-11-14T22:13:20.250Z",
        "ended_at": "2023-11-14T22:13:22.250Z",
        "duration_s": 2.0,
        "ended_by": "tester",
        "reason": "end_call",
        "metadata": {"a": 2, "b": 3},
        "headers": {"x-vocera-run-id": "274", "x-customer-number": "+15551234567"},
        "call_id": "274",
        "customer": {"number": "+15551234567"},
    }
    assert doc["transcript_object"] == cekura_transcript(conv)
    assert transcript_filename(conv) == "20231114T221320250Z_274_conv1.json"


def test_filename_without_run_id_and_with_unsafe_run_id():
    clock = FakeClock()
    conv = Conversation(clock=clock, started_wall=START, conversation_id="abc")
    assert transcript_filename(conv) == "20231114T221320250Z_abc.json"
    conv = Conversation(clock=clock, started_wall=START, run_id="../x y", conversation_id="abc")
    assert transcript_filename(conv) == "20231114T221320250Z_x-y_abc.json"
    assert provider_call(conv)["customer"] == {}


def test_store_writes_files_atomically_and_serves_recent_calls(tmp_path):
    store = TranscriptStore(tmp_path / "out", keep=2)
    store.prepare()
    for run_id in ("1", "2", "3"):
        conv = Conversation(clock=FakeClock(), started_wall=START, run_id=run_id)
        conv.end(EndedBy.DISCONNECT, "closed")
        store.save(conv)
    assert [c["id"] for c in store.calls()] == ["2", "3"]
    assert [c["id"] for c in store.calls(limit=1)] == ["3"]
    assert store.calls(limit=0) == []
    files = sorted(os.listdir(tmp_path / "out"))
    assert len(files) == 3 and all(f.endswith(".json") for f in files)
    docs = [json.loads((tmp_path / "out" / f).read_text()) for f in files]
    assert sorted(d["run_id"] for d in docs) == ["1", "2", "3"]


def test_write_json_atomic_leaves_no_temp_file_on_failure(tmp_path):
    target = tmp_path / "t.json"
    write_json_atomic(target, {"ok": 1})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"ok": 1}
    assert os.listdir(tmp_path) == ["t.json"]


def test_store_masks_secrets_said_in_the_conversation(tmp_path):
    secret = "ws-secret-0123456789abcdef"
    register_secret(secret)
    try:
        store = TranscriptStore(tmp_path)
        conv = Conversation(clock=FakeClock(), started_wall=START, run_id="1")
        conv.tester_said(f"my secret is {secret}")
        conv.agent_sent([{"content": f"you said {secret}", "metadata": {"k": secret}}], 0, 0)
        conv.end(EndedBy.TESTER, "end_call")
        path = store.save(conv)
        texts = [path.read_text(), json.dumps(store.calls())]
    finally:
        forget_secrets()
    for text in texts:
        assert secret not in text
        assert "****cdef" in text
