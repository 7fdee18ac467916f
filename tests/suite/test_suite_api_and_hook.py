"""The public helper other commands use, the starter suite, and the pre-commit hook definition."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml
from suite_helpers import VALID, write

from cekura_cli.errors import NoScenariosError
from cekura_cli.suite import resolve_suite_cases
from cekura_cli.suite.loading import check_file, load_suite_file
from cekura_cli.suite.source import SuiteFileError

REPO = Path(__file__).resolve().parents[2]


def test_resolve_suite_cases_loads_selects_and_fails_like_run(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    cases = resolve_suite_cases(path, tags=["smoke"], exclude_tags=["flaky"])
    assert [c.identity for c in cases] == ["greet"]
    assert [c.identity for c in resolve_suite_cases(path, case_keys=["weather"])] == ["weather"]
    with pytest.raises(NoScenariosError) as empty:
        resolve_suite_cases(path, tags=["nothing"])
    assert empty.value.exit_code == 5
    with pytest.raises(NoScenariosError, match="no test case with key 'zzz'"):
        resolve_suite_cases(path, case_keys=["zzz"])
    with pytest.raises(SuiteFileError) as bad:
        resolve_suite_cases(write(tmp_path, "version: '1'\n", "bad.yaml"))
    assert bad.value.exit_code == 2


def test_the_starter_suite_is_valid_commented_and_half_local(tmp_path: Path) -> None:
    text = (resources.files("cekura_cli.suite") / "starter.yaml").read_text(encoding="utf-8")
    assert text.count("#") >= 10
    path = write(tmp_path, text, "cekura-suite.yaml")
    assert check_file(path) == []
    cases = load_suite_file(path).cases
    assert len(cases) == 2 and [c.local is not None for c in cases] == [True, False]


def test_the_bundled_example_suite_is_a_valid_test_suite() -> None:
    from cekura_cli.sandbox.loader import bundled_suite_path

    assert check_file(bundled_suite_path()) == []
    assert all(case.local is not None for case in load_suite_file(bundled_suite_path()).cases)


def test_the_pre_commit_hook_runs_suite_validate(tmp_path: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "cekura-suite-validate"
    assert hook["entry"].split()[:3] == ["cekura", "suite", "validate"]
    import re

    assert re.search(hook["files"], "tests/cekura-suite.yaml")
    assert re.search(hook["files"], "cekura-suite.json")
    assert not re.search(hook["files"], "cekura-scenarios.yaml")
