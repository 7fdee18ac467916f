"""Fuzzing the shim: the protocol core never raises, and the server shrugs off bad peers.

1. Property tests (hypothesis, derandomized) of the pure core: ``parse_client_frame``
   and ``parse_agent_frame`` on any text, JSON or bytes; ``classify_message`` on any
   value; ``plan_turn`` on any JSON an agent may return. None may raise, and each
   result must keep the protocol's rules.
2. Instant tests of the fuzz generator (checked against the stdlib's ``json``) and of the
   transcript checker.
3. The loopback fuzz: 20 clients send about 2,000 fuzzed frames (``shim_fuzz_frames``)
   to the ``echo`` shim and end their conversations every way a peer can, while control
   conversations must get exact echoes throughout. Then every conversation has exactly
   one readable transcript that says what was said, and the shim still serves.
4. What the fuzzing found (fixed in 1d8c33d), kept as regression tests.

Every network wait is bounded (UNIT); no test asserts on how long something took.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from shim_fuzz_frames import (
    CONVERSATION_HEADER,
    TERMINAL,
    Expected,
    Fuzz,
    check_transcripts,
    expectations,
    frame_counts,
    is_json,
    plan_fuzz,
    run_fuzz,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cekura_cli.redact import forget_secrets
from cekura_cli.shim import ShimConfig, start_shim_in_thread
from cekura_cli.shim.protocol import (
    END_CALL,
    FUNCTION_CALL,
    FUNCTION_CALL_RESULT,
    AgentFrame,
    ClientFrame,
    FrameKind,
    MessageKind,
    classify_message,
    parse_agent_frame,
    parse_client_frame,
    plan_turn,
)
from cekura_cli.shim.store import CALLS_KEPT

UNIT = 5.0
SEED = 7
MAX_FRAME_BYTES = 4096
PROPERTY = settings(derandomize=True, deadline=None, max_examples=300)

# -- 1. property tests of the protocol core ---------------------------------------------

PROTOCOL_KEYS = ["content", "type", "role", "data", "metadata", "name", "id", "arguments", "result"]
PROTOCOL_WORDS = [
    END_CALL, "END_CALL", FUNCTION_CALL, "function_call", FUNCTION_CALL_RESULT,
    "function call result", "function_call_result", "user", "",
]  # fmt: skip
TEXT = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=12)  # + surrogates
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT
    | st.sampled_from([2**63, -(2**64), 10**400, *PROTOCOL_WORDS])
)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(PROTOCOL_KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)
WORD_OR_ANY = st.sampled_from(PROTOCOL_WORDS) | JSON_VALUES
TOOL_ROLES = {FUNCTION_CALL: "arguments", FUNCTION_CALL_RESULT: "result"}
TOOL_ROLE_SPELLINGS = [*TOOL_ROLES, "function_call", "Function call result", "FUNCTION_CALL_RESULT"]
VALID = st.one_of(  # one well-formed message of each kind...
    st.fixed_dictionaries({"content": TEXT}),
    st.fixed_dictionaries({"type": st.just(END_CALL)}, optional={"content": TEXT}),
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(TOOL_ROLE_SPELLINGS),
            "data": st.fixed_dictionaries(
                {"name": TEXT},
                optional={"id": JSON_VALUES, "arguments": JSON_VALUES, "result": JSON_VALUES},
            ),
        }
    ),
    st.fixed_dictionaries({"metadata": st.dictionaries(TEXT, JSON_VALUES, max_size=3)}),
)
NOISE = (
    st.just({})
    | st.just({})
    | st.fixed_dictionaries(  # ...then, now and then, keys gone wrong
        {},
        optional={
            "content": JSON_VALUES,
            "type": WORD_OR_ANY,
            "role": WORD_OR_ANY,
            "data": JSON_VALUES,
            "metadata": JSON_VALUES,
        },
    )
)
PROTOCOLISH = st.builds(
    lambda valid, noise, extra: {**extra, **valid, **noise},
    VALID,
    NOISE,
    st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=2),
)
JSON_TEXT = st.builds(json.dumps, PROTOCOLISH | PROTOCOLISH | JSON_VALUES)  # weighted


def _mutate(text: str, at: int, how: str, char: str) -> str:
    at %= len(text) + 1
    return {
        "cut": text[:at],
        "insert": text[:at] + char + text[at:],
        "delete": text[:at] + text[at + 1 :],
        "double": text + text,
    }[how]


MUTATED = st.builds(
    _mutate,
    JSON_TEXT,
    st.integers(0, 10**6),
    st.sampled_from(["cut", "insert", "delete", "double"]),
    st.characters() | st.sampled_from(list('{}[]",:\\ \x00')),
)
DEEP = st.builds(
    lambda n, shape: shape[0] * n + shape[1] * n,
    st.integers(1, 5000),
    st.sampled_from([("[", "]"), ('{"a":[', "]}"), ('{"content":[', "]}")]),
)
FRAME_BYTES = st.binary(max_size=64) | JSON_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass"))
FRAMES = st.one_of(  # weighted towards JSON, one branch in six well-formed
    st.builds(json.dumps, VALID), JSON_TEXT, JSON_TEXT, MUTATED, DEEP, TEXT | st.text(), FRAME_BYTES
)


def _reference_client_frame(data: str) -> tuple[FrameKind, str | None]:
    """What websocket-protocol.md says a text frame from the service is."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return FrameKind.IGNORED, None
    if not isinstance(obj, dict):
        return FrameKind.IGNORED, None
    content = obj.get("content")
    if obj.get("type") == END_CALL:
        return FrameKind.END_CALL, content if isinstance(content, str) else None
    if obj.get("type") is None and isinstance(content, str):
        return FrameKind.TURN, content
    return FrameKind.IGNORED, None


