"""The shim's front door: the secret check and the plain-HTTP routes.

- :class:`SecretCheck` compares the ``X-VOCERA-SECRET`` handshake header and the
  ``Authorization`` header of ``GET /calls`` with the configured secret, in constant
  time on bytes. No secret configured means no auth.
- :func:`http_route` answers ``GET /healthz`` and ``GET /calls[?limit=N]`` from
  websockets' ``process_request`` hook, before any WebSocket handshake.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

SECRET_HEADER = "X-VOCERA-SECRET"
UNAUTHORIZED = "Unauthorized"


class SecretCheck:
    """Constant-time comparisons against the configured secret (or none)."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret.encode("utf-8") if secret else None
        # Clients differ in how they put a non-ASCII secret on the wire: UTF-8 (most
        # HTTP stacks) or ISO-8859-1 (websockets >= 17, Node ws). Both are accepted.
        latin: bytes | None = None
        if secret:
            try:
                latin = secret.encode("latin-1")
            except UnicodeEncodeError:
                latin = None  # not representable in ISO-8859-1: no client can send it so
        self._secret_latin = latin if latin != self._secret else None

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    def _matches(self, given: str) -> bool:
        assert self._secret is not None
        try:
            # back to the bytes on the wire: websockets >= 17 decodes header values as
            # ISO-8859-1, older versions as ASCII with surrogateescape; this undoes both
            raw = given.encode("latin-1", "surrogateescape")
        except UnicodeEncodeError:
            return False
        ok = hmac.compare_digest(raw, self._secret)
        if self._secret_latin is not None:  # both comparisons always run: constant time
            ok = hmac.compare_digest(raw, self._secret_latin) | ok
        return ok

    def websocket_ok(self, headers: Headers) -> bool:
        """Exactly one ``X-VOCERA-SECRET`` header (any case) holding the secret."""
        if self._secret is None:
            return True
        values = headers.get_all(SECRET_HEADER)
        return len(values) == 1 and self._matches(values[0])

    def authorization_ok(self, values: list[str]) -> bool:
        """One ``Authorization`` header: the raw secret or ``Bearer <secret>``."""
        if self._secret is None:
            return True
        if len(values) != 1:
            return False
        value = values[0].strip()
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == "bearer" and rest:
            value = rest.strip()
        return self._matches(value)


def json_response(status: int, reason: str, payload: Any) -> Response:
    body = json.dumps(payload).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
        ]
    )
    return Response(status, reason, headers, body)


def http_route(
    request: Request,
    *,
    check: SecretCheck,
    health: Callable[[], dict[str, Any]],
    calls: Callable[[int | None], list[dict[str, Any]]],
) -> Response | None:
    """The answer to a plain HTTP request, or ``None`` to go on with the handshake."""
    path, _, query = request.path.partition("?")
    if len(path) > 1:
        path = path.rstrip("/")  # /calls/ and /healthz/ too: clients differ
    if path == "/healthz":
        return json_response(200, "OK", health())
    if path != "/calls":
        return None
    if not check.authorization_ok(request.headers.get_all("Authorization")):
        response = json_response(401, "Unauthorized", {"detail": UNAUTHORIZED})
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    limit = None
    values = parse_qs(query).get("limit")
    if values:
        try:
            limit = max(0, int(values[-1]))
        except ValueError:
            return json_response(400, "Bad Request", {"limit": ["must be an integer"]})
    return json_response(200, "OK", calls(limit))
