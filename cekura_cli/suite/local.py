"""The offline backend: a suite file's ``local:`` blocks as the sandbox's scenario file.

``cekura run --local --suite FILE`` starts the sandbox with one scripted scenario per
selected case that has a ``local:`` block (name and tags from the case, the script and
checks from the block, ``instructions``/``expected_outcome`` shown as in the service),
then posts the stripped spec to the sandbox's ``run_scenarios_json`` exactly as it
would to the service; the sandbox plays each posted case by its name.

The same conversion lets the bundled example suite and any ``--scenarios`` file be
written in the suite format: :func:`sandbox_suite_from_doc` is what the sandbox's loader
calls for a file with ``version: "1"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cekura_cli.errors import ConfigError
from cekura_cli.sandbox.scenario_file import Suite
from cekura_cli.suite.model import SuiteCase, SuiteFile


def has_script(case: SuiteCase) -> bool:
    return case.local is not None


def sandbox_suite(suite: SuiteFile, cases: Sequence[SuiteCase]) -> Suite:
    """The sandbox scenario file for ``cases`` (those without a script are left out)."""
    top: dict[str, Any] = dict(suite.local or {})
    profiles = list(top.get("test_profiles") or [])
    data: dict[str, Any] = {"version": 1, "scenarios": []}
    for key in ("agent", "defaults"):
        if key in top:
            data[key] = top[key]
    for case in cases:
        if case.local is None:
            continue
        scenario: dict[str, Any] = {"id": len(data["scenarios"]) + 1, "name": case.name}
        scenario["tags"] = list(case.tags)
        for source, target in (("instructions", "description"), ("expected_outcome",) * 2):
            value = case.spec.get(source)
            if isinstance(value, str) and value.strip():
                scenario[target] = value
        profile = case.spec.get("test_profile")
        if isinstance(profile, dict):
            profiles.append(
                {
                    "id": max([p["id"] for p in profiles] + [0]) + 1,
                    "name": profile.get("name") or f"{case.name} profile",
                    "information": {
                        **(profile.get("caller_variables") or {}),
                        **(profile.get("agent_variables") or {}),
                    },
                }
            )
            scenario["test_profile"] = profiles[-1]["id"]
        scenario.update(case.local)  # the local: block wins for the sandbox
        data["scenarios"].append(scenario)
    data["test_profiles"] = profiles
    return Suite.model_validate(data)


def is_test_suite(data: Any) -> bool:
    """A Cekura test suite says ``version: "1"`` (a string); a scenario file ``version: 1``."""
    return isinstance(data, dict) and data.get("version") == "1"


def sandbox_suite_from_text(text: str, *, filename: str) -> Suite:
    """A test-suite file as the sandbox's scenario file: its cases with ``local:`` blocks."""
    from cekura_cli.suite.loading import build_suite, check_source
    from cekura_cli.suite.source import SuiteFileError, parse_source

    doc = parse_source(text, filename=filename)
    problems = check_source(doc)
    if problems:
        raise SuiteFileError(problems)
    suite = build_suite(doc)
    if not any(has_script(case) for case in suite.cases):
        raise ConfigError(
            f"{filename}: no test case has a local: block, so the sandbox has nothing to play",
            hint="add local: turns to a case (docs/suite.md)",
        )
    return sandbox_suite(suite, suite.cases)