@PROPERTY
@given(FRAMES)
def test_parse_client_frame_never_raises_and_follows_the_protocol(data: str | bytes) -> None:
    frame = parse_client_frame(data)
    assert isinstance(frame, ClientFrame)
    if frame.kind is FrameKind.IGNORED:
        assert frame.content is None and isinstance(frame.reason, str) and frame.reason
    else:
        assert frame.reason is None
    expected = (FrameKind.IGNORED, None) if isinstance(data, bytes) else None
    if expected is None:
        try:  # the reference parses at a deeper stack: skip where only it runs out
            expected = _reference_client_frame(data)
        except RecursionError:  # depends on the interpreter's limits
            return
    assert (frame.kind, frame.content) == expected


@PROPERTY
@given(FRAMES)
def test_parse_agent_frame_never_raises_and_checks_types(data: str | bytes) -> None:
    frame = parse_agent_frame(data)
    assert isinstance(frame, AgentFrame)
    if frame.kind is None:
        assert isinstance(frame.reason, str) and frame.reason
        return
    message = frame.message
    assert frame.reason is None and isinstance(message, dict)
    assert isinstance(message.get("metadata", {}), dict)
    if frame.kind is MessageKind.CONTENT:
        assert isinstance(message["content"], str)
    if frame.kind in (MessageKind.FUNCTION_CALL, MessageKind.FUNCTION_CALL_RESULT):
        data = message["data"]
        assert isinstance(data, dict) and isinstance(data.get("name", ""), str)
        # only a call must be named; a result may leave it out (the seed page's does)
        assert frame.kind is MessageKind.FUNCTION_CALL_RESULT or "name" in data


@PROPERTY
@given(PROTOCOLISH | JSON_VALUES)
def test_classify_message_takes_any_value_and_agrees_with_parse_agent_frame(value: Any) -> None:
    kind = classify_message(value)
    assert kind is None or isinstance(kind, MessageKind)
    wire = json.dumps(value)
    parsed = parse_agent_frame(wire)
    assert parsed.kind in (None, classify_message(json.loads(wire)))


AGENT_REPLIES = (
    st.none() | TEXT | PROTOCOLISH | JSON_VALUES
    | st.lists(TEXT | PROTOCOLISH | JSON_VALUES, max_size=5)
)  # fmt: skip


