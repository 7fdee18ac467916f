"""Loopback fixtures for end-to-end tests: the real sandbox and shim, and the real CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest
from e2e_helpers import API_KEY


@pytest.fixture(scope="module")
def booking_url() -> Iterator[str]:
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    handle = start_shim_in_thread(ShimConfig(target="booking", port=0))
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    handle = start_shim_in_thread(ShimConfig(target="echo", port=0))
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def sandbox(booking_url: str) -> Iterator[Callable[..., object]]:
    """``sandbox(faults=[...], agent_url=None, api_key=API_KEY)`` -> a running SandboxHandle."""
    from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread
    from cekura_cli.sandbox.faults import parse_fault_specs

    handles = []

    def start(
        faults: Sequence[str] = (),
        agent_url: str | None = None,
        api_key: str | None = API_KEY,
        websocket_secret: str | None = None,
    ) -> object:
        handle = start_sandbox_in_thread(
            SandboxConfig(
                suite=load_suite(None),
                api_key=api_key,
                agent_websocket_url=agent_url or booking_url,
                websocket_secret=websocket_secret,
                faults=parse_fault_specs(list(faults), seed=7),
            )
        )
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()
