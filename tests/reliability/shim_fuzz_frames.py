"""Fuzzed tester traffic for the shim, the loopback driver that plays it, and the checks.

Shared by ``test_shim_fuzz.py`` (about 2,000 frames) and ``benchmarks/soak_shim_fuzz.py``
(10,000+). The generator is pure: a seed in, plans out. A :class:`ConversationPlan` holds
every frame of one conversation and what the ``echo`` agent must do with each (answer it
with exactly its text, ignore it, or end the conversation), so a failure is replayed from
the seed and the conversation's key. Expectations come from the protocol document and
the standard library's ``json``, never from the shim's own parser.

:func:`run_fuzz` plays the plans over real websockets on loopback while control
conversations talk normally; :func:`check_transcripts` compares the files with the plans.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

CONVERSATION_HEADER = "X-Fuzz-Conversation"
"""Names each conversation; the shim copies ``X-`` headers into its transcript."""


class Fuzz(str, Enum):
    """What one fuzzed frame (or action) is."""

    TURN = "turn"  # {"content": str}, maybe padded or with extra fields: echoed
    FRAGMENTED_TURN = "fragmented_turn"  # the same, in 2-4 fragments: echoed
    MALFORMED_JSON = "malformed_json"  # text the stdlib's json rejects: ignored
    NOT_AN_OBJECT = "not_an_object"  # a JSON array, string, number, null: ignored
    WRONG_TYPES = "wrong_types"  # an object without a string content: ignored
    UNKNOWN_TYPE = "unknown_type"  # a type other than "end_call" (END_CALL, [..]): ignored
    BINARY = "binary"  # binary frames, even ones holding a turn or an end_call: ignored
    DEEP_NESTING = "deep_nesting"  # arrays/objects nested up to the frame limit: ignored
    PING = "ping"  # a control ping: a pong, no message
    # terminal: each conversation ends with exactly one of these
    END_CALL = "end_call"  # the shim closes 1000 and answers nothing more, even frames after
    CLOSE = "close"  # the client closes cleanly (1000, 1001, 3000, 4000, 4999)
    OVERSIZED = "oversized"  # over max_frame_bytes (text, binary or fragmented): 1009
    PROTOCOL_ERROR = "protocol_error"  # raw frames breaking RFC 6455: 1002 (1007 bad UTF-8)
    ABORT = "abort"  # the transport is aborted, no close frame
    ABORT_MID_FRAME = "abort_mid_frame"  # half a frame on the wire, then abort


BODY_WEIGHTS = {
    Fuzz.TURN: 30, Fuzz.FRAGMENTED_TURN: 5, Fuzz.MALFORMED_JSON: 15, Fuzz.NOT_AN_OBJECT: 8,
    Fuzz.WRONG_TYPES: 12, Fuzz.UNKNOWN_TYPE: 10, Fuzz.BINARY: 8, Fuzz.DEEP_NESTING: 4,
    Fuzz.PING: 3,
}  # fmt: skip
END_WEIGHTS = {
    Fuzz.END_CALL: 25, Fuzz.CLOSE: 20, Fuzz.ABORT: 20, Fuzz.ABORT_MID_FRAME: 10,
    Fuzz.OVERSIZED: 15, Fuzz.PROTOCOL_ERROR: 10,
}  # fmt: skip
TERMINAL = frozenset(END_WEIGHTS)
RAW = frozenset({Fuzz.PROTOCOL_ERROR, Fuzz.ABORT_MID_FRAME})  # bytes written under websockets
MAX_BODY_FRAMES = 30

PIECES = [
    "hello", "Book me for Friday at 4pm", "end_call", '{"content": "nested"}',
    '{"type": "end_call"}', "\\", '"', "\n", "\t", "\r\n", "\x00", "\x1f", "\x7f", "\u200b",
    "\u202e", "é", "e\u0301", "日本語", "😀", "👩\u200d👩\u200d👧", "\ufeff", "\uffff",
    "\U0010ffff", " ", "null", "NaN", "<script>", "%s%n", "' OR 1=1 --",
]  # fmt: skip
RUN_IDS = ["dup", "../../etc/passwd", "a b/c\\d", ".", "..", "-", "x" * 200, "CON", "a:b*?"]
EXTRA_FIELDS = [{"metadata": {"a": [1]}}, {"role": "user"}, {"data": None}, {"x": {"content": 1}}]
NOT_OBJECTS: list[Any] = [
    [{"content": "hi"}], [], '{"content": "hi"}', "end_call", 42, -0.5, True, None,
]  # fmt: skip
BAD_CONTENTS: list[Any] = [1, 2.5, None, True, [], ["hi"], {}, {"content": "hi"}]
NO_CONTENT: list[Any] = [{}, {"Content": "hi"}, {"text": "hi"}, {"message": {"content": "hi"}}]
ODD_TYPES: list[Any] = [
    "END_CALL", "End_Call", "end_call ", " end_call", "endcall", "end-call", "ping", "",
    0, 1, True, False, ["end_call"], {"end_call": True}, "content",
]  # fmt: skip
END_CONTENTS: list[Any] = [None, "", "Bye now", 3, [], {"a": 1}]
GARBAGE = [
    "", "   ", "undefined", "True", "None", "{", "}", "[", '"', "nan", '{"content": "\\q"}',
    '{"content": "\\u12"}', '{"content": ' + "1" * 5000 + "}",  # past the int-digit limit
]  # fmt: skip


@dataclass(frozen=True)
class Frame:
    """One frame (or action) and what the shim must do with it."""

    kind: Fuzz
    data: str | bytes | tuple[str, ...] | tuple[bytes, ...] = ""  # tuple: fragments
    echo: str | None = None  # the text the echo agent must answer with
    said: str | None = None  # END_CALL: the tester line it adds (a non-empty str content)
    code: int | None = None  # CLOSE: the code sent; others: the code the shim must send


@dataclass(frozen=True)
class ConversationPlan:
    """One conversation: its frames (the terminal one, then any frames sent after an
    end_call) and whether the client waits for every echo before the terminal frame."""

    key: str
    run_id: str | None
    frames: tuple[Frame, ...]
    settle: bool

    @property
    def end(self) -> int:
        return next(i for i, f in enumerate(self.frames) if f.kind in TERMINAL)

    @property
    def terminal(self) -> Frame:
        return self.frames[self.end]

    @property
    def echoes(self) -> list[str]:
        return [f.echo for f in self.frames[: self.end] if f.echo is not None]

    @property
    def tester_lines(self) -> list[str]:
        said = self.terminal.said
        return self.echoes + ([said] if said else [])

    @property
    def exact(self) -> bool:
        """Replies and transcript are known exactly (else: a prefix of them)."""
        return self.settle or self.terminal.kind is Fuzz.END_CALL


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _text(rng: random.Random, budget: int, *, surrogates: bool = True) -> str:
    """Chat text: words, escapes, controls, astral and combining characters, and now and
    then a lone surrogate (legal as a JSON escape, with no UTF-8 form)."""
    if rng.random() < 0.05:
        return rng.choice(["", " ", "x" * rng.randint(budget // 4, budget // 2)])
    parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 6))]
    for _ in range(rng.choice([0, 0, 4])):
        parts.append(chr(rng.choice([rng.randint(32, 0xD7FF), rng.randint(0xE000, 0x10FFFF)])))
    if surrogates and rng.random() < 0.05:
        parts.insert(rng.randint(0, len(parts)), chr(rng.randint(0xD800, 0xDFFF)))
    return "".join(parts)


def _dump(rng: random.Random, obj: Any) -> str:
    """``obj`` as JSON, ASCII or not, compact or not, sometimes padded with whitespace."""
    ascii_only, compact = rng.random() < 0.5, rng.random() < 0.5
    text = json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":") if compact else None)
    if not ascii_only and text != text.encode("utf-8", "replace").decode():  # a lone surrogate
        text = json.dumps(obj, separators=(",", ":") if compact else None)  # travels escaped
    if rng.random() < 0.15:
        text = rng.choice([" ", "\n", "\t", "\r\n "]) + text + rng.choice(["", " ", "\n"])
    return text


def _turn(rng: random.Random, max_bytes: int) -> tuple[str, str]:
    """(frame, the text to echo): a turn that fits in ``max_bytes``."""
    text = _text(rng, max_bytes)
    while True:
        items = [("content", text)]
        if rng.random() < 0.3:  # unknown fields are ignored (never "type")
            items += rng.choice(EXTRA_FIELDS).items()
            rng.shuffle(items)
        frame = _dump(rng, dict(items))
        if len(frame.encode()) <= max_bytes:
            return frame, text
        text = text[: len(text) // 2]


def _split(rng: random.Random, data: Any) -> tuple[Any, ...]:
    cuts = sorted(rng.sample(range(1, len(data)), min(rng.randint(1, 3), len(data) - 1)))
    return tuple(data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True))


def _malformed(rng: random.Random, max_bytes: int) -> str:
    for _ in range(20):
        turn, _ = _turn(rng, max_bytes // 2)
        candidate = rng.choice(
            [
                turn[: rng.randint(1, max(1, len(turn.strip()) - 1))],  # truncated
                turn + rng.choice([" x", "}", ",", "{"]),  # trailing garbage
                turn + turn,  # two objects
                turn.replace('"', "'"),
                turn.replace("}", ",}", 1),
                '{"content": "a' + chr(rng.randint(0, 31)) + 'b"}',  # a raw control character
                "".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(0, 40))),
                rng.choice(GARBAGE),
            ]
        )
        if len(candidate.encode()) <= max_bytes and not is_json(candidate):
            return candidate
    return "not json"


def _body_frame(rng: random.Random, kind: Fuzz, max_bytes: int) -> Frame:
    if kind in (Fuzz.TURN, Fuzz.FRAGMENTED_TURN):
        frame, text = _turn(rng, max_bytes)
        if kind is Fuzz.FRAGMENTED_TURN and len(frame) > 1:
            return Frame(kind, _split(rng, frame), echo=text)
        return Frame(Fuzz.TURN, frame, echo=text)
    if kind is Fuzz.MALFORMED_JSON:
        return Frame(kind, _malformed(rng, max_bytes))
    if kind is Fuzz.NOT_AN_OBJECT:
        return Frame(kind, rng.choice([_dump(rng, rng.choice(NOT_OBJECTS)), "NaN", "-Infinity"]))
    if kind is Fuzz.WRONG_TYPES:
        obj = rng.choice([{"content": rng.choice(BAD_CONTENTS)}, rng.choice(NO_CONTENT)])
        return Frame(kind, _dump(rng, obj))
    if kind is Fuzz.UNKNOWN_TYPE:
        obj = {"type": rng.choice(ODD_TYPES)}
        if rng.random() < 0.7:
            obj["content"] = _text(rng, max_bytes // 4)[: max_bytes // 8]
        return Frame(kind, _dump(rng, obj))
    if kind is Fuzz.BINARY:
        turn, _ = _turn(rng, max_bytes)
        data = rng.choice([turn.encode(), b'{"type": "end_call"}', rng.randbytes(64), b""])
        return Frame(kind, _split(rng, data) if len(data) > 1 and rng.random() < 0.2 else data)
    if kind is Fuzz.DEEP_NESTING:
        n = rng.randint(10, max_bytes // 2 - 8)
        shapes = ["[" * n + "]" * n, '{"a":' * (n // 3) + "1" + "}" * (n // 3)]
        shapes.append('{"content": ' + "[" * (n - 8) + "]" * (n - 8) + "}")
        return Frame(kind, rng.choice(shapes))
    if kind is Fuzz.PING:
        return Frame(kind, rng.randbytes(rng.randint(4, 125)))  # one pong waiter per payload
    raise ValueError(kind)


def _wire(payload: bytes, rng: random.Random, *, first: int = 0x81, mask: bool = True) -> bytes:
    """A client frame laid out as RFC 6455 says (``first``: the FIN, RSV and opcode bits)."""
    size, bit = len(payload), 0x80 if mask else 0
    if size < 126:
        head = bytes([first, bit | size])
    else:
        head = bytes([first, bit | 126]) + size.to_bytes(2, "big")
    if not mask:
        return head + payload
    key = rng.randbytes(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def _terminal_frame(rng: random.Random, kind: Fuzz, max_bytes: int) -> Frame:
    if kind is Fuzz.END_CALL:
        content = rng.choice([*END_CONTENTS, _text(rng, 200)[:200]])
        obj: dict[str, Any] = {"type": "end_call"}
        if content is not None:
            obj["content"] = content
        if rng.random() < 0.2:
            obj["metadata"] = {"why": "done"}
        said = content if isinstance(content, str) and content else None
        return Frame(kind, _dump(rng, obj), said=said, code=1000)
    if kind is Fuzz.CLOSE:
        reason = _text(rng, 40, surrogates=False)[:20]
        return Frame(kind, reason, code=rng.choice([1000, 1001, 3000, 4000, 4999]))
    if kind is Fuzz.OVERSIZED:
        text = '{"content": "' + "x" * rng.randint(max_bytes, 2 * max_bytes) + '"}'
        data = rng.choice([text, text.encode(), _split(rng, text)])  # fragments add up
        return Frame(kind, data, code=1009)
    if kind is Fuzz.PROTOCOL_ERROR:
        hi = b'{"content": "hi"}'
        data, code = rng.choice(
            [
                (_wire(hi, rng, mask=False), 1002),  # a client frame must be masked
                (_wire(hi, rng, first=0x83), 1002),  # a reserved opcode
                (_wire(hi, rng, first=0xC1), 1002),  # RSV1 without an extension
                (_wire(hi, rng, first=0x80), 1002),  # a continuation of nothing
                (_wire(b"p" * 126, rng, first=0x89), 1002),  # a ping over 125 bytes
                (_wire(b"p", rng, first=0x09), 1002),  # a fragmented ping
                (_wire(b'{"content": "\xff\xfe"}', rng), 1007),  # text that is not UTF-8
            ]
        )
        return Frame(kind, data, code=code)
    if kind is Fuzz.ABORT_MID_FRAME:
        whole = _wire(_turn(rng, max_bytes)[0].encode(), rng)
        return Frame(kind, whole[: rng.randint(1, len(whole) - 1)])
    return Frame(kind)  # ABORT


def _pick(rng: random.Random, weights: dict[Fuzz, int]) -> Fuzz:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_client(
    seed: int, client: int, frames: int, *, max_frame_bytes: int
) -> list[ConversationPlan]:
    """Conversations for one client, ``frames`` frames in all (terminal ones counted)."""
    rng = random.Random(f"{seed}/{client}")
    plans: list[ConversationPlan] = []
    left = frames
    while left > 0:
        size = min(rng.randint(0, MAX_BODY_FRAMES), left - 1)
        end = _terminal_frame(rng, _pick(rng, END_WEIGHTS), max_frame_bytes)
        after = min(rng.randint(0, 3), left - 1 - size) if end.kind is Fuzz.END_CALL else 0
        body = [_body_frame(rng, _pick(rng, BODY_WEIGHTS), max_frame_bytes) for _ in range(size)]
        body.append(end)
        body += [_body_frame(rng, _pick(rng, BODY_WEIGHTS), max_frame_bytes) for _ in range(after)]
        key = f"c{client:02d}-{len(plans):03d}"
        roll = rng.random()
        run_id = None if roll < 0.4 else f"run-{key}" if roll < 0.8 else rng.choice(RUN_IDS)
        plans.append(ConversationPlan(key, run_id, tuple(body), settle=rng.random() < 0.5))
        left -= len(body)
    return plans


def plan_fuzz(
    seed: int, *, clients: int, frames: int, max_frame_bytes: int
) -> list[list[ConversationPlan]]:
    """``frames`` frames shared out over ``clients`` clients, each a list of conversations."""
    share, extra = divmod(frames, clients)
    return [
        plan_client(seed, c, share + (c < extra), max_frame_bytes=max_frame_bytes)
        for c in range(clients)
    ]


def frame_counts(plans: list[list[ConversationPlan]]) -> Counter[Fuzz]:
    return Counter(f.kind for client in plans for plan in client for f in plan.frames)


# -- the loopback driver ------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What one conversation's transcript file must hold."""

    lines: list[str]  # the tester lines, in order
    exact: bool  # False: a prefix of ``lines``, at least ``at_least`` of them
    at_least: int = 0
    ended_by: str | None = None


