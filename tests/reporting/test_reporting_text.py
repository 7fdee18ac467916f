"""The shared text helpers: cleaning untrusted text, short forms, number formats."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.redact import register_secret
from cekura_cli.reporting._text import (
    clean,
    format_elapsed,
    one_line,
    percent,
    round_rate,
    shorten_middle,
    threshold_percent,
)

# Everything outside XML 1.0's Char production, plus what moves a terminal's cursor.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\r]")


def _reference_clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]", "", text)
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(),
            # the characters that matter, often enough to meet each other
            st.sampled_from("\x00\x07\t\n\r\x0b\x1b\x7f\x85\x9f\ud800\udfff\ufffe\uffff\xa0é½"),
        ),
        max_size=200,
    )
)
def test_clean_matches_the_simple_definition_and_leaves_nothing_unsafe(text):
    cleaned = clean(text)
    assert cleaned == _reference_clean(text)
    assert UNSAFE.search(cleaned) is None
    cleaned.encode("utf-8")  # always encodable


def test_clean_keeps_ordinary_text_identical():
    text = "Zoë: ¿Mesa para 2? — ☀️ 日本語 ½ «ok»\n\tdone"
    assert clean(text) == text


def test_clean_removes_terminal_escapes_and_masks_secrets():
    register_secret("tok-1234567890abcd")
    assert clean("\x1b[31mred\x1b[0m tok-1234567890abcd\x85") == "[31mred[0m ****abcd"


def test_one_line_collapses_whitespace_and_cuts():
    assert one_line("  a\n\n b\tc  ") == "a b c"
    assert one_line("abcdefghij", 5) == "abcd…"
    assert one_line(None) == ""


def test_shorten_middle_keeps_head_and_tail():
    text = "HEAD" + "x" * 1000 + "TAIL"
    short = shorten_middle(text, 100)
    assert short.startswith("HEAD") and short.endswith("TAIL")
    assert "[… 908 characters omitted …]" in short
    assert shorten_middle("short", 100) == "short"


def test_number_formats():
    assert percent(0.7) == "70.0%"
    assert threshold_percent(1.0) == "100%"
    assert threshold_percent(0.875) == "87.5%"
    assert threshold_percent(0.57) == "57%"
    assert round_rate(2 / 3) == 0.6667
    assert round_rate(0.99999) == 0.9999
    assert round_rate(1.0) == 1.0
    assert format_elapsed(None) == "?"
    assert format_elapsed(59.9) == "59s"
    assert format_elapsed(61) == "1m01s"
    assert format_elapsed(3723) == "1h02m03s"
