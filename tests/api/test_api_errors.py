"""The one place httpx failures and error bodies become the tool's errors."""

from __future__ import annotations

import httpx
import pytest
from api_helpers import API_KEY, MASKED

from cekura_cli.api.errors import (
    check_status,
    flatten_drf_error,
    one_line,
    response_detail,
    translate_transport_error,
)
from cekura_cli.api.retry import TransientFailure
from cekura_cli.errors import AuthError, NotFoundError, RequestRejected, ServiceError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.redact import register_secret


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"detail": "Not found."}, "Not found."),
        (
            {"scenarios": ['Invalid pk "9" - object does not exist.']},
            'scenarios: Invalid pk "9" - object does not exist.',
        ),
        (
            {"agent_id": ["required"], "frequency": ["must be >= 1", "too big"]},
            "agent_id: required; frequency: must be >= 1; too big",
        ),
        (["Either scenarios or tags must be given."], "Either scenarios or tags must be given."),
        ({"non_field_errors": ["bad combination"]}, "bad combination"),
        (
            {"websocket_headers": {"X-Token": ["not a string"]}},
            "websocket_headers.X-Token: not a string",
        ),
        ([{"id": ["bad"]}, "plain"], "id: bad; plain"),
        ("just text", "just text"),
        ({}, ""),
        (None, ""),
    ],
)
def test_flatten_drf_error(body: object, expected: str) -> None:
    assert flatten_drf_error(body) == expected


def test_one_line_collapses_truncates_and_redacts() -> None:
    register_secret(API_KEY)
    text = "line one\n\n  line two " + API_KEY + " " + "x" * 500
    flat = one_line(text, 60)
    assert "\n" not in flat
    assert len(flat) <= 60
    assert flat.endswith("…")
    assert API_KEY not in flat and MASKED in flat


def test_response_detail_of_an_html_page_is_short_text() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>" + "<p>x</p>" * 400
    response = httpx.Response(502, text=html, headers={"content-type": "text/html"})
    detail = response_detail(response)
    assert detail.startswith("502 Bad Gateway")
    assert "<" not in detail and len(detail) <= 300


def _check(status: int, body: object = None, headers: dict[str, str] | None = None) -> None:
    response = httpx.Response(status, json=body, headers=headers or {})
    check_status(
        response,
        method="GET",
        path="/test_framework/v1/results/5/",
        resource="result 5",
        now_wall=0.0,
    )


def test_2xx_passes() -> None:
    for status in (200, 201, 204):
        _check(status, {"id": 1})


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_transient_statuses(status: int) -> None:
    with pytest.raises(TransientFailure) as info:
        _check(status, {"detail": "busy"}, {"Retry-After": "3"})
    assert info.value.problem == f"HTTP {status}: busy"
    assert info.value.retry_after_s == 3.0
    assert info.value.request_unprocessed is (status == 429)
    assert not info.value.malformed


@pytest.mark.parametrize("status", [401, 403])
def test_auth_statuses(status: int) -> None:
    with pytest.raises(AuthError) as info:
        _check(status, {"detail": "Invalid API key."})
    assert str(info.value) == f"the API key was rejected (HTTP {status}): Invalid API key."
    assert "CEKURA_API_KEY" in (info.value.hint or "")
    assert info.value.exit_code == ExitCode.SERVICE


def test_not_found_names_the_resource() -> None:
    with pytest.raises(NotFoundError) as info:
        _check(404, {"detail": "Not found."})
    assert str(info.value) == (
        "result 5 was not found (HTTP 404 from GET /test_framework/v1/results/5/): Not found."
    )


@pytest.mark.parametrize("status", [400, 405, 409, 422])
def test_other_4xx_are_rejections(status: int) -> None:
    with pytest.raises(RequestRejected) as info:
        _check(status, {"tags": ["unknown tag"]})
    assert str(info.value) == (
        f"the service rejected GET /test_framework/v1/results/5/ (HTTP {status}): tags: unknown tag"
    )
    assert info.value.status_code == status


def test_redirects_are_refused_not_followed() -> None:
    with pytest.raises(RequestRejected) as info:
        _check(302, None, {"Location": "https://elsewhere.invalid/login"})
    assert "redirect (HTTP 302) to https://elsewhere.invalid/login" in str(info.value)


def test_error_text_from_the_server_is_redacted() -> None:
    register_secret(API_KEY)
    with pytest.raises(AuthError) as info:
        _check(401, {"detail": f"key {API_KEY} is revoked"})
    assert API_KEY not in str(info.value)
    assert MASKED in str(info.value)


@pytest.mark.parametrize(
    ("exc", "unprocessed"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), True),
        (httpx.ConnectTimeout("timed out"), True),
        (httpx.PoolTimeout("pool"), True),
        (httpx.ReadTimeout("timed out"), False),
        (httpx.WriteTimeout("timed out"), False),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), False),
        (httpx.ReadError("reset"), False),
        (httpx.WriteError("broken pipe"), False),
        (httpx.ProxyError("407"), False),
        (httpx.NetworkError("weird"), False),
    ],
)
def test_transport_errors_are_transient(exc: httpx.RequestError, unprocessed: bool) -> None:
    failure = translate_transport_error(exc)
    assert isinstance(failure, TransientFailure)
    assert failure.request_unprocessed is unprocessed
    assert failure.problem and "\n" not in failure.problem


def test_unsupported_protocol_is_final() -> None:
    error = translate_transport_error(httpx.UnsupportedProtocol("ftp"))
    assert isinstance(error, ServiceError)