@dataclass
class Outcome:
    """What one fuzzed conversation got back."""

    plan: ConversationPlan
    started: bool = False
    replies: list[str] = field(default_factory=list)  # the echoed texts, in order
    closed_with: int | None = None  # the code of the shim's close frame, if one came
    problems: list[str] = field(default_factory=list)

    def expected(self) -> Expected:
        ended_by = "tester" if self.plan.terminal.kind is Fuzz.END_CALL else "disconnect"
        return Expected(self.plan.tester_lines, self.plan.exact, len(self.replies), ended_by)


def _reply_text(message: str | bytes) -> str | None:
    """The text of an echo reply (``{"content": str}`` and nothing else), else None."""
    try:
        reply = json.loads(message)
    except (TypeError, ValueError):
        return None
    if isinstance(reply, dict) and list(reply) == ["content"] and isinstance(reply["content"], str):
        return reply["content"]
    return None


async def _read(ws: Any, outcome: Outcome, arrived: asyncio.Event) -> None:
    try:
        async for message in ws:
            text = _reply_text(message)
            if text is None:
                outcome.problems.append(f"unexpected message {message!r:.80}")
            else:
                outcome.replies.append(text)
            arrived.set()
    except ConnectionClosed:
        pass
    finally:
        arrived.set()


async def _send(ws: Any, frame: Frame) -> None:
    if frame.kind is Fuzz.PING:
        await ws.ping(frame.data)
    elif frame.kind in RAW:
        ws.transport.write(frame.data)
    elif frame.kind is Fuzz.ABORT:
        ws.transport.abort()
    elif frame.kind is Fuzz.CLOSE:
        await ws.close(frame.code, frame.data)
    else:
        await ws.send(list(frame.data) if isinstance(frame.data, tuple) else frame.data)
    if frame.kind is Fuzz.ABORT_MID_FRAME:
        ws.transport.abort()