@PROPERTY
@given(AGENT_REPLIES)
def test_plan_turn_never_raises_and_keeps_protocol_order(raw: Any) -> None:
    plan = plan_turn(raw)
    json.dumps(plan.messages)  # what the server will send must be JSON
    assert all(isinstance(problem, str) for problem in plan.problems)
    tools = [m for m in plan.messages if "role" in m]
    rest = plan.messages[len(tools) :]
    assert [m["role"] for m in tools] == sorted(
        (m["role"] for m in tools), key=[FUNCTION_CALL, FUNCTION_CALL_RESULT].index
    )
    for message in tools:
        data = message["data"]
        assert set(message) == {"role", "data"}
        # a result may come without a name (the seed page's own example does); a call never
        named = message["role"] == FUNCTION_CALL or "name" in data
        assert set(data) == {"id", TOOL_ROLES[message["role"]]} | ({"name"} if named else set())
        assert all(isinstance(v, str) and v for v in (data["id"], data.get("name", "-")))
        assert isinstance(data[TOOL_ROLES[message["role"]]], str)
    assert len(rest) <= 1  # one closing message per turn, after every tool message
    if not rest:
        assert not plan.ends_call and not plan.has_content
        return
    (last,) = rest
    assert set(last) <= {"content", "type", "metadata"} and last
    assert plan.ends_call is ("type" in last) and last.get("type", END_CALL) == END_CALL
    assert plan.has_content is ("content" in last)
    assert isinstance(last.get("content", ""), str) and isinstance(last.get("metadata", {}), dict)
    if isinstance(raw, str) and raw:
        assert plan.messages == [{"content": raw}]


# -- 2. the generator and the checker ----------------------------------------------------


def test_the_fuzz_plan_is_reproducible_and_covers_every_kind() -> None:
    plans = plan_fuzz(SEED, clients=20, frames=2000, max_frame_bytes=MAX_FRAME_BYTES)
    assert plans == plan_fuzz(SEED, clients=20, frames=2000, max_frame_bytes=MAX_FRAME_BYTES)
    counts = frame_counts(plans)
    assert set(counts) == set(Fuzz) and sum(counts.values()) == 2000
    for client in plans:
        for plan in client:
            assert sum(f.kind in TERMINAL for f in plan.frames) == 1
            assert plan.frames[plan.end + 1 :] == () or plan.terminal.kind is Fuzz.END_CALL


def _joined(data: Any) -> Any:
    return data[0][:0].join(data) if isinstance(data, tuple) else data


def test_generated_frames_mean_what_they_say() -> None:
    """Checked with the stdlib's json, not with the shim's parser."""
    plans = plan_fuzz(SEED + 1, clients=4, frames=1500, max_frame_bytes=MAX_FRAME_BYTES)
    for frame in (f for client in plans for plan in client for f in plan.frames):
        data = _joined(frame.data)
        size = len(data.encode() if isinstance(data, str) else data)
        assert (size > MAX_FRAME_BYTES) is (frame.kind is Fuzz.OVERSIZED)
        obj = json.loads(data) if isinstance(data, str) and is_json(data) else None
        if frame.kind in (Fuzz.TURN, Fuzz.FRAGMENTED_TURN):
            assert isinstance(obj, dict) and "type" not in obj and obj["content"] == frame.echo
        else:
            assert frame.echo is None
        if frame.kind is Fuzz.MALFORMED_JSON:
            assert isinstance(data, str) and not is_json(data)
        if frame.kind is Fuzz.NOT_AN_OBJECT:
            assert is_json(data) and not isinstance(obj, dict)
        if frame.kind is Fuzz.WRONG_TYPES:
            assert isinstance(obj, dict) and "type" not in obj
            assert not isinstance(obj.get("content"), str)
        if frame.kind is Fuzz.UNKNOWN_TYPE:
            assert isinstance(obj, dict) and obj["type"] not in (END_CALL, None)
        if frame.kind is Fuzz.END_CALL:
            assert isinstance(obj, dict) and obj["type"] == END_CALL
            content = obj.get("content")
            assert frame.said == (content if isinstance(content, str) and content else None)
        if frame.kind in (Fuzz.BINARY, Fuzz.PING, Fuzz.PROTOCOL_ERROR, Fuzz.ABORT_MID_FRAME):
            assert isinstance(data, bytes)


def _transcript(key: str, lines: list[tuple[str, str]], ended_by: str = "tester") -> str:
    entries = [{"role": role, "content": text} for role, text in lines]
    headers = {CONVERSATION_HEADER.lower(): key}
    return json.dumps({"headers": headers, "transcript_object": entries, "ended_by": ended_by})


