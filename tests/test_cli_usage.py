"""Bad input gets one clear line on stderr and exit 2 — never a traceback (real process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cekura_cli.exit_codes import ExitCode

KEY = {"CEKURA_API_KEY": "sk_test_usage_0123456789"}


def assert_usage_error(result, expected: str, *, json_stdout: bool = False) -> None:
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    if json_stdout:  # --json -: the error document, and nothing else (§13)
        document = json.loads(result.stdout)
        assert document["exit_code"] == 2 and document["error"]["kind"] == "usage"
        assert expected in document["error"]["message"]
    else:
        assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("cekura: error: ")


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["run", "--bogus"], KEY, "No such option: --bogus"),
        (["run", "--tag", "smoke"], {}, "no API key"),
        (["run", "--tag", "smoke"], KEY, "no agent"),
        (["run", "-s", "abc", "--agent-id", "1"], KEY, "'abc' is not a number"),
        (["run", "-s", "1,x2", "--agent-id", "1"], KEY, "'x2' is not a number"),
        (["run", "--agent-id", "abc"], KEY, "Invalid value for '--agent-id'"),
        (["run", "--agent-id", "1", "--match", "some"], KEY, "--match"),
        (["run", "--agent-id", "1", "--frequency", "0"], KEY, "--frequency"),
        (["run", "-t", "x", "--agent-id", "1", "--min-pass-rate", "1.5"], KEY, "min_pass_rate"),
        # values that would silently widen or weaken a run (PRODUCT.md §13)
        (["run", "--agent-id", "1", "--tag", ""], KEY, "--tag got an empty value"),
        (["run", "--agent-id", "1", "-t", " , "], KEY, "--tag got an empty value"),
        (["run", "--agent-id", "1", "-s", ""], KEY, "--scenario got an empty value"),
        (["run", "--agent-id", "1"], KEY, "no selection: pass --tag, --scenario, or --all"),
        (["run", "--agent-id", "1", "--all", "-t", "x"], KEY, "--all runs every scenario"),
        (["run", "--agent-id", "1", "--all", "--frequency", "100000"], KEY, "over --max-runs"),
        (["run", "--agent-id", "1", "--all", "--max-runs", "0"], KEY, "--max-runs"),
        (["run", "--local", "--tag", ""], {}, "--tag got an empty value"),
        (["run", "--local", "--frequency", "20000"], {}, "over --max-runs 10,000"),
        (["run", "--local", "--all", "--tag", "x"], {}, "--all runs every scenario"),
        (["scenarios", "list", "--tag", ""], KEY, "--tag got an empty value"),
        (["shim", "serve", "echo", "--secret-env", "NOT_SET_ANYWHERE"], {}, "is not set"),
        (["sandbox", "serve", "--secret-env", "NOT_SET_ANYWHERE"], {}, "is not set"),
        # every flag value is checked before anything starts (PRODUCT.md §13)
        (
            ["run", "-t", "x", "--agent-id", "1", "--websocket-url", "http://a/ws"],
            KEY,
            "--websocket-url must be a ws:// or wss:// URL",
        ),
        (
            ["run", "-t", "x", "--agent-id", "1", "--websocket-url", "ws://a:99999/"],
            KEY,
            "--websocket-url 'ws://a:99999/' is not a valid",
        ),
        (["run", "-t", "x", "--agent-id", "1", "--api-url", "ftp://x"], KEY, "--api-url"),
        (["run", "-t", "x", "--agent-id", "1", "--dashboard-url", "x"], KEY, "--dashboard-url"),
        (["run", "--local", "-t", "x", "--serve", "http://exa mple/x"], {}, "--serve"),
        (
            ["run", "-t", "x", "--agent-id", "1", "--serve", "echo", "--public-url", "wss://"],
            KEY,
            "--public-url 'wss://' is not a valid",
        ),
        (["wait", "1", "--api-url", "localhost:8000"], KEY, "--api-url must be"),
        (["run", "--agent-id", "1", "--no-wait", "--json", "-"], KEY, "--no-wait"),
        (
            ["run", "--agent-id", "1", "--serve", "echo", "--via", "websocket"],
            KEY,
            "--via websocket with --serve needs --public-url",
        ),
        (["run", "--agent-id", "1", "--via", "api-chat"], KEY, "--via api-chat needs --serve"),
        (["run", "--agent-id", "1", "--via", "chat"], KEY, "Invalid value for '--via'"),
        (
            ["run", "--agent-id", "1", "--serve", "echo", "--via", "api-chat"]
            + ["--public-url", "wss://x.example"],
            KEY,
            "--via api-chat needs no --public-url",
        ),
        (["run", "--agent-id", "1", "--serve", "echo", "--no-wait"], KEY, "drop --no-wait"),
        (["run", "--agent-id", "1", "--scenarios", "x.yaml"], KEY, "--scenarios FILE is for"),
        (["run", "--agent-id", "1", "--personality", "p1"], KEY, "personality id 'p1'"),
        (["wait", "abc"], KEY, "RESULT_ID"),
        (["wait", "12"], {}, "no API key"),
        (["scenarios", "list", "--tag", "x"], KEY, "no agent"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cekura, args: list[str], env: dict, expected: str
) -> None:
    json_stdout = "--json" in args and "-" in args
    assert_usage_error(cekura(args, env=env), expected, json_stdout=json_stdout)


def test_malformed_config_file_is_exit_2(cekura, tmp_path: Path) -> None:
    (tmp_path / "cekura.toml").write_text("agent_id = [\n")
    result = cekura(["run", "--tag", "x"], env=KEY, cwd=tmp_path)
    assert_usage_error(result, "cekura.toml: not valid TOML")


def test_api_key_in_config_file_is_refused_without_echoing_it(cekura, tmp_path: Path) -> None:
    (tmp_path / "cekura.toml").write_text('api_key = "sk_test_committedbymistake"\n')
    result = cekura(["run", "--tag", "x"], env=KEY, cwd=tmp_path)
    assert_usage_error(result, "api_key must not be stored in a config file")
    assert "committedbymistake" not in result.stderr


def test_help_lists_every_exit_code(cekura) -> None:
    result = cekura(["run", "--help"])
    assert result.returncode == 0
    for code in ExitCode:
        assert f"{int(code):>3}  {code.meaning}" in result.stdout


def test_version(cekura) -> None:
    result = cekura(["--version"])
    assert result.returncode == 0
    assert result.stdout.startswith("cekura ")


def test_json_and_junit_on_one_file_is_refused(cekura, tmp_path: Path) -> None:
    args = ["wait", "1", "--json", "r.xml", "--junit-xml", "./r.xml"]
    assert_usage_error(cekura(args, env=KEY, cwd=tmp_path), "name the same file")
    assert json.loads((tmp_path / "r.xml").read_text())["exit_code"] == 2  # the --json document
