"""A scriptable HTTP/1.1 server on 127.0.0.1 for testing the API client over real sockets.

Each (method, path) route has a queue of actions; every request takes the next one and
the last action repeats once the queue is empty. Actions:

- :class:`Reply` — a status, headers and a body (bytes, text, or JSON-able data);
- :class:`Drop` — read the request, then close the socket without a response
  (what a crashing proxy or server does after the request reached it);
- :class:`Hang` — read the request and never answer, until the test ends (bounded).

Every request is recorded (method, path, query, headers, body, client port), so tests
can count POSTs and check connection reuse. The socket is bound at construction but
listens only after :meth:`LoopbackServer.start`: until then connections are refused,
which lets a test make "connection refused, then the server comes up" deterministic.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HANG_LIMIT_S = 10.0
"""A hanging handler gives up after this long even if the test forgot to stop the server."""


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


@dataclass(frozen=True)
class Drop:
    """Close the connection without sending anything back."""


@dataclass(frozen=True)
class Hang:
    """Never answer (until the server stops or ``HANG_LIMIT_S`` passes).

    ``on_receipt`` runs once the request has been read: a test can act while the client
    is certainly waiting for the response.
    """

    on_receipt: Callable[[], None] | None = None


Action = Reply | Drop | Hang


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client_port: int


class LoopbackServer:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], deque[Action]] = {}
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.requests: list[Recorded] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self), False)
        self._httpd.daemon_threads = True
        self._httpd.server_bind()  # bound, not listening: connections are refused
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, *actions: Action) -> None:
        with self._lock:
            self._routes[(method.upper(), path)] = deque(actions)

    def count(self, method: str, path: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for request in self.requests
                if request.method == method and (path is None or request.path == path)
            )

    def start(self) -> LoopbackServer:
        self._httpd.server_activate()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_action(self, method: str, path: str) -> Action:
        with self._lock:
            queue = self._routes.get((method, path))
            if not queue:
                return Reply(404, {"detail": "Not found."})
            return queue.popleft() if len(queue) > 1 else queue[0]

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            server._record(
                Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parts.query,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                    client_port=self.client_address[1],
                )
            )
            action = server._next_action(self.command, parts.path)
            if isinstance(action, Drop):
                self.close_connection = True
                return
            if isinstance(action, Hang):
                if action.on_receipt is not None:
                    action.on_receipt()
                server._released.wait(HANG_LIMIT_S)
                self.close_connection = True
                return
            payload, content_type = action.encoded()
            self.send_response(action.status)
            headers = {"Content-Type": content_type, **action.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    return Handler
