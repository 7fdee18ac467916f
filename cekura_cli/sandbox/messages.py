"""Requests, responses and effects: what flows through the sandbox's ``dispatch``.

Plain data plus the helpers that build the service's JSON and DRF-style error answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""
    base_url: str = "http://127.0.0.1"  # scheme://host:port, for absolute `next` links


@dataclass(frozen=True)
class StartRuns:
    result_id: int


@dataclass(frozen=True)
class EndCalls:
    result_id: int
    run_ids: tuple[int, ...]


Effect = StartRuns | EndCalls


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    effects: tuple[Effect, ...] = ()

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(status: int, payload: Any, *, effects: tuple[Effect, ...] = ()) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json"}, effects)


def error(status: int, detail: str) -> Response:
    return json_response(status, {"detail": detail})


def field_errors(errors: Mapping[str, list[str]]) -> Response:
    return json_response(400, dict(errors))
