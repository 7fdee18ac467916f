"""Which way a run reaches the agent (pure): ``choose_mode``."""

from __future__ import annotations

import pytest

from cekura_cli.apichat.mode import Mode, choose_mode
from cekura_cli.errors import UsageError


@pytest.mark.parametrize(
    ("via", "serve", "public_url", "local", "expected"),
    [
        (None, "agent.py:reply", None, False, Mode.API_CHAT),  # the tunnel-free default
        (None, "agent.py:reply", "wss://t.example", False, Mode.WEBSOCKET),
        (None, None, None, False, Mode.WEBSOCKET),  # the agent's own WebSocket URL
        (None, "echo", None, True, Mode.WEBSOCKET),  # --local keeps today's path
        ("api-chat", None, None, True, Mode.API_CHAT),  # --local --via api-chat
        ("api-chat", "echo", None, False, Mode.API_CHAT),
        ("websocket", "echo", "wss://t.example", False, Mode.WEBSOCKET),
        (Mode.WEBSOCKET, None, None, False, Mode.WEBSOCKET),
    ],
)
def test_the_mode_a_run_uses(via, serve, public_url, local, expected) -> None:
    assert choose_mode(via, serve=serve, public_url=public_url, local=local) is expected


@pytest.mark.parametrize(
    ("via", "kwargs", "message"),
    [
        ("api-chat", {"serve": "echo", "public_url": "wss://x"}, "needs no --public-url"),
        ("api-chat", {"serve": "echo", "public_url": None, "websocket_url": "ws://x"}, "cannot"),
        ("api-chat", {"serve": None, "public_url": None}, "needs --serve TARGET"),
        ("websocket", {"serve": "echo", "public_url": None}, "needs --public-url"),
        ("grpc", {"serve": None, "public_url": None}, "websocket or api-chat"),
    ],
)
def test_combinations_that_cannot_work_are_usage_errors(via, kwargs, message) -> None:
    with pytest.raises(UsageError, match=message):
        choose_mode(via, **kwargs)
