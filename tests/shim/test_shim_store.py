"""The transcript store: one batched writer, files equal to the documents, masking."""

from __future__ import annotations

import asyncio
import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.redact import forget_secrets, register_secret
from cekura_cli.shim.session import Conversation, EndedBy
from cekura_cli.shim.store import TranscriptStore, transcript_text
from cekura_cli.shim.transcript import entries_json, provider_messages, transcript_document

START = 1_700_000_000.25


class Clock:
    def __init__(self) -> None:
        self.t = 10.0

    def __call__(self) -> float:
        return self.t


def conversation(texts: list[str], run_id: str | None = "r1") -> Conversation:
    clock = Clock()
    conv = Conversation(clock=clock, started_wall=START, run_id=run_id, headers={"x-a": "b"})
    for n, text in enumerate(texts):
        clock.t += 0.5
        conv.tester_said(text)
        conv.tester_turn_taken(text)
        clock.t += 0.25
        conv.agent_sent(
            [
                {"role": "Function Call", "data": {"id": f"c{n}", "name": "f", "arguments": text}},
                {"role": "Function Call Result", "data": {"id": f"c{n}", "result": text}},
                {"content": text, "metadata": {"k": text}},
            ],
            clock.t - 0.25,
            clock.t,
        )
    conv.end(EndedBy.TESTER, "end_call")
    return conv


hostile = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
) | st.sampled_from(['{"role": "Testing Agent"', '\\"', "\u2028", "</script>", "\x00\x1b[31m"])


@settings(max_examples=60, deadline=None)
@given(st.lists(hostile, max_size=6))
def test_the_file_text_is_exactly_the_document(texts):
    conv = conversation(texts)
    assert json.loads(transcript_text(conv)) == transcript_document(conv)
    cekura, provider = entries_json(conv)
    assert json.loads(provider) == provider_messages(conv)


def test_a_secret_said_in_the_conversation_is_masked_both_ways():
    plain, quoted = "sk_test_plainsecret99", 'sk_"quoted\\secret77'
    try:
        register_secret(plain)
        register_secret(quoted)
        conv = conversation([f"my key is {plain}", f"and {quoted}"])
        text = transcript_text(conv)
    finally:
        forget_secrets()
    doc = json.loads(text)
    assert plain not in json.dumps(doc) and quoted not in json.dumps(doc)
    assert "plainsecret" not in text and "quoted" not in text


def test_the_writer_writes_every_file_in_batches_and_settles_each_future(tmp_path):
    store = TranscriptStore(tmp_path)

    async def main():
        futures = [store.save_async(conversation([f"n{i}"], run_id=str(i))) for i in range(50)]
        return await asyncio.wait_for(asyncio.gather(*futures), 10)

    try:
        paths = asyncio.run(main())
    finally:
        store.close()
    assert sorted(paths) == sorted(tmp_path.iterdir())
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    docs = [json.loads(p.read_text()) for p in paths]
    assert sorted(d["run_id"] for d in docs) == sorted(str(i) for i in range(50))


def test_a_lone_surrogate_still_gets_its_file(tmp_path):
    store = TranscriptStore(tmp_path)

    async def main():
        return await store.save_async(conversation(["bad \ud800 text"]))

    try:
        path = asyncio.run(main())
    finally:
        store.close()
    assert path is not None
    assert json.loads(path.read_text())["transcript_object"][0]["content"] == "bad \ud800 text"


def test_an_unwritable_directory_is_logged_and_the_future_says_none(tmp_path, caplog):
    store = TranscriptStore(tmp_path / "gone")

    async def main():
        return await store.save_async(conversation(["x"]))

    try:
        assert asyncio.run(main()) is None
    finally:
        store.close()
    assert any("could not write transcript" in r.getMessage() for r in caplog.records)
