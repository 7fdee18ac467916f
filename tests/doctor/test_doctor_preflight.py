"""``--serve TARGET`` as the doctor checks it: the real shim in-process on a free port,
probed over a real WebSocket (a slow agent, a crashing one, one that does not load)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cekura_cli.errors import UsageError
from cekura_cli.preflight import probe_target

AGENTS = """\
import time


def slow(history, context):
    if not history:
        return None
    time.sleep(3)
    return "late"


def broken(history, context):
    if not history:
        return None
    raise RuntimeError("the agent crashed")


def greets(history, context):
    return "Hi, this is the test agent." if not history else "ok"
"""
FAST = {"timeout_s": 1.0, "greeting_wait_s": 0.3}


@pytest.fixture
def agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "probe_agents.py").write_text(AGENTS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_built_in_and_file_targets_answer(agents: Path) -> None:
    assert probe_target("echo", secret=None, **FAST).reply
    greeting = probe_target("probe_agents.py:greets", secret="wss_s3cret_value", **FAST)
    assert greeting.ok and greeting.greeting == "Hi, this is the test agent."


def test_a_slow_agent_is_reported_not_passed_on_the_shims_fallback(agents: Path) -> None:
    result = probe_target("probe_agents.py:slow", secret=None, **FAST)
    assert not result.ok and result.reply is None
    assert result.problem == "the agent did not answer a probe message within 0.5 s"


def test_a_crashing_agent_fails_the_probe(agents: Path) -> None:
    result = probe_target("probe_agents.py:broken", secret=None, **FAST)
    assert not result.ok and result.close_code is not None and result.close_code != 1008


def test_a_target_that_does_not_load_is_a_usage_error(agents: Path) -> None:
    with pytest.raises(UsageError):
        probe_target("probe_agents.py:missing_function", secret=None, **FAST)
    with pytest.raises(UsageError):
        probe_target("no_such_target_form", secret=None, **FAST)


def test_the_local_probe_of_a_running_shim_reports_its_fallback_as_no_answer(agents) -> None:
    from cekura_cli.orchestration.selection import Selection
    from cekura_cli.preflight import LiveServices
    from cekura_cli.shim import ShimConfig, start_shim_in_thread

    config = ShimConfig(target="probe_agents.py:slow", port=0, turn_timeout_s=0.3)
    with start_shim_in_thread(config) as shim:
        result = LiveServices(None, Selection(), 1).probe(shim.url, [])
    assert not result.ok and result.reply is None
    assert "did not answer a probe message in time" in result.problem
