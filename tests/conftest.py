"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from cekura_cli.redact import forget_secrets

# Every environment variable that changes the CLI's behaviour; tests start without them.
CEKURA_ENV_PREFIXES = ("CEKURA_", "GITHUB_", "GITLAB_", "CI_")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(CEKURA_ENV_PREFIXES) or name in ("CI", "NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    forget_secrets()
    yield
    forget_secrets()


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A child-process environment without any CEKURA_/CI variables of the outer shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(CEKURA_ENV_PREFIXES) and k not in ("CI", "NO_COLOR", "FORCE_COLOR")
    }
    env["COLUMNS"] = "120"
    env.update(extra or {})
    return env


class CekuraRunner:
    """Runs the real ``cekura`` entry point in a child process (``python -m cekura_cli``)."""

    def __call__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout_s: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        return run_cekura(args, env=env, cwd=cwd, timeout_s=timeout_s)


@pytest.fixture
def cekura() -> CekuraRunner:
    """``cekura(["run", ...], env={...})`` -> CompletedProcess with text stdout/stderr."""
    return CekuraRunner()


def run_cekura(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout_s: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``cekura`` entry point in a child process (``python -m cekura_cli``)."""
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        cwd=cwd,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
    )
