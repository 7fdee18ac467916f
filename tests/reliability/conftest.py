"""Loopback fixtures for the reliability suite: demo-agent shims, sandboxes with faults."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from reliability_helpers import running_shims, start_sandbox


@pytest.fixture(scope="session")
def agent_urls() -> Iterator[dict[str, str]]:
    """``{"booking": ws_url, "echo": ws_url}``: the demo agents behind in-process shims."""
    with running_shims("booking", "echo") as urls:
        yield urls


@pytest.fixture
def sandbox(agent_urls: dict[str, str]) -> Iterator[Callable[..., Any]]:
    """``sandbox(faults=[...], agent="booking", **start_sandbox_kwargs)`` -> a running
    SandboxHandle, stopped after the test."""
    handles = []

    def start(faults: Sequence[str] = (), agent: str = "booking", **kwargs: Any) -> Any:
        kwargs.setdefault("agent_url", agent_urls[agent])
        handle = start_sandbox(faults=faults, **kwargs)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()
