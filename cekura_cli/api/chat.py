"""The per-run API-chat endpoints (``cekura-api-more.md`` §3), asynchronously.

One :class:`httpx.AsyncClient` shared by every conversation the CLI drives; failures
mapped by the same functions as the synchronous client (:mod:`.errors`) and retried by
the same policy (:mod:`.retry`, tenacity's async loop):

- ``GET chat/{turn}/`` is retried on network trouble, 408, 429, 5xx and unreadable
  bodies, with backoff and ``Retry-After``, bounded by :attr:`ChatClient.deadline`;
- ``POST chat/`` (a turn) is repeated only when the service certainly did not record it
  (the connection was never made, or 429, after ``Retry-After``); any other failure
  after sending is returned as :attr:`SubmitStatus.AMBIGUOUS`, for the driver to probe;
- ``POST end-chat/`` is bounded in time and never raises.

Errors carry one redacted line; the API key is only ever sent to ``base_url``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import tenacity
from tenacity import RetryCallState

from cekura_cli import __version__
from cekura_cli.api.errors import check_status, parse_json, translate_transport_error
from cekura_cli.api.retry import RetryPolicy, RetrySchedule, TransientFailure
from cekura_cli.errors import RequestRejected, RetriesExhausted, ServiceError
from cekura_cli.redact import redact, register_secret

logger = logging.getLogger("cekura_cli.api")

if importlib.util.find_spec("sniffio") is None:  # pragma: no branch
    # httpcore 1.0 tries ``import sniffio`` on every async request; recent anyio no longer
    # pulls it in, and a failing import rescans sys.path each time (~40% of the driver's
    # CPU at 200 conversations). None in sys.modules makes that import fail at once.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

CHAT_PATH = "/test_framework/v1/runs/{id}/chat/"
TURN_PATH = "/test_framework/v1/runs/{id}/chat/{turn}/"
END_CHAT_PATH = "/test_framework/v1/runs/{id}/end-chat/"
API_KEY_HEADER = "X-CEKURA-API-KEY"
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class TurnState:
    """``GET chat/{turn}/`` (``ApiChatTurnPollResponse``), read leniently."""

    turn_id: int
    status: str
    message: str | None
    ended: bool
    ended_reason: str | None


class SubmitStatus(str, Enum):
    ACCEPTED = "accepted"  # 202 with a turn id
    REJECTED = "rejected"  # 409: still starting, or already ended (not recorded)
    AMBIGUOUS = "ambiguous"  # may have been recorded: probe, never resend blindly
    FAILED = "failed"  # refused for good (not recorded)


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    status: SubmitStatus
    turn_id: int | None = None
    problem: str | None = None


class TurnMissing(ServiceError):
    """404 or 409 for a turn: unknown (yet), or the run is still starting."""


class ChatClient:
    """The API-chat endpoints; one instance serves every conversation of a run."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
        clock: Callable[[], float] = time.monotonic,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        register_secret(api_key)  # before anything could echo it
        self._base = base_url.rstrip("/")
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self.deadline: float | None = None
        """Monotonic time after which no retry is scheduled; settable."""
        if transport is None:
            transport = httpx.AsyncHTTPTransport(
                verify=verify if verify is not None else tls_context(base_url),
                limits=httpx.Limits(
                    max_connections=max_connections, max_keepalive_connections=max_connections
                ),
            )
        self._http = httpx.AsyncClient(
            headers={
                API_KEY_HEADER: api_key,
                "User-Agent": f"cekura-cli/{__version__}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S)),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- endpoints -----------------------------------------------------------------------
    async def poll(self, run_id: int, turn_id: int) -> TurnState:
        """The turn's state; :class:`TurnMissing` for 404/409; ServiceError when retries
        are exhausted or the service refuses for good."""
        path = TURN_PATH.format(id=int(run_id), turn=int(turn_id))
        data = await self._with_retries(
            "GET", path, resource=f"run {run_id} turn {turn_id}", idempotent=True
        )
        return _turn_state(data, turn_id)

    async def submit(self, run_id: int, body: dict[str, Any]) -> SubmitOutcome:
        """Send one turn (``ApiChatTurn``); never repeated once it may have been recorded."""
        path = CHAT_PATH.format(id=int(run_id))
        try:
            data = await self._with_retries(
                "POST", path, json_body=body, resource=f"run {run_id}", idempotent=False
            )
        except TransientFailure as exc:  # sent, and the answer was lost or a 5xx
            logger.debug("POST %s: %s; the turn may have been recorded", path, exc.problem)
            return SubmitOutcome(SubmitStatus.AMBIGUOUS, problem=exc.problem)
        except TurnMissing as exc:
            if exc.status_code == 409:
                return SubmitOutcome(SubmitStatus.REJECTED, problem=str(exc))
            return SubmitOutcome(SubmitStatus.FAILED, problem=str(exc))
        except ServiceError as exc:
            return SubmitOutcome(SubmitStatus.FAILED, problem=str(exc))
        turn_id = data.get("turn_id") if isinstance(data, dict) else None
        try:
            return SubmitOutcome(SubmitStatus.ACCEPTED, turn_id=int(turn_id))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            # accepted, but we cannot tell which turn: the driver finds it by probing
            return SubmitOutcome(SubmitStatus.AMBIGUOUS, problem="202 without a turn id")

    async def end_chat(self, run_id: int, reason: str | None, *, timeout_s: float = 5.0) -> bool:
        """``POST end-chat/``; bounded to about ``timeout_s``; never raises."""
        path = END_CHAT_PATH.format(id=int(run_id))
        body = {"reason": reason[:500]} if reason else {}
        request = self._with_retries(
            "POST",
            path,
            json_body=body,
            resource=f"run {run_id}",
            idempotent=True,  # ending twice ends once
            deadline=self._clock() + timeout_s,
            parse=False,
        )
        try:
            await asyncio.wait_for(request, timeout_s)
        except (Exception, asyncio.TimeoutError) as exc:
            logger.warning("could not end the chat of run %s: %s", run_id, redact(str(exc)))
            return False
        return True

    # -- the one request path ----------------------------------------------------------
    async def _with_retries(
        self,
        method: str,
        path: str,
        *,
        resource: str,
        idempotent: bool,
        json_body: Any = None,
        deadline: float | None = None,
        parse: bool = True,
    ) -> Any:
        schedule = RetrySchedule(
            self._retry,
            deadline=deadline if deadline is not None else self.deadline,
            clock=self._clock,
        )

        def retry_predicate(exc: BaseException) -> bool:
            return isinstance(exc, TransientFailure) and (idempotent or exc.request_unprocessed)

        def exhausted(retry_state: RetryCallState) -> Any:
            failure = retry_state.outcome.exception() if retry_state.outcome else None
            if isinstance(failure, TransientFailure) and not idempotent:
                if not failure.request_unprocessed:
                    raise failure  # sent: the caller decides what that means
                raise RequestRejected(
                    f"{method} {path} was refused {retry_state.attempt_number} times "
                    f"({failure.problem})",
                    status_code=failure.status_code,
                )
            problem = failure.problem if isinstance(failure, TransientFailure) else str(failure)
            error = RetriesExhausted(
                f"{method} {path} failed after {retry_state.attempt_number} attempts; "
                f"last problem: {problem}",
                status_code=getattr(failure, "status_code", None),
            )
            error.stopped_by_deadline = schedule.stopped_by_deadline
            raise error from failure

        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(retry_predicate),
            stop=schedule.stop,
            wait=schedule.wait,
            sleep=asyncio.sleep,
            retry_error_callback=exhausted,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(
                    method, path, json_body=json_body, resource=resource, parse=parse
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, method: str, path: str, *, json_body: Any, resource: str, parse: bool
    ) -> Any:
        try:
            response = await self._http.request(method, self._base + path, json=json_body)
        except httpx.RequestError as exc:
            raise translate_transport_error(exc) from exc
        if response.status_code == 409 or (response.status_code == 404 and method == "GET"):
            raise TurnMissing(
                f"{method} {path}: HTTP {response.status_code}", status_code=response.status_code
            )
        check_status(response, method=method, path=path, resource=resource, now_wall=time.time())
        if not parse:
            return None
        return parse_json(response)


def _turn_state(data: Any, asked: int) -> TurnState:
    if not isinstance(data, dict):
        raise RetriesExhausted(f"turn {asked}: the poll answer is not a JSON object")
    status = data.get("status")
    message = data.get("message")
    reason = data.get("ended_reason")
    turn = data.get("turn_id")
    return TurnState(
        turn_id=turn if isinstance(turn, int) and not isinstance(turn, bool) else asked,
        status=status.strip().lower() if isinstance(status, str) else "generating",
        message=message if isinstance(message, str) else None,
        ended=data.get("ended") is True,
        ended_reason=reason if isinstance(reason, str) else None,
    )


def tls_context(base_url: str) -> ssl.SSLContext:
    """Certificate checking: the default CA bundle for https; for plain http (the
    sandbox on loopback) a context without CAs that would refuse any TLS peer (loading
    the bundle costs ~70 ms, and no TLS connection is made: redirects are not followed).
    Built once and shared by every client of a pool."""
    if base_url.lower().startswith("https"):
        return httpx.create_ssl_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
