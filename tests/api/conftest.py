"""Fixtures for the API client tests: a fake clock and sleep, a client factory, a
loopback server. Nothing here really sleeps; every network wait has a timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_helpers import API_KEY, BASE, FakeTime
from api_loopback_server import LoopbackServer

from cekura_cli.api.client import CekuraClient
from cekura_cli.api.retry import RetryPolicy
from cekura_cli.redact import forget_secrets


@pytest.fixture(autouse=True)
def _clean_secrets() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(fake_time: FakeTime) -> Iterator[Callable[..., CekuraClient]]:
    clients: list[CekuraClient] = []

    def factory(**overrides: Any) -> CekuraClient:
        options: dict[str, Any] = {
            "base_url": BASE,
            "api_key": API_KEY,
            "timeout_s": 5.0,
            "retry": RetryPolicy(max_attempts=4, initial_backoff_s=0.5, max_backoff_s=4.0),
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
        }
        options.update(overrides)
        client = CekuraClient(**options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    try:
        yield server.start()
    finally:
        server.stop()