def test_the_transcript_checker_names_every_kind_of_problem(tmp_path: Path) -> None:
    tester, agent = "Testing Agent", "Main Agent"
    files = {
        "good.json": _transcript("good", [(tester, "a"), (agent, "a"), (tester, "bye")]),
        "prefix.json": _transcript("prefix", [(tester, "a"), (agent, "a")], "disconnect"),
        "short.json": _transcript("short", [], "disconnect"),
        "wrong.json": _transcript("wrong", [(tester, "b"), (agent, "b")]),
        "noecho.json": _transcript("noecho", [(tester, "a"), (agent, "A")]),
        "twice-1.json": _transcript("twice", [(tester, "a"), (agent, "a")]),
        "twice-2.json": _transcript("twice", [(tester, "a"), (agent, "a")]),
        "stranger.json": _transcript("stranger", []),
        "how.json": _transcript("how", [], "disconnect"),
        ".x.json.tmp": "{",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    expected = {
        "good": Expected(["a", "bye"], exact=True, ended_by="tester"),
        "prefix": Expected(["a", "b"], exact=False, at_least=1),
        "short": Expected(["a", "b"], exact=False, at_least=1),
        "wrong": Expected(["a"], exact=True),
        "noecho": Expected(["a"], exact=True),
        "twice": Expected(["a"], exact=True),
        "lost": Expected([], exact=True),
        "how": Expected([], exact=True, ended_by="tester"),
    }
    problems = check_transcripts(tmp_path, expected)
    assert sorted(p.split(":")[0] for p in problems) == sorted(
        [".x.json.tmp", "how", "lost", "noecho", "short", "stranger.json", "twice", "wrong"]
    )


# -- 3. the loopback fuzz -----------------------------------------------------------------


def _health(handle: Any) -> dict[str, Any]:
    url = handle.url.replace("ws://", "http://") + "/healthz"
    with urllib.request.urlopen(url, timeout=UNIT) as response:
        return json.loads(response.read())


def _wait_idle(handle: Any, bound_s: float = UNIT) -> dict[str, Any]:
    """Until the shim counts no open conversation (or ``bound_s`` passed): its health."""
    deadline = time.monotonic() + bound_s
    health = _health(handle)
    while health["conversations"] and time.monotonic() < deadline:
        time.sleep(0.02)
        health = _health(handle)
    return health


async def _fresh_conversation(url: str) -> str:
    async with connect(url, additional_headers={CONVERSATION_HEADER: "fresh"}) as ws:
        await ws.send(json.dumps({"content": "still there?"}))
        return json.loads(await asyncio.wait_for(ws.recv(), UNIT))["content"]


def _messages(call_or_doc: dict[str, Any]) -> str:
    return json.dumps(call_or_doc["messages"], sort_keys=True)


def test_the_shim_survives_2000_fuzzed_frames_and_keeps_every_transcript(tmp_path: Path) -> None:
    # close_timeout_s: after an end_call with frames still queued behind it, websockets'
    # reading stays paused, so the TCP close completes only at this timeout (RELIABILITY.md)
    config = ShimConfig(
        target="echo",
        port=0,
        transcripts_dir=tmp_path,
        max_frame_bytes=MAX_FRAME_BYTES,
        close_timeout_s=1.0,
    )
    plans = plan_fuzz(SEED, clients=20, frames=2000, max_frame_bytes=MAX_FRAME_BYTES)
    handle = start_shim_in_thread(config)
    try:
        outcomes, reports = asyncio.run(run_fuzz(handle.url, plans, controls=3, timeout_s=UNIT))
        assert [(o.plan.key, o.problems) for o in outcomes if o.problems] == []
        assert all(o.started for o in outcomes)
        assert [failure for r in reports for failure in r.failures] == []
        assert all(r.turns > 0 for r in reports)
        assert _wait_idle(handle) == {"status": "ok", "conversations": 0}
        assert asyncio.run(_fresh_conversation(handle.url)) == "still there?"
        expected = expectations(outcomes, reports)
        expected["fresh"] = Expected(["still there?"], exact=True, ended_by="disconnect")
        assert _wait_idle(handle)["conversations"] == 0
        calls = handle.calls()
    finally:
        handle.stop(timeout_s=UNIT)
        forget_secrets()
    assert check_transcripts(tmp_path, expected) == []
    assert len(list(tmp_path.iterdir())) == len(expected) == len(calls) < CALLS_KEPT
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in tmp_path.iterdir()]
    assert Counter(map(_messages, calls)) == Counter(map(_messages, docs))
    ends = Counter(o.plan.terminal.kind for o in outcomes)
    assert ends[Fuzz.ABORT] + ends[Fuzz.ABORT_MID_FRAME] > 0 and ends[Fuzz.OVERSIZED] > 0