async def play(url: str, plan: ConversationPlan, *, timeout_s: float) -> Outcome:
    """Send ``plan`` to the shim at ``url``; every wait is bounded by ``timeout_s``."""
    outcome = Outcome(plan)
    headers = {CONVERSATION_HEADER: plan.key}
    if plan.run_id is not None:
        headers["X-VOCERA-RUN-ID"] = plan.run_id
    try:
        ws = await connect(url, additional_headers=headers, ping_interval=None,
                           open_timeout=timeout_s, close_timeout=timeout_s)  # fmt: skip
    except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
        outcome.problems.append(f"could not connect: {exc!r:.80}")
        return outcome
    outcome.started = True
    arrived = asyncio.Event()
    reader = asyncio.ensure_future(_read(ws, outcome, arrived))
    loop = asyncio.get_running_loop()
    try:
        for frame in plan.frames[: plan.end]:
            await _send(ws, frame)
        deadline = loop.time() + timeout_s
        while plan.settle and len(outcome.replies) < len(plan.echoes) and not reader.done():
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), max(0.0, deadline - loop.time()))
        for frame in plan.frames[plan.end :]:  # frames after an end_call: best effort
            with contextlib.suppress(ConnectionClosed):  # the shim may close mid-send
                await _send(ws, frame)
        await asyncio.wait_for(asyncio.shield(reader), timeout_s)
    except ConnectionClosed as exc:
        outcome.problems.append(f"closed early by the shim ({exc.rcvd and exc.rcvd.code})")
    except WebSocketException as exc:  # a client-side misuse: report it, keep the others going
        outcome.problems.append(f"client error: {exc!r:.80}")
    except asyncio.TimeoutError:
        outcome.problems.append(f"no answer or close within {timeout_s:g} s")
    finally:
        ws.transport.abort()
        await asyncio.wait([reader], timeout=timeout_s)
    rcvd = ws.protocol.close_rcvd
    outcome.closed_with = rcvd.code if rcvd is not None else None
    got, want, end = outcome.replies, plan.echoes, plan.terminal
    if got != (want if plan.exact else want[: len(got)]):
        outcome.problems.append(f"{len(got)} replies do not match the {len(want)} turns sent")
    shim_closes = end.kind not in (Fuzz.CLOSE, Fuzz.ABORT, Fuzz.ABORT_MID_FRAME)
    if shim_closes and outcome.closed_with != end.code:
        outcome.problems.append(f"shim closed with {outcome.closed_with}, not {end.code}")
    return outcome


