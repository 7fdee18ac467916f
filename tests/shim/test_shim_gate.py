"""Exact tests of the secret check (the HTTP routes are covered on loopback)."""

from __future__ import annotations

import pytest
from websockets.datastructures import Headers

from cekura_cli.shim.gate import SecretCheck

SECRET = "s3cret-é"


class RawHeaders:
    """Header values exactly as a websockets version may decode them (no validation)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k.lower() == name.lower()]


def headers(*pairs: tuple[str, str]) -> Headers:
    return RawHeaders(list(pairs))  # type: ignore[return-value]


def test_no_secret_lets_everything_in():
    check = SecretCheck(None)
    assert not check.enabled
    assert check.websocket_ok(headers())
    assert check.authorization_ok([])


@pytest.mark.parametrize(
    ("pairs", "ok"),
    [
        ([], False),
        ([("X-VOCERA-SECRET", "nope")], False),
        ([("x-vocera-secret", SECRET.encode().decode("latin-1"))], True),  # websockets >= 17
        ([("X-Vocera-Secret", SECRET.encode().decode("ascii", "surrogateescape"))], True),
        # an ISO-8859-1 client (websockets >= 17, Node ws): latin-1 bytes, accepted too
        ([("X-VOCERA-SECRET", SECRET)], True),
        ([("X-VOCERA-SECRET", "x"), ("X-VOCERA-SECRET", "y")], False),
    ],
)
def test_websocket_secret(pairs, ok):
    assert SecretCheck(SECRET).websocket_ok(headers(*pairs)) is ok


@pytest.mark.parametrize(
    ("values", "ok"),
    [
        ([], False),
        (["s3cret"], True),
        (["Bearer s3cret"], True),
        (["bearer   s3cret  "], True),
        (["s3cre"], False),
        (["Bearer s3cret-and-more"], False),
        (["Basic s3cret"], False),
        (["Bearer"], False),
        (["Bearer s3cret", "Bearer s3cret"], False),
    ],
)
def test_authorization(values, ok):
    assert SecretCheck("s3cret").authorization_ok(values) is ok
