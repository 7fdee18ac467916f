"""`cekura suite validate`: the fast path and the typer path say exactly the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from suite_helpers import VALID, write

from cekura_cli.cli import run_cli
from cekura_cli.suite.validate import fast_path


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    good = write(tmp_path, VALID, "good.yaml")
    bad = write(tmp_path, VALID.replace("key: weather", "key: greet"), "bad.yaml")
    return [str(good), str(bad), str(tmp_path / "missing.json")]


@pytest.mark.parametrize("options", [[], ["--quiet"], ["-q"]])
def test_both_paths_print_and_exit_alike(files: list[str], options: list[str], capsys) -> None:
    for selection in (files[:1], files):
        fast = run_cli(["suite", "validate", *options, *selection])
        fast_err = capsys.readouterr().err
        slow = run_cli(["suite", "validate", *options, "--", *selection])  # "--": typer's path
        slow_err = capsys.readouterr().err
        assert (fast, fast_err) == (slow, slow_err)
        assert fast == (0 if selection == files[:1] else 2)
    assert "bad.yaml:16: scenarios[1].key: duplicate key 'greet'" in fast_err
    assert "missing.json:1: (file): suite file not found" in fast_err


@pytest.mark.parametrize(
    "argv",
    [
        ["suite", "validate"],
        ["suite", "validate", "--help"],
        ["suite", "validate", "--", "x.yaml"],
        ["suite", "validate", "--strict", "x.yaml"],
        ["-v", "suite", "validate", "x.yaml"],
        ["suite", "init"],
    ],
)
def test_anything_but_the_plain_form_goes_to_typer(argv: list[str]) -> None:
    assert fast_path(argv) is None


def test_the_console_script_answers_the_plain_form_without_typer(files: list[str]) -> None:
    code = (
        "import sys; sys.argv = ['cekura', 'suite', 'validate', '--quiet', sys.argv[1]]\n"
        "from cekura_cli.entry import main\n"
        "try:\n    main()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, 'typer' in sys.modules, 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, files[1]], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["2", "False", "False"], done.stderr
    assert "duplicate key 'greet'" in done.stderr


def test_the_console_script_hands_everything_else_to_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cekura_cli", "suite", "validate", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Usage: cekura suite validate" in done.stdout


def test_the_console_script_points_at_the_entry() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["project"]["scripts"]["cekura"] == "cekura_cli.entry:main"


def test_hostile_text_from_the_file_is_one_clean_line(tmp_path: Path, capsys) -> None:
    text = (
        'version: "1"\nscenarios:\n  - {name: a, instructions: b, "x\\e]0;t\\a\\n::error::y": 1}\n'
    )
    path = write(tmp_path, text, "hostile.yaml")
    assert run_cli(["suite", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "unknown field 'x]0;t ::error::y'" in err
    assert not any(line.startswith("::") for line in err.splitlines())
