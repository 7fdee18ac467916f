"""Translate httpx, JSON and pydantic failures into the tool's errors — the one place that does.

Every attempt ends in one of three ways:

- a usable 2xx response;
- a :class:`~cekura_cli.api.retry.TransientFailure` (network trouble, 408/429/5xx, an
  unreadable 2xx body) that the client may repeat;
- a final :class:`~cekura_cli.errors.ServiceError` subclass (401/403, 404, other 4xx,
  an unexpected redirect) that no repetition will fix.

Messages are one line, built from at most a few hundred characters of server text,
and always passed through :func:`cekura_cli.redact.redact`: a server that echoes the
API key back must not get it printed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pydantic

from cekura_cli.api.retry import TransientFailure, parse_retry_after
from cekura_cli.errors import AuthError, NotFoundError, RequestRejected, ServiceError
from cekura_cli.redact import redact

__all__ = [
    "MAX_DETAIL_CHARS",
    "check_status",
    "describe_validation_error",
    "flatten_drf_error",
    "malformed",
    "one_line",
    "parse_json",
    "response_detail",
    "translate_transport_error",
]

MAX_DETAIL_CHARS = 300
"""Server text quoted in a message is cut to this length."""

_RETRYABLE_STATUSES = frozenset({408, 429})
_AUTH_STATUSES = frozenset({401, 403})
_CONNECTION_NEVER_MADE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

AUTH_HINT = (
    "check CEKURA_API_KEY: it must be a current key of the organisation that owns the "
    "agent and scenarios"
)


def one_line(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """Collapse whitespace, cut to ``limit`` characters and redact secrets."""
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) > limit:
        flat = flat[: max(limit - 1, 0)].rstrip() + "…"
    return redact(flat)


def flatten_drf_error(data: Any) -> str:
    """A Django REST framework error body as one readable line.

    ``{"detail": "x"}`` -> ``x``; ``{"field": ["a", "b"]}`` -> ``field: a; b``;
    ``["a"]`` -> ``a``; nested objects give dotted field names; ``non_field_errors``
    loses its prefix.
    """
    parts: list[str] = []
    _flatten_into(data, "", parts)
    return "; ".join(part for part in parts if part)


def _flatten_into(data: Any, prefix: str, parts: list[str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            name = str(key)
            if name in {"detail", "non_field_errors", "error", "message", "errors"}:
                _flatten_into(value, prefix, parts)
            else:
                _flatten_into(value, f"{prefix}.{name}" if prefix else name, parts)
    elif isinstance(data, list):
        messages: list[str] = []
        for item in data:
            if isinstance(item, (dict, list)):
                _flatten_into(item, prefix, parts)
            elif item is not None:
                messages.append(str(item))
        if messages:
            text = "; ".join(messages)
            parts.append(f"{prefix}: {text}" if prefix else text)
    elif data is not None:
        parts.append(f"{prefix}: {data}" if prefix else str(data))


def response_detail(response: httpx.Response) -> str:
    """What the server said about an error, as one short redacted line ("" if nothing)."""
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError, httpx.HTTPError):
        return ""
    if not text.strip():
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        if "html" in response.headers.get("content-type", "").lower() or text.lstrip().startswith(
            "<"
        ):
            text = _TAG.sub(" ", text)
        return one_line(text)
    return one_line(flatten_drf_error(data) if not isinstance(data, str) else data)


def _with_detail(prefix: str, detail: str) -> str:
    return f"{prefix}: {detail}" if detail else prefix


def check_status(
    response: httpx.Response, *, method: str, path: str, resource: str | None, now_wall: float
) -> None:
    """Return for a 2xx; raise a :class:`TransientFailure` or a final :class:`ServiceError`."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = response_detail(response)
    if status in _RETRYABLE_STATUSES or status >= 500:
        raise TransientFailure(
            _with_detail(f"HTTP {status}", detail),
            request_unprocessed=status == 429,
            retry_after_s=parse_retry_after(response.headers.get("retry-after"), now=now_wall),
            status_code=status,
        )
    if status in _AUTH_STATUSES:
        raise AuthError(
            _with_detail(f"the API key was rejected (HTTP {status})", detail),
            status_code=status,
            hint=AUTH_HINT,
        )
    if status == 404:
        what = resource or f"{method} {path}"
        raise NotFoundError(
            _with_detail(f"{what} was not found (HTTP 404 from {method} {path})", detail),
            status_code=status,
            hint="check the id, and that the API key belongs to the organisation that owns it",
        )
    if 300 <= status < 400:
        # Redirects are not followed: the API key header would travel with them.
        location = one_line(response.headers.get("location", "") or "nowhere")
        raise RequestRejected(
            f"{method} {path} answered with a redirect (HTTP {status}) to {location}; "
            "redirects are not followed so the API key is not sent elsewhere",
            status_code=status,
            hint="check CEKURA_API_URL (scheme, host and path prefix)",
        )
    if 400 <= status < 500:
        rejected = RequestRejected(
            _with_detail(f"the service rejected {method} {path} (HTTP {status})", detail),
            status_code=status,
        )
        rejected.payload = _json_or_none(response)
        raise rejected
    raise TransientFailure(  # 1xx or a non-standard code: not a usable answer
        _with_detail(f"unexpected HTTP {status}", detail), malformed=True, status_code=status
    )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def translate_transport_error(exc: httpx.RequestError) -> TransientFailure | ServiceError:
    """What a failed exchange means for retrying: transient (maybe unprocessed) or final."""
    message = one_line(str(exc) or type(exc).__name__, 160)
    if isinstance(exc, httpx.ConnectTimeout):
        return TransientFailure("timed out connecting", request_unprocessed=True)
    if isinstance(exc, httpx.PoolTimeout):
        return TransientFailure("timed out waiting for a free connection", request_unprocessed=True)
    if isinstance(exc, httpx.ConnectError):
        return TransientFailure(f"could not connect ({message})", request_unprocessed=True)
    if isinstance(exc, httpx.ProxyError):
        return TransientFailure(f"the proxy refused the connection ({message})")
    if isinstance(exc, httpx.ReadTimeout):
        return TransientFailure("timed out waiting for the response")
    if isinstance(exc, httpx.WriteTimeout):
        return TransientFailure("timed out sending the request")
    if isinstance(exc, httpx.RemoteProtocolError):
        return TransientFailure(f"the connection was dropped ({message})")
    if isinstance(exc, httpx.ReadError):
        return TransientFailure(f"error reading the response ({message})")
    if isinstance(exc, httpx.WriteError):
        return TransientFailure(f"error sending the request ({message})")
    if isinstance(exc, httpx.DecodingError):
        return TransientFailure(f"the response could not be decoded ({message})", malformed=True)
    if isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.UnsupportedProtocol):
        return TransientFailure(f"network error ({type(exc).__name__}: {message})")
    return ServiceError(f"the request could not be made ({type(exc).__name__}: {message})")


def malformed(problem: str, *, status_code: int | None = None) -> TransientFailure:
    """A 2xx whose body is not what the contract says (retried for GETs)."""
    return TransientFailure(one_line(problem), malformed=True, status_code=status_code)


def parse_json(response: httpx.Response) -> Any:
    """The JSON body of a 2xx response, or a malformed :class:`TransientFailure`."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        snippet = one_line(response.content[:80].decode("utf-8", "replace"), 60)
        problem = f"HTTP {response.status_code} with a body that is not JSON"
        if snippet:
            problem += f" ({snippet!r})"
        raise malformed(problem, status_code=response.status_code) from exc


def describe_validation_error(exc: pydantic.ValidationError) -> str:
    """The first problem pydantic found, as ``loc: message`` (values are not echoed)."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "unexpected shape"
    first = errors[0]
    location = ".".join(str(part) for part in first.get("loc", ())) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    from cekura_cli.wording import validation_message

    return f"{location}: {validation_message(str(first.get('msg', 'invalid')))}{more}"
