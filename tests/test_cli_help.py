"""Help and habits: bare commands print help (exit 0), -v anywhere, exit codes, completion."""

from __future__ import annotations

import logging

import pytest

from cekura_cli.cli import EPILOG, _enable_debug_logging, app, run_cli
from cekura_cli.cli_tree import build_command
from cekura_cli.exit_codes import ExitCode


def _command_paths() -> list[list[str]]:
    root = build_command(app, epilog=EPILOG, on_verbose=lambda: None)
    paths: list[list[str]] = []

    def walk(group, prefix):
        for name, command in getattr(group, "commands", {}).items():
            paths.append([*prefix, name])
            walk(command, [*prefix, name])

    walk(root, [])
    return paths


@pytest.fixture(autouse=True)
def _no_verbose_handlers():
    logger = logging.getLogger("cekura_cli")
    before = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = before[0]
    logger.setLevel(before[1])


@pytest.mark.parametrize("args", [[], ["scenarios"], ["shim"], ["sandbox"], ["report"]])
def test_a_bare_command_prints_its_help_and_exits_0(args, capsys):
    assert run_cli(args) == ExitCode.OK
    out, err = capsys.readouterr()
    assert out.startswith(" ".join(["Usage: cekura", *args]))
    assert err == ""


def test_bare_cekura_in_a_real_process(cekura):
    result = cekura([])
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: cekura [OPTIONS] COMMAND")
    assert "error" not in result.stderr


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_every_command_lists_its_exit_codes(path, capsys):
    assert run_cli([*path, "--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "Exit codes:" in out
    assert "  0  " in out and "  2  " in out


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["shim", "serve"], "0  stopped by SIGTERM/SIGINT; open conversations drained"),
        (["sandbox", "serve"], "2  usage error: bad scenario file"),
        (["scenarios", "list"], "5  the selection matched no scenarios"),
    ],
)
def test_server_and_listing_exit_codes_are_their_own(path, expected, capsys):
    run_cli([*path, "--help"])
    out = capsys.readouterr().out
    assert expected in out
    assert "1  test failures" not in out  # they never return 1


def test_verbose_is_accepted_after_the_subcommand(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli(["scenarios", "list", "--local", "-v"]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "cekura: cekura_cli.api: GET /test_framework/v1/scenarios/" in err


def test_verbose_twice_logs_each_line_once(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli(["-v", "scenarios", "list", "--local", "--verbose"]) == ExitCode.OK
    lines = [line for line in capsys.readouterr().err.splitlines() if "cekura_cli.api: GET" in line]
    assert lines and len(lines) == len(set(lines))


def test_an_option_value_that_looks_like_v_is_still_a_value(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = run_cli(["run", "--local", "--tag", "smoke-test", "--dry-run", "--name", "-v"])
    assert code == ExitCode.OK
    err = capsys.readouterr().err
    assert "would start as '-v'" in err
    assert "cekura_cli.api" not in err  # -v was the name, not the flag


def test_enable_debug_logging_is_idempotent():
    _enable_debug_logging()
    _enable_debug_logging()
    handlers = logging.getLogger("cekura_cli").handlers
    assert len([h for h in handlers if getattr(h, "_cekura_verbose", False)]) == 1


def test_shell_completion_is_offered_and_completes(cekura):
    help_text = cekura(["--help"]).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text
    script = cekura(["--show-completion", "bash"], env={"SHELL": "/bin/bash"})
    assert script.returncode == 0
    assert "_CEKURA_COMPLETE=complete_bash" in script.stdout
    words = cekura(
        [], env={"_CEKURA_COMPLETE": "complete_bash", "COMP_WORDS": "cekura sc", "COMP_CWORD": "1"}
    )
    assert words.stdout.split() == ["scenarios"]
    options = cekura(
        [],
        env={
            "_CEKURA_COMPLETE": "complete_bash",
            "COMP_WORDS": "cekura run --no-w",
            "COMP_CWORD": "2",
        },
    )
    assert options.stdout.split() == ["--no-wait"]


def test_install_completion_writes_the_script_for_the_shell(cekura, tmp_path):
    done = cekura(
        ["--install-completion", "bash"], env={"HOME": str(tmp_path), "SHELL": "/bin/bash"}
    )
    assert done.returncode == 0, done.stderr
    assert "bash completion installed" in done.stdout
    scripts = list(tmp_path.rglob("*cekura*"))
    assert scripts and "_CEKURA_COMPLETE" in scripts[0].read_text()
    assert "cekura" in (tmp_path / ".bashrc").read_text()
