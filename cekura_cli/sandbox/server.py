"""The sandbox's HTTP front: stdlib ``ThreadingHTTPServer`` around :func:`dispatch`.

HTTP/1.1 with keep-alive and ``Content-Length`` on every answer. Each request is parsed
into a :class:`~cekura_cli.sandbox.dispatch.Request`, run through the fault plan, then
dispatched under the core's lock; the effects it returns (start conversations, end
calls) are handed to the conversation engine's event loop. The server remembers its
open connections so ``stop`` can cut keep-alive clients off.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cekura_cli.sandbox.dispatch import (
    ROUTE_TEMPLATES,
    UNAUTHENTICATED,
    Effect,
    Request,
    Response,
    StartRuns,
    dispatch,
    error,
    resolve,
)
from cekura_cli.sandbox.faults import Action, FaultDecision, FaultPlan
from cekura_cli.sandbox.state import SandboxState

log = logging.getLogger("cekura_cli.sandbox")

IDLE_CONNECTION_TIMEOUT_S = 60.0


class SandboxCore:
    """State + dispatch + counters behind one lock (the server and engine share it)."""

    def __init__(self, state: SandboxState, *, api_key: str | None, faults: FaultPlan) -> None:
        self.state = state
        self.api_key = api_key
        self.faults = faults
        self.lock = threading.RLock()
        self.requests: Counter[str] = Counter()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            runs = Counter(run.status.value for run in self.state.runs.values())
            return {
                "results_created": len(self.state.results),
                "runs_created": len(self.state.runs),
                "runs_by_status": dict(runs),
                "requests": dict(self.requests),
                "faults_fired": self.faults.stats(),
            }

    def handle(self, request: Request) -> Response:
        name, _, _ = resolve(request.path)
        if name == "stats":
            return dispatch(self.state, request, api_key=self.api_key, stats=self.stats())
        if name in UNAUTHENTICATED:
            with self.lock:
                return dispatch(self.state, request, api_key=self.api_key)
        with self.lock:
            self.requests[f"{request.method} {ROUTE_TEMPLATES.get(name or '', 'other')}"] += 1
            return dispatch(self.state, request, api_key=self.api_key)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: 200 API-chat conversations connecting at once
    # overflow it, and a dropped SYN is retried by the client only after 1 s, 3 s, 7 s…
    request_queue_size = 512

    def __init__(
        self,
        address: tuple[str, int],
        core: SandboxCore,
        on_effects: Callable[[tuple[Effect, ...]], None],
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.core = core
        self.on_effects = on_effects
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (a killed CLI, a dropped test) is normal, not a crash."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("sandbox http: client %s went away: %r", client_address, exc)
            return
        log.warning("sandbox http: error while serving %s: %r", client_address, exc)

    def cut_connections(self) -> None:
        with self.connections_lock:
            open_sockets = list(self.connections)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cekura-sandbox"
    timeout = IDLE_CONNECTION_TIMEOUT_S
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms a request). API chat makes ~12 requests a conversation.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox http: " + format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    do_PUT = do_PATCH = do_DELETE = do_POST

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        core = self.server.core
        name, _, _ = resolve(path)
        decision = (
            core.faults.for_request(self.command, name or "", path)
            if core.faults and name not in UNAUTHENTICATED
            else FaultDecision()
        )
        if decision.delay_s:
            time.sleep(decision.delay_s)
        if decision.action is Action.DROP:
            self._drop()
            return
        if decision.action is Action.STATUS:
            self._write(_fault_response(decision))
            return
        response = core.handle(request)
        if response.effects:
            self.server.on_effects(response.effects)
        if decision.action is Action.DROP_AFTER_READ:
            self._drop()
            return
        if decision.action is Action.MALFORMED:
            body = response.body or b'{"id": 1}'
            response = Response(200, body[: max(1, len(body) // 2)], response.headers)
        self._write(response)

    def _drop(self) -> None:
        """Close the connection without a byte of answer (a dropped connection)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, response: Response) -> None:
        self.send_response(response.status, HTTPStatus(response.status).phrase)
        headers = dict(response.headers)
        if response.body and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)


def _fault_response(decision: FaultDecision) -> Response:
    status = decision.status or 500
    if status == 429:
        wait = (
            f" Expected available in {decision.retry_after_s:g} seconds."
            if decision.retry_after_s
            else ""
        )
        response = error(429, f"Request was throttled.{wait}")
    elif status >= 500:
        response = error(
            status, f"Injected fault ({decision.spec}): the sandbox failed on purpose."
        )
    else:
        response = error(status, f"Injected fault ({decision.spec}).")
    if decision.retry_after_s is not None:
        headers = {**response.headers, "Retry-After": f"{decision.retry_after_s:g}"}
        response = Response(response.status, response.body, headers)
    return response


def make_server(
    host: str,
    port: int,
    core: SandboxCore,
    on_effects: Callable[[tuple[Effect, ...]], None],
) -> _Server:
    """Bind the HTTP server (OSError when the address is taken or invalid)."""
    return _Server((host, port), core, on_effects)


__all__ = ["SandboxCore", "StartRuns", "make_server"]
