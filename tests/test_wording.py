"""Plurals and library wording: one helper, so "1 run" and "3 runs" agree everywhere."""

from __future__ import annotations

import pytest

from cekura_cli.wording import count, plural, validation_message


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "0 runs"), (1, "1 run"), (2, "2 runs"), (9000, "9,000 runs")],
)
def test_count_is_singular_only_for_one(n, expected):
    assert count(n, "run") == expected


def test_irregular_plural_and_bare_noun():
    assert count(1, "query", "queries") == "1 query"
    assert count(3, "query", "queries") == "3 queries"
    assert plural(1, "scenario") == "scenario"
    assert plural(0, "scenario") == "scenarios"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Value error, must start with http:// or https://", "must start with http:// or https://"),
        ("Assertion failed, ids must be unique", "ids must be unique"),
        ("Input should be greater than 0", "Input should be greater than 0"),
        ("A Value error, in the middle stays", "A Value error, in the middle stays"),
    ],
)
def test_validation_message_drops_pydantic_wrapper_words(message, expected):
    assert validation_message(message) == expected


def test_settings_error_has_no_pydantic_wrapper(tmp_path):
    from cekura_cli.errors import ConfigError
    from cekura_cli.settings import load_settings

    with pytest.raises(ConfigError) as caught:
        load_settings({"api_url": "ftp://example.invalid"}, directory=tmp_path)
    assert "Value error" not in caught.value.message
    assert caught.value.message.endswith("must start with http:// or https://")