@dataclass
class ControlReport:
    """Normal conversations held during the fuzzing: every reply must be exact."""

    turns: int = 0
    failures: list[str] = field(default_factory=list)
    expected: dict[str, Expected] = field(default_factory=dict)


async def control(
    url: str, name: str, done: asyncio.Event, *, turns: int, limit: int, timeout_s: float
) -> ControlReport:
    """Scripted conversations of ``turns`` turns until ``done`` (or ``limit`` of them);
    odd ones end with an end_call, even ones with a clean close."""
    report, rng = ControlReport(), random.Random(name)
    for n in range(limit):
        if done.is_set():
            break
        key, lines = f"{name}-{n:03d}", []
        try:
            async with connect(url, additional_headers={CONVERSATION_HEADER: key},
                               ping_interval=None, open_timeout=timeout_s) as ws:  # fmt: skip
                for t in range(turns):
                    text = f"{key}/{t} {_text(rng, 200)[:100]}"
                    await ws.send(json.dumps({"content": text}))
                    lines.append(text)
                    reply = _reply_text(await asyncio.wait_for(ws.recv(), timeout_s))
                    report.turns += 1
                    if reply != text:
                        report.failures.append(f"{key}/{t}: got {reply!r:.60}")
                if n % 2:
                    lines.append(f"{key} bye")
                    await ws.send(json.dumps({"type": "end_call", "content": lines[-1]}))
                    await asyncio.wait_for(ws.wait_closed(), timeout_s)
        except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
            report.failures.append(f"{key}: {exc!r:.80}")
            report.expected[key] = Expected(lines, exact=False)
            continue
        report.expected[key] = Expected(lines, True, ended_by="tester" if n % 2 else "disconnect")
    return report


