"""Cutting a long reason: the quoted agent reply goes before the explanation does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cekura_cli.orchestration.reason_cut import cut_reason

EXPLANATION = "turn 1: reply contains 'booked': expected the reply to turn 1 to contain 'booked'"
REPLY = "Sure thing! " * 30


def test_short_text_is_returned_unchanged():
    assert cut_reason("status: timeout", 300) == "status: timeout"


def test_the_quoted_reply_is_cut_and_the_explanation_kept():
    text = f"{EXPLANATION}; the agent said: '{REPLY.strip()}'; make it confirm the booking"
    cut = cut_reason(text, 200)
    assert len(cut) <= 200
    assert cut.startswith(EXPLANATION + "; the agent said: 'Sure thing!")
    assert cut.endswith("…'; make it confirm the booking")  # the advice after the quote


def test_a_double_quoted_reply_after_said_is_cut_too():
    text = f'the agent said: "{REPLY.strip()}" — expected a confirmation number'
    cut = cut_reason(text, 120)
    assert cut.endswith('…" — expected a confirmation number')


def test_json_arguments_in_double_quotes_are_not_taken_for_quotes():
    text = (
        'expected book_appointment({"date": "tomorrow"}) while answering turn 1 '
        f"('{REPLY.strip()}'); it called no tool"
    )
    cut = cut_reason(text, 150)
    assert cut.startswith('expected book_appointment({"date": "tomorrow"}) while answering')
    assert cut.endswith("…'); it called no tool")


def test_apostrophes_inside_a_quote_do_not_end_it():
    text = "the agent said: 'I'd say it's " + "really " * 40 + "fine'; expected 'booked'"
    cut = cut_reason(text, 100)
    assert cut.startswith("the agent said: 'I'd say it's really")
    assert cut.endswith("…'; expected 'booked'")


def test_without_quotes_the_end_is_cut_with_an_ellipsis():
    text = "word " * 100
    cut = cut_reason(text.strip(), 50)
    assert len(cut) <= 50
    assert cut.endswith("…") and cut.startswith("word word")


@given(st.text(alphabet=st.sampled_from("ab '\";:()said"), max_size=400), st.integers(1, 300))
def test_never_longer_than_the_limit(text, limit):
    cut = cut_reason(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text


HEAD = "expected 'x'; the agent said: "


@given(st.text(min_size=30, max_size=300), st.integers(len(HEAD) + 40, 300))
def test_the_explanation_before_a_quote_survives(reply, limit):
    """With room for the explanation and a short excerpt, only the reply is cut."""
    reply = " ".join(reply.replace("'", "").split()) or "x"
    cut = cut_reason(f"{HEAD}'{reply}' so fix it", limit)
    assert len(cut) <= limit
    assert cut.startswith(HEAD + "'")
    assert cut.endswith("' so fix it")
