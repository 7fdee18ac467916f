"""A synchronous client for the parts of the Cekura API that cekura-cli uses.

One :class:`httpx.Client` (so connections are reused), one retry policy, one place
where failures become the tool's errors (:mod:`cekura_cli.api.errors`).

Rules the orchestrator relies on:

- every request carries the API key header, a ``User-Agent`` and a timeout;
- GETs are repeated on network trouble, 408, 429, 5xx and unreadable 2xx bodies, with
  backoff, honouring ``Retry-After``, and never sleeping past :attr:`CekuraClient.deadline`;
- the start POST is repeated only when the server certainly did not act on it (the
  connection was never made, or 429): one ``cekura run`` creates at most one result;
- :meth:`CekuraClient.end_calls` is bounded in time and never raises, because it runs
  on the way out of an interrupt or a timeout;
- redirects are not followed and ``next`` links are kept on the configured origin, so
  the API key is only ever sent to ``base_url``.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx
import pydantic
from tenacity import RetryCallState

from cekura_cli import __version__
from cekura_cli.api.errors import check_status, translate_transport_error
from cekura_cli.api.models import Agent, Result, Run, Scenario
from cekura_cli.api.parsing import parse_page, parse_response, resolve_next
from cekura_cli.api.read_routes import (
    RESULT_PATH,
    RESULT_PATH_V1,
    RUNS_BULK_PATH,
    RUNS_BULK_PATH_V1,
    ReadRoutes,
)
from cekura_cli.api.retry import RetryPolicy, RetrySchedule, TransientFailure, build_retrying
from cekura_cli.errors import MalformedResponse, RetriesExhausted, ServiceError, UsageError
from cekura_cli.redact import redact, register_secret

__all__ = ["CekuraClient", "RetryPolicy"]

logger = logging.getLogger("cekura_cli.api")
# A library logger: silent unless the CLI (--verbose) or the embedding program adds a
# handler; without this, Python's last-resort handler would print our warnings raw.
logger.addHandler(logging.NullHandler())

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)

SCENARIOS_PATH = "/test_framework/v1/scenarios/"
START_TEXT_RUN_PATH = "/test_framework/v1/scenarios/run_scenarios_text/"
START_API_CHAT_RUN_PATH = "/test_framework/v1/scenarios/run_scenarios_api_chat/"
END_CALLS_PATH = "/test_framework/v1/results/{id}/end_calls/"
AGENT_PATH = "/test_framework/v1/aiagents/{id}/"
RUN_SCENARIOS_JSON_PATH = "/test_framework/v1/scenarios/run_scenarios_json/"

API_KEY_HEADER = "X-CEKURA-API-KEY"
CONNECT_TIMEOUT_S = 10.0
"""Connecting takes milliseconds when it works; no need to wait the full read timeout."""
MIN_ATTEMPT_TIMEOUT_S = 1.0
"""Near the deadline an attempt still gets this long (a last poll after it should work)."""
MAX_PAGES = 1000
"""A list longer than this many pages is treated as a pagination bug, not followed."""

_CREATED_HINT = (
    "open the dashboard's results page to see whether the run exists before starting it again"
)


class CekuraClient:
    """The Cekura API as cekura-cli uses it. Not tied to a command: the sandbox, the
    orchestrator and the tests all build one with their own ``base_url``/``transport``."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        api_key = (api_key or "").strip()
        if not api_key:
            raise UsageError("no API key given", hint="set CEKURA_API_KEY")
        register_secret(api_key)  # before anything could echo it
        if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
            raise UsageError(
                "the API key contains characters that cannot be sent in an HTTP header",
                hint="check CEKURA_API_KEY for stray quotes, spaces or line breaks",
            )
        if not timeout_s > 0:
            raise UsageError("the HTTP timeout must be greater than 0 seconds")
        self._base_url, self._origin = _split_base_url(base_url)
        self._timeout_s = float(timeout_s)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self.deadline: float | None = None
        """Monotonic time (of ``clock``) after which no retry is scheduled; settable."""
        self._routes = ReadRoutes()  # v2 reads, one fallback to v1 (api/read_routes.py)
        self._http = httpx.Client(
            headers={
                API_KEY_HEADER: api_key,
                "User-Agent": f"cekura-cli/{__version__}",
                "Accept": "application/json",
            },
            timeout=self._timeout(self._timeout_s),
            transport=transport,
            follow_redirects=False,  # a redirect would carry the key header elsewhere
            verify=_tls_verification(self._origin[0]),
        )

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CekuraClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- endpoints -------------------------------------------------------------------

    def list_scenarios(
        self,
        *,
        agent_id: int | None = None,
        assistant_id: str | None = None,
        tags: Sequence[str] = (),
        tag_filter_type: str = "or",
        page_size: int = 100,
    ) -> list[Scenario]:
        """Every scenario matching the filters (all pages; duplicates across pages dropped)."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        params: dict[str, str] = {"page_size": str(page_size)}
        if agent_id is not None:
            params["agent_id"] = str(agent_id)
        if assistant_id:
            params["assistant_id"] = assistant_id
        tag_list = [tag.strip() for tag in tags if tag and tag.strip()]
        if tag_list:
            params["tags"] = ",".join(tag_list)
            params["tag_filter_type"] = tag_filter_type
        scenarios = self._get_all(SCENARIOS_PATH, params, Scenario, "scenario list")
        unique: dict[int, Scenario] = {}
        for scenario in scenarios:
            unique.setdefault(scenario.id, scenario)
        return list(unique.values())

    def start_api_chat_run(self, body: Mapping[str, Any]) -> Result:
        """Start an API-chat run (PRODUCT.md §9); like :meth:`start_text_run`, never
        repeated once it may have reached the server."""
        return self.start_text_run(body, path=START_API_CHAT_RUN_PATH)

    def start_suite_run(self, body: Mapping[str, Any]) -> Result:
        """Run a test-suite spec (``run_scenarios_json``): the same never-repeated start."""
        return self.start_text_run(body, path=RUN_SCENARIOS_JSON_PATH)

    def dry_run_suite(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and price a spec (``?dry_run=true``): nothing is created, so it may retry."""
        return self._request(
            "POST",
            RUN_SCENARIOS_JSON_PATH + "?dry_run=true",
            json_body=dict(body),
            parse=parse_dry_run,
        )

    def start_text_run(self, body: Mapping[str, Any], *, path: str = START_TEXT_RUN_PATH) -> Result:
        """Start a text run. Never repeated once it may have reached the server."""
        try:
            return self._request(
                "POST",
                path,
                json_body=dict(body),
                parse=lambda response: parse_response(response, Result),
                idempotent=False,
            )
        except TransientFailure as exc:
            if exc.malformed:
                raise MalformedResponse(
                    f"the service accepted the start request but its response could not be "
                    f"read ({exc.problem}); the run was probably created and the request was "
                    "not repeated to avoid a duplicate",
                    status_code=exc.status_code,
                    hint=_CREATED_HINT,
                ) from exc
            raise ServiceError(
                f"the start request failed after it was sent ({exc.problem}); the run may "
                "have been created and the request was not repeated to avoid a duplicate",
                status_code=exc.status_code,
                hint=_CREATED_HINT,
            ) from exc

    def get_result(self, result_id: int) -> Result:
        """The result with its runs (the detail view's id-keyed ``runs`` become a list)."""
        return self._routes.read(
            lambda path: self._request(
                "GET",
                path.format(id=int(result_id)),
                parse=lambda response: parse_response(response, Result),
                resource=f"result {result_id}",
            ),
            RESULT_PATH,
            RESULT_PATH_V1,
        )

    def get_runs(self, run_ids: Sequence[int], *, batch_size: int = 50) -> list[Run]:
        """Runs by id, fetched ``batch_size`` at a time, in the order asked.

        Repeated ids are fetched once; ids the service does not return are left out.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        wanted = list(dict.fromkeys(int(run_id) for run_id in run_ids))
        found: dict[int, Run] = {}
        for start in range(0, len(wanted), batch_size):
            batch = wanted[start : start + batch_size]
            params = {"run_ids": ",".join(str(run_id) for run_id in batch)}
            page = self._routes.read(
                functools.partial(self._get_all, params=params, model=Run, what="runs"),
                RUNS_BULK_PATH,
                RUNS_BULK_PATH_V1,
            )
            for run in page:
                found[run.id] = run
        missing = [run_id for run_id in wanted if run_id not in found]
        if missing:
            logger.debug("runs/bulk did not return %d of %d runs", len(missing), len(wanted))
        return [found[run_id] for run_id in wanted if run_id in found]

    def end_calls(self, result_id: int, *, timeout_s: float = 5.0) -> bool:
        """Ask the service to end every active chat of a result. True when it said yes.

        Bounded to about ``timeout_s`` in total (whatever :attr:`deadline` says: this runs
        after the deadline has passed) and never raises: it is called on the way out of
        an interrupt or a timeout, where a second failure must not hide the first.
        """
        path = END_CALLS_PATH.format(id=result_id)
        try:
            budget_s = max(float(timeout_s), 0.0)
            self._request(
                "POST",
                path,
                parse=lambda response: None,  # "200, no response body"
                resource=f"result {result_id}",
                deadline=self._clock() + budget_s,
                attempt_timeout_s=max(budget_s, 0.05),
                min_attempt_timeout_s=0.05,
            )
        except Exception as exc:
            logger.warning("could not end the calls of result %s: %s", result_id, redact(str(exc)))
            return False
        return True

    def request_json(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        resource: str | None = None,
        idempotent: bool = True,
    ) -> Any:
        """One JSON exchange on the same retries and error mapping (for :mod:`.agents`)."""
        from cekura_cli.api.errors import parse_json

        return self._request(
            method,
            path,
            parse=parse_json,
            json_body=json_body,
            resource=resource,
            idempotent=idempotent,
        )

    def get_agent(self, agent_id: int) -> Agent:
        return self._request(
            "GET",
            AGENT_PATH.format(id=int(agent_id)),
            parse=lambda response: parse_response(response, Agent),
            resource=f"agent {agent_id}",
        )

    @property
    def reads_v1(self) -> bool:
        """True once a v2 read was refused and its v1 twin answered: reads stay on v1."""
        return self._routes.reads_v1

    # -- pagination ------------------------------------------------------------------

    def _get_all(self, path: str, params: Mapping[str, str], model: type[M], what: str) -> list[M]:
        """Every item of a list endpoint: a bare array, or DRF pages followed via ``next``."""
        url = self._url(path) + "?" + urlencode(params, safe=",", quote_via=quote)
        seen = {url}
        items: list[M] = []
        for _ in range(MAX_PAGES):
            page = self._request("GET", url, parse=lambda r: parse_page(r, model))
            items.extend(page.items)
            if not page.next:
                return items
            url = resolve_next(page.url, page.next, self._origin)
            if url in seen:
                raise MalformedResponse(
                    f"the {what} pagination loops back to a page already read "
                    f"({urlsplit(url).path}); stopped after {len(seen)} pages"
                )
            seen.add(url)
        raise MalformedResponse(
            f"the {what} has more than {MAX_PAGES} pages; stopped following `next`"
        )

    # -- the one request path --------------------------------------------------------

    def _url(self, path: str) -> str:
        return self._base_url + path

    def _timeout(self, total_s: float) -> httpx.Timeout:
        return httpx.Timeout(total_s, connect=min(total_s, CONNECT_TIMEOUT_S))

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        parse: Callable[[httpx.Response], T],
        json_body: Any = None,
        idempotent: bool = True,
        resource: str | None = None,
        deadline: float | None = None,
        attempt_timeout_s: float | None = None,
        min_attempt_timeout_s: float = MIN_ATTEMPT_TIMEOUT_S,
    ) -> T:
        """Send with retries; return ``parse(response)`` for the first usable 2xx.

        ``deadline`` (default: :attr:`deadline`) bounds the retries and each attempt's
        timeout. A :class:`TransientFailure` escapes only when ``idempotent`` is False and
        the request may have been processed: the caller knows what that means.
        """
        url = path_or_url if "://" in path_or_url else self._url(path_or_url)
        path = urlsplit(url).path
        limit = deadline if deadline is not None else self.deadline
        schedule = RetrySchedule(self._retry, deadline=limit, clock=self._clock)

        def should_retry(failure: TransientFailure) -> bool:
            return idempotent or failure.request_unprocessed

        def on_exhausted(retry_state: RetryCallState) -> NoReturn:
            failure = retry_state.outcome.exception() if retry_state.outcome else None
            attempts = retry_state.attempt_number
            tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
            early = " (stopped early: the next retry would pass the deadline)"
            why = early if schedule.stopped_by_deadline else ""
            problem = failure.problem if isinstance(failure, TransientFailure) else str(failure)
            status = failure.status_code if isinstance(failure, TransientFailure) else None
            error: ServiceError
            if isinstance(failure, TransientFailure) and failure.malformed:
                error = MalformedResponse(
                    f"{method} {path} returned an unreadable response after {tries}{why}: "
                    f"{problem}",
                    status_code=status,
                )
            else:
                error = RetriesExhausted(
                    f"{method} {path} failed after {tries}{why}; last problem: {problem}",
                    status_code=status,
                    hint="the service or the network is having trouble; check CEKURA_API_URL "
                    "and try again later",
                )
            error.stopped_by_deadline = schedule.stopped_by_deadline
            raise error from failure

        retrying = build_retrying(
            schedule,
            sleep=self._sleep,
            should_retry=should_retry,
            on_exhausted=on_exhausted,
            describe=f"{method} {path}",
        )
        for attempt in retrying:
            with attempt:
                return self._attempt(
                    method,
                    url,
                    path=path,
                    json_body=json_body,
                    parse=parse,
                    resource=resource,
                    attempt_number=attempt.retry_state.attempt_number,
                    timeout=self._attempt_timeout(
                        limit,
                        attempt_timeout_s or self._timeout_s,
                        min_attempt_timeout_s,
                    ),
                )
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _attempt_timeout(
        self, deadline: float | None, total_s: float, floor_s: float
    ) -> httpx.Timeout:
        """The configured timeout, shortened so an attempt does not outlive the deadline."""
        if deadline is not None:
            total_s = min(total_s, max(deadline - self._clock(), floor_s))
        return self._timeout(total_s)

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        path: str,
        json_body: Any,
        parse: Callable[[httpx.Response], T],
        resource: str | None,
        attempt_number: int,
        timeout: httpx.Timeout,
    ) -> T:
        started = time.perf_counter()
        try:
            response = self._http.request(method, url, json=json_body, timeout=timeout)
        except httpx.RequestError as exc:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s -> %s after %.0f ms (attempt %d)",
                method,
                path,
                type(exc).__name__,
                elapsed_ms,
                attempt_number,
            )
            raise translate_transport_error(exc) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s %s -> %d in %.0f ms (attempt %d)",
            method,
            path,
            response.status_code,
            elapsed_ms,
            attempt_number,
        )
        if "deprecation" in response.headers:
            deprecation = redact(response.headers["deprecation"])
            logger.debug("%s %s is deprecated (Deprecation: %s)", method, path, deprecation)
        check_status(response, method=method, path=path, resource=resource, now_wall=time.time())
        return parse(response)


def parse_dry_run(response: httpx.Response) -> dict[str, Any]:
    """A dry run's ``{dry_run, valid, plan}`` object (read leniently; ``plan`` may be missing)."""
    from cekura_cli.api.errors import malformed, parse_json

    data = parse_json(response)
    if not isinstance(data, dict):
        raise malformed(f"expected a JSON object from the dry run, got {type(data).__name__}")
    return data


def _tls_verification(scheme: str) -> ssl.SSLContext | bool:
    """Certificate checking for the client's connections.

    https: httpx's default (the CA bundle). Plain http (the local sandbox on loopback):
    no TLS connection is ever made (requests go only to the base origin and redirects
    are not followed), so skip loading the CA bundle, which costs ~70 ms per client.
    The bare context still requires a valid certificate and hostname, and having no CA
    it would refuse any TLS peer: it fails closed, never open.
    """
    if scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _split_base_url(base_url: str) -> tuple[str, tuple[str, str]]:
    """``base_url`` without its trailing slash, and its (scheme, host[:port]) origin."""
    text = (base_url or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise UsageError(
            f"the API URL {redact(text)!r} is not an http(s) URL",
            hint="set CEKURA_API_URL to something like https://api.cekura.ai",
        )
    if parts.query or parts.fragment:
        raise UsageError(f"the API URL {redact(text)!r} must not have a query or fragment")
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", "")), (scheme, netloc)
