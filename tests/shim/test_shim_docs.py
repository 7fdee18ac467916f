"""The example agents in docs/shim.md work as written (extracted and run through the shim)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from cekura_cli.shim import ShimConfig, start_shim_in_thread

DOC = Path(__file__).parents[2] / "docs" / "shim.md"
UNIT = 5.0


def examples() -> dict[str, str]:
    """``{file name: source}`` for every ```python block that starts with ``# name.py``."""
    found = {}
    for block in re.findall(r"^( *)```python\n(.*?)^\1```", DOC.read_text(), re.S | re.M):
        source = textwrap.dedent(block[1])
        name = re.match(r"# (\w+\.py)", source)
        if name:
            found[name.group(1)] = source
    return found


async def conversation(url: str) -> tuple[dict, dict]:
    async with connect(url, additional_headers={"X-Customer-ID": "c1"}) as ws:
        greeting = json.loads(await asyncio.wait_for(ws.recv(), UNIT))
        await ws.send(json.dumps({"content": "hello"}))
        return greeting, json.loads(await asyncio.wait_for(ws.recv(), UNIT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    for name, source in examples().items():
        (tmp_path / name).write_text(source)
    return tmp_path


def test_the_doc_has_the_three_example_agents():
    assert set(examples()) == {"ci_agent.py", "http_agent.py", "line_agent.py"}


def test_python_callable_example(example_dir):
    with start_shim_in_thread(ShimConfig(f"{example_dir}/ci_agent.py:reply", port=0)) as shim:
        greeting, reply = asyncio.run(conversation(shim.url))
    assert greeting == {"content": "Hi! This is Acme support. How can I help?"}
    assert reply == {"content": "You said: hello", "metadata": {"customer_id": "c1"}}


def test_exec_example(example_dir):
    target = f"exec:{sys.executable} {example_dir / 'line_agent.py'}"
    with start_shim_in_thread(ShimConfig(target, port=0)) as shim:
        greeting, reply = asyncio.run(conversation(shim.url))
    assert greeting == {"content": "Hello from a process!"}
    assert reply == {"content": "You said: hello"}


def test_http_example(example_dir):
    port = free_port()
    source = (example_dir / "http_agent.py").read_text().replace("9000", str(port))
    (example_dir / "http_agent.py").write_text(source)
    server = subprocess.Popen(
        [sys.executable, str(example_dir / "http_agent.py")], stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + UNIT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=UNIT).close()
                break
            except OSError:
                time.sleep(0.02)
        with start_shim_in_thread(ShimConfig(f"http://127.0.0.1:{port}/", port=0)) as shim:
            greeting, reply = asyncio.run(conversation(shim.url))
    finally:
        server.kill()
        server.wait()
    assert greeting == {"content": "Hello from HTTP!"}
    assert reply == {"content": "You said: hello"}
