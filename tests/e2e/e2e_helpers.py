"""Helpers for end-to-end tests: run the real CLI process against loopback servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

API_KEY = "sk_test_e2e_0123456789abcdef"


def cli_environment(sandbox_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CEKURA_", "GITHUB_", "CI_")) and k != "CI"
    }
    env.update(
        {
            "CEKURA_API_KEY": API_KEY,
            "CEKURA_API_URL": sandbox_url,
            "CEKURA_AGENT_ID": "1",
            "CI": "true",
            "COLUMNS": "160",
        }
    )
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str], env: dict[str, str], cwd: Path, timeout_s: float = 90.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
    )


def interrupt_after_start(
    args: Sequence[str], env: dict[str, str], cwd: Path, signum: int = signal.SIGINT
) -> tuple[int, str]:
    """Start the CLI, send ``signum`` once it reports the started result; (exit code, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cekura_cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        for line in proc.stderr:
            seen.append(line)
            if "waiting for result" in line or "started result" in line:
                time.sleep(0.5)  # let it get into its polling loop
                proc.send_signal(signum)
                break
            if time.monotonic() > deadline:
                break
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "".join(seen) + rest


def dev_files_are_intact() -> bool:
    """True if /dev/null is still the device and /dev/stdout still the symlink; if a
    broken report writer replaced them (as root), they are put back first, so that one
    failing test does not break the machine for every other process on it."""
    import stat

    intact = True
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        intact = False
        if os.geteuid() == 0:
            os.unlink("/dev/null")
            os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            os.chmod("/dev/null", 0o666)
    if not os.path.islink("/dev/stdout"):
        intact = False
        if os.geteuid() == 0:
            os.unlink("/dev/stdout")
            os.symlink("/proc/self/fd/1", "/dev/stdout")
    return intact