# -- 4. found by fuzzing, fixed in 1d8c33d ----------------------------------------------


def _handshake(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=UNIT)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        assert chunk, "connection closed during the handshake"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101")
    return sock


def _masked_text(payload: bytes) -> bytes:
    key = os.urandom(4)
    assert len(payload) < 126
    size = bytes([0x80 | len(payload)])
    return b"\x81" + size + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_a_lone_surrogate_in_a_turn_keeps_its_transcript(tmp_path: Path) -> None:
    """A legal JSON escape with no UTF-8 form: the file once failed to write, and the
    conversation stayed counted as open for good."""

    async def talk(url: str) -> str:
        async with connect(url) as ws:
            await ws.send('{"content": "half a pair: \\ud800"}')  # plain ASCII on the wire
            return json.loads(await asyncio.wait_for(ws.recv(), UNIT))["content"]

    config = ShimConfig(target="echo", port=0, transcripts_dir=tmp_path)
    with start_shim_in_thread(config) as handle:
        assert asyncio.run(talk(handle.url)) == "half a pair: \ud800"  # the echo itself works
        health = _wait_idle(handle)
    # Transcripts go through one batched writer thread: by the time the shim has
    # stopped, every finished conversation is on disk (not necessarily before).
    files = list(tmp_path.iterdir())
    assert health["conversations"] == 0
    assert len(files) == 1


def test_a_failed_connection_with_queued_turns_ends_its_conversation_at_once(
    tmp_path: Path,
) -> None:
    """The shim once kept answering turns queued behind a 1009; each send on the closing
    connection waited for a TCP close that paused reading hid: close_timeout_s (60 here)."""
    config = ShimConfig(
        target="echo", port=0, transcripts_dir=tmp_path, max_frame_bytes=1024, close_timeout_s=60
    )
    with start_shim_in_thread(config) as handle:
        sock = _handshake(handle.port)
        turns = b"".join(_masked_text(b'{"content": "t%d"}' % i) for i in range(20))
        oversized = b"\x81\xfe" + (2000).to_bytes(2, "big") + os.urandom(4)
        sock.sendall(turns + oversized)  # one write: 20 queued turns, then a 1009
        sock.close()
        health = _wait_idle(handle)
        handle.stop(timeout_s=0.5)
    files = list(tmp_path.iterdir())  # written by the time the shim has stopped
    assert health["conversations"] == 0
    assert len(files) == 1


AGENT = '''
def unsendable(history, context):
    """Answers with metadata JSON cannot carry (a set)."""
    if not history:
        return None
    return {"content": "ok", "metadata": {"tags": {"a", "b"}}}
'''


def test_an_agent_answer_the_shim_cannot_encode_ends_the_conversation(tmp_path: Path) -> None:
    """A TypeError while encoding once killed the turn worker: the call went mute."""
    agent = tmp_path / "unsendable_agent.py"
    agent.write_text(AGENT)

    async def talk(url: str) -> int | None:
        async with connect(url) as ws:
            await ws.send(json.dumps({"content": "hi"}))
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), UNIT)
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd is not None else None
            except asyncio.TimeoutError:
                return None  # mute: neither an answer nor a close

    with start_shim_in_thread(ShimConfig(target=f"{agent}:unsendable", port=0)) as handle:
        code = asyncio.run(talk(handle.url))
    assert code == 1011


def test_plan_turn_never_raises_on_deeply_nested_tool_arguments() -> None:
    """json.dumps ran out of stack; from an HTTP agent's JSON at ~990 levels on 3.10/3.11."""
    arguments: list[Any] = []
    for _ in range(100_000):
        arguments = [arguments]
    plan = plan_turn({"role": FUNCTION_CALL, "data": {"name": "f", "arguments": arguments}})
    json.dumps(plan.messages)
