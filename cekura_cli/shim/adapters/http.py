"""``http://…`` / ``https://…``: an HTTP endpoint that answers each turn.

The shim POSTs one JSON object per event (``start`` when the connection opens,
``message`` per tester message; see :func:`turn_request` and docs/shim.md) and reads
the agent's messages from the response body: a JSON list of messages,
``{"messages": [...]}``, one message object, a JSON string, or an empty body (no
reply). A non-JSON 2xx body is taken as the reply text. Any other status, or a
network failure, is an :class:`AgentError` for that conversation.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from cekura_cli.errors import UsageError
from cekura_cli.shim.adapters.base import (
    EVENT_MESSAGE,
    EVENT_START,
    AgentError,
    AgentReply,
    reply_from_json,
    turn_request,
)
from cekura_cli.shim.session import SessionContext

REQUEST_TIMEOUT_S = 300.0  # the shim's per-turn timeout is the real bound
CONNECT_TIMEOUT_S = 10.0


def looks_like_http_target(target: str) -> bool:
    return target.startswith(("http://", "https://"))


class HttpSession:
    def __init__(self, agent: HttpAgent) -> None:
        self._agent = agent

    async def on_start(self, context: SessionContext) -> AgentReply:
        return await self._agent.post(turn_request(EVENT_START, context))

    async def on_message(self, text: str, context: SessionContext) -> AgentReply:
        return await self._agent.post(turn_request(EVENT_MESSAGE, context, text))

    async def close(self) -> None:
        return None


class HttpAgent:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"not a valid agent URL: {url!r}")
        self.name = url
        self.url = url
        self._client: Any = None  # httpx.AsyncClient, created inside the running loop

    def open(self, context: SessionContext) -> HttpSession:
        return HttpSession(self)

    async def post(self, payload: dict[str, Any]) -> AgentReply:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
                headers={"User-Agent": "cekura-shim"},
            )
        try:
            response = await self._client.post(self.url, json=payload)
        except httpx.HTTPError as exc:
            raise AgentError(f"HTTP agent unreachable: {type(exc).__name__}") from exc
        if not response.is_success:
            raise AgentError(f"HTTP agent answered {response.status_code}")
        body = response.content
        if not body.strip():
            return None
        try:
            return reply_from_json(json.loads(body))
        except (ValueError, RecursionError):
            return response.text

    async def shutdown(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def load(target: str) -> HttpAgent:
    return HttpAgent(target)