async def run_fuzz(
    url: str,
    plans: list[list[ConversationPlan]],
    *,
    controls: int,
    timeout_s: float,
    control_turns: int = 8,
    control_limit: int = 100,
) -> tuple[list[Outcome], list[ControlReport]]:
    """Every client plays its conversations one after another, all clients at once, while
    ``controls`` control clients talk normally until the last client is done."""
    done = asyncio.Event()

    async def client(conversations: list[ConversationPlan]) -> list[Outcome]:
        return [await play(url, plan, timeout_s=timeout_s) for plan in conversations]

    talking = [
        asyncio.ensure_future(
            control(
                url, f"ctl{i}", done, turns=control_turns, limit=control_limit, timeout_s=timeout_s
            )  # fmt: skip
        )
        for i in range(controls)
    ]
    try:
        outcomes = await asyncio.gather(*(client(conversations) for conversations in plans))
    finally:
        done.set()
        reports = await asyncio.gather(*talking)
    return [o for client_outcomes in outcomes for o in client_outcomes], reports


def expectations(outcomes: list[Outcome], reports: list[ControlReport]) -> dict[str, Expected]:
    """Every conversation the shim saw open, by key, with what its transcript must hold."""
    expected = {o.plan.key: o.expected() for o in outcomes if o.started}
    for report in reports:
        expected.update(report.expected)
    return expected


