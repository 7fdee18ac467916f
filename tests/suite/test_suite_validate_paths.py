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


def test_the_plain_form_does_not_import_pydantic(files: list[str]) -> None:
    code = (
        "import sys; from cekura_cli.cli import run_cli; "
        f"rc = run_cli(['suite', 'validate', '--quiet', {files[0]!r}]); "
        "print(rc, 'pydantic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["0", "False"], done.stderr
