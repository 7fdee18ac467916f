"""Transcript text split into turns for the HTML report: every shape the tool produces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cekura_cli.reporting.transcript_view import KNOWN_ROLES, Turn, TurnKind, parse_transcript


def test_the_sandbox_format_with_stamps_and_tool_calls() -> None:
    text = (
        "[00:00] Main Agent: Hello, Acme Clinic.\n"
        "[00:02] Testing Agent: Book me for 3pm\n"
        '[00:03] Function Call: book_slot({"time": "15:00", "day": "tomorrow"})\n'
        '[00:03] Function Call Result: book_slot -> {"ok": true, "ref": "BK-1234"}\n'
        "[00:04] Main Agent: Booked, BK-1234."
    )
    assert parse_transcript(text) == [
        Turn(TurnKind.AGENT, "Main Agent", "Hello, Acme Clinic.", "00:00"),
        Turn(TurnKind.TESTER, "Testing Agent", "Book me for 3pm", "00:02"),
        Turn(
            TurnKind.TOOL_CALL,
            "Function Call",
            '{\n  "time": "15:00",\n  "day": "tomorrow"\n}',
            "00:03",
            "book_slot",
        ),
        Turn(
            TurnKind.TOOL_RESULT,
            "Function Call Result",
            '{\n  "ok": true,\n  "ref": "BK-1234"\n}',
            "00:03",
            "book_slot",
        ),
        Turn(TurnKind.AGENT, "Main Agent", "Booked, BK-1234.", "00:04"),
    ]


def test_lines_without_a_known_role_continue_the_turn_before() -> None:
    text = "Testing Agent: first line\nNote: still the tester\n\nMain Agent: ok"
    assert parse_transcript(text) == [
        Turn(TurnKind.TESTER, "Testing Agent", "first line\nNote: still the tester"),
        Turn(TurnKind.AGENT, "Main Agent", "ok"),
    ]


def test_an_unfamiliar_format_still_splits_on_its_own_role_names() -> None:
    text = "Caller Bot: hi\nSupport Desk: hello\nhow can I help?"
    turns = parse_transcript(text)
    assert [(t.role, t.kind, t.text) for t in turns] == [
        ("Caller Bot", TurnKind.OTHER, "hi"),
        ("Support Desk", TurnKind.OTHER, "hello\nhow can I help?"),
    ]


def test_text_with_no_roles_is_one_turn_and_empty_text_none() -> None:
    assert parse_transcript("just words\nand more") == [
        Turn(TurnKind.OTHER, "", "just words\nand more")
    ]
    assert parse_transcript("") == parse_transcript("  \n") == parse_transcript(None) == []


def test_tool_text_that_is_not_json_or_not_a_call_is_kept_as_written() -> None:
    turns = parse_transcript("Function Call: not a call at all\nTool: lookup -> {broken")
    assert turns == [
        Turn(TurnKind.TOOL_CALL, "Function Call", "not a call at all"),
        Turn(TurnKind.TOOL_RESULT, "Tool", "{broken", tool="lookup"),
    ]


def test_role_names_are_matched_without_regard_to_case() -> None:
    (turn,) = parse_transcript("FUNCTION CALL RESULT: f -> 1")
    assert (turn.kind, turn.tool, turn.text) == (TurnKind.TOOL_RESULT, "f", "1")


_PLAIN_ROLES = [
    role for role, kind in KNOWN_ROLES.items() if kind in (TurnKind.AGENT, TurnKind.TESTER)
]
_MESSAGE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n\r"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and ":" not in s)


@given(st.lists(st.tuples(st.sampled_from(_PLAIN_ROLES), _MESSAGE), min_size=1, max_size=8))
def test_rendered_turns_parse_back_to_themselves(turns: list[tuple[str, str]]) -> None:
    text = "\n".join(f"{role.title()}: {message}" for role, message in turns)
    parsed = parse_transcript(text)
    assert [(t.role, t.text) for t in parsed] == [(r.title(), m) for r, m in turns]
    assert [t.kind for t in parsed] == [KNOWN_ROLES[r] for r, _ in turns]


@given(st.text(max_size=300))
def test_no_text_is_lost_and_nothing_raises(text: str) -> None:
    parsed = parse_transcript(text)
    joined = "\n".join(f"{t.role} {t.text}" for t in parsed)
    for word in text.split():
        if ":" not in word and not word.startswith("["):
            assert word in joined