def check_transcripts(directory: Path, expected: dict[str, Expected]) -> list[str]:
    """Problems: a conversation without exactly one file, an unreadable file, tester lines
    that are not the ones sent, an agent line that is not the echo of the line before."""
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for path in sorted(directory.iterdir()):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            key = doc["headers"][CONVERSATION_HEADER.lower()]
            entries = [(e["role"], e["content"]) for e in doc["transcript_object"]]
        except (ValueError, KeyError, TypeError) as exc:  # also stray temp files
            problems.append(f"{path.name}: not a readable transcript ({exc!r:.60})")
            continue
        seen[key] += 1
        want = expected.get(key)
        if want is None:
            problems.append(f"{path.name}: unknown conversation {key!r}")
            continue
        tester = [content for role, content in entries if role == "Testing Agent"]
        fits = tester == want.lines if want.exact else tester == want.lines[: len(tester)]
        if not fits or len(tester) < want.at_least:
            problems.append(f"{key}: {len(tester)} tester lines, {len(want.lines)} sent")
        before: tuple[str, Any] = ("", None)
        for role, content in entries:
            if role == "Main Agent" and before != ("Testing Agent", content):
                problems.append(f"{key}: an agent line that is not an echo")
                break
            before = (role, content)
        if want.ended_by is not None and doc.get("ended_by") != want.ended_by:
            problems.append(f"{key}: ended by {doc.get('ended_by')}, not {want.ended_by}")
    problems += [f"{key}: {seen[key]} transcript files" for key in expected if seen[key] != 1]
    return problems
