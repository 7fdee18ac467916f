from __future__ import annotations

import logging

import pytest

from cekura_cli.redact import RedactingFilter, mask, redact, register_secret


def test_mask_shows_at_most_the_last_four_characters() -> None:
    assert mask("sk_test_abcdefghijkl") == "****ijkl"
    assert mask("short") == "****"


def test_redact_replaces_every_occurrence_of_every_secret() -> None:
    register_secret("first-secret-1234")
    register_secret("second-secret-5678")
    text = redact("a first-secret-1234 b second-secret-5678 c first-secret-1234")
    assert "first-secret-1234" not in text
    assert "second-secret-5678" not in text
    assert text.count("****") == 3


def test_tiny_or_empty_secrets_are_not_registered() -> None:
    register_secret("")
    register_secret(None)
    register_secret("ab")
    assert redact("ab cd") == "ab cd"


def test_logging_filter_redacts_formatted_messages(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("log-secret-abcdef")
    logger = logging.getLogger("cekura_cli.test_redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="cekura_cli.test_redact"):
        logger.debug("header value %s", "log-secret-abcdef")
    assert "log-secret-abcdef" not in caplog.text
    assert "****" in caplog.text


def test_a_secret_quoted_cut_short_is_masked_too() -> None:
    register_secret("wss_S3cr3t_value_42")
    text = redact("the service said: bad secret 'wss_S3cr3t_…' (truncated)")
    assert "wss_S3cr" not in text
    assert "'****…'" in text


def test_a_secret_fragment_inside_other_text_is_masked_to_its_full_extent() -> None:
    register_secret("sk_test_abcdefghijklmnop")
    assert redact("xx-defghijklm-yy") == "xx-****-yy"
    assert redact("ordinary words only") == "ordinary words only"
    assert redact("sk_test") == "sk_test"  # shorter than a fragment: left alone
