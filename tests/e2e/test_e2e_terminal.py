"""Terminal captures through the real CLI process against ``--local`` (PRODUCT.md §13).

Golden files (``golden/terminal-<width>-<mode>.txt``) hold what a person sees at 80 and 200
columns, piped, with ``CI=true``, ``NO_COLOR`` and ``FORCE_COLOR``; ports and times are
normalised, escape sequences shown as ``␛``. Refresh with ``UPDATE_GOLDEN=1`` and review the
diff. The agent (``terminal_agent.py``) answers one turn with hostile text: terminal
escapes, rich markup and a workflow command, which must all print as inert text.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from e2e_helpers import cli_environment, run_cli

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
SUITE = HERE / "terminal-scenarios.yaml"
AGENT = f"{HERE / 'terminal_agent.py'}:reply"
RUN = ["run", "--local", "--scenarios", str(SUITE), "--serve", AGENT, "--tag", "terminal"]
MODES = {
    "piped": {},
    "ci": {"CI": "true"},
    "no-color": {"NO_COLOR": "1"},
    "force-color": {"FORCE_COLOR": "1", "TERM": "xterm-256color"},
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _environment(**extra: str) -> dict[str, str]:
    env = cli_environment("http://unused.invalid", **extra)
    for name in ("CEKURA_API_KEY", "CEKURA_API_URL", "CEKURA_AGENT_ID"):
        env.pop(name)
    for name in ("CI", "COLUMNS", "NO_COLOR", "FORCE_COLOR"):
        if name not in extra:
            env.pop(name, None)
    return env


def normalise(text: str) -> str:
    """Ports, paths and times out; only the last progress line (how many are printed on
    the way depends on timing); escape sequences made visible."""
    text = text.replace(str(HERE), "<tests/e2e>")
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"\(\d+(?:h\d+m)?(?:\d+m)?\d*s elapsed\)", "(Ns elapsed)", text)
    lines = text.splitlines()
    progress = [i for i, line in enumerate(lines) if re.match(r"cekura: result \d+: \d+/", line)]
    lines = [line for i, line in enumerate(lines) if i not in progress[:-1]]
    return "\n".join(lines).replace("\x1b", "␛") + "\n"


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs (UPDATE_GOLDEN=1)"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", [80, 200])
def test_terminal_capture_matches_golden(width, mode, tmp_path):
    done = run_cli(RUN, _environment(COLUMNS=str(width), **MODES[mode]), tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    stderr = done.stderr
    assert_golden(f"terminal-{width}-{mode}.txt", normalise(stderr))

    visible = ANSI.sub("", stderr)
    words = " ".join(visible.split())
    assert "pwned" in words and "[bold]not markup[/bold]" in words  # shown as text
    assert "[bold]Hostile[/bold] reply" in words
    assert "\x1b[2J" not in stderr and "\x1b]0;" not in stderr and "\x07" not in stderr
    assert "\x1b[?25l" not in stderr  # no cursor hiding: this is not a terminal
    assert visible.rstrip("\n").splitlines()[-1].startswith("FAILED: 2/4 passed")
    if mode in ("piped", "ci", "no-color"):
        assert "\x1b" not in stderr
    else:
        assert "\x1b[1;31mFAIL" in stderr  # colour forced into a pipe
    if width == 80:
        assert "PASS   2 runs passed" in visible
        assert "  http://127.0.0.1:" in visible  # links on their own line
    else:
        assert visible.count("PASS ") == 2 and "outcome" in visible


def _pty(columns: int) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    return master, slave


def _read_all(master: int, proc: subprocess.Popen[bytes], budget_s: float = 90.0) -> str:
    """Everything the child writes to the terminal until it exits (bounded)."""
    chunks = []
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_real_80_column_terminal_blocks_live_bar_and_one_final_line(tmp_path):
    master, slave = _pty(80)
    env = _environment(TERM="xterm-256color")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cekura_cli", *RUN],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=tmp_path,
    )
    os.close(slave)
    try:
        screen = _read_all(master, proc)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "\x1b[?25l" in screen  # the live display ran (it hides the cursor)
    visible = ANSI.sub("", screen)
    final = re.findall(r"cekura: result 1: 4/4 done, 2 passed, 2 failed", visible)
    assert len(final) == 1, visible  # printed once, not left twice by the bar
    assert "PASS   2 runs passed" in visible  # the width came from the terminal: blocks


def test_piped_in_a_terminal_session_uses_the_terminal_width(tmp_path):
    """``cekura run … 2>&1 | tee log`` in an 80-column terminal: stdin is still the tty."""
    master, slave = _pty(80)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cekura_cli", *RUN],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_environment(TERM="xterm-256color"),
        cwd=tmp_path,
    )
    try:
        out, _ = proc.communicate(timeout=90)
    finally:
        os.close(slave)
        os.close(master)
    text = out.decode("utf-8", "replace")
    assert "\x1b[?25l" not in text  # a pipe is not repainted
    assert "PASS   2 runs passed" in text and "outcome " not in text


def test_forced_colour_into_a_file_is_coloured_not_repainted_and_100_wide(tmp_path):
    log = tmp_path / "err.log"
    with open(log, "wb") as handle:
        proc = subprocess.run(
            [sys.executable, "-m", "cekura_cli", *RUN],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            env=_environment(FORCE_COLOR="1", TERM="xterm-256color"),
            cwd=tmp_path,
            timeout=90,
        )
    assert proc.returncode == 1
    text = log.read_text(encoding="utf-8")
    assert "\x1b[" in text and "\x1b[?25l" not in text
    assert "\r" not in text  # no repaints
    reason_lines = [line for line in ANSI.sub("", text).splitlines() if line.startswith("  ")]
    assert max(len(line) for line in reason_lines if "http" not in line) > 80  # not rich's 80
