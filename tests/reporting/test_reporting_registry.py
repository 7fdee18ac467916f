"""The reporter registry: one conformance test drives every registered reporter."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from cekura_cli.redact import register_secret
from cekura_cli.reporting import REPORTERS, Reporter, ReportTargets, reporters_for
from cekura_cli.reporting.model import Outcome

SECRET = "sk-test-secret-0123456789"


def _all_targets(tmp_path) -> tuple[ReportTargets, io.StringIO, io.StringIO]:
    stdout, stderr = io.StringIO(), io.StringIO()
    targets = ReportTargets(
        json=tmp_path / "report.json",
        junit_xml=tmp_path / "junit.xml",
        html=tmp_path / "report.html",
        environ={
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        },
        stdout=stdout,
        stderr=stderr,
    )
    return targets, stdout, stderr


def _artefacts(tmp_path, stdout: io.StringIO, stderr: io.StringIO) -> dict[str, str]:
    files = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()}
    return {**files, "<stdout>": stdout.getvalue(), "<stderr>": stderr.getvalue()}


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_every_reporter_writes_something_useful_and_no_secret(
    name, tmp_path, make_run_report, make_result_report
):
    register_secret(SECRET)
    run = make_run_report(1, Outcome.FAILED, reason=f"leaked {SECRET}", transcript=SECRET)
    report = make_result_report([run, make_run_report(2, Outcome.PASSED)])
    targets, stdout, stderr = _all_targets(tmp_path)

    reporter = REPORTERS[name](targets)
    assert reporter is not None
    assert isinstance(reporter.name, str) and reporter.name == name
    reporter.write(report)

    produced = {key: text for key, text in _artefacts(tmp_path, stdout, stderr).items() if text}
    assert produced, f"{name} wrote nothing"
    for key, text in produced.items():
        assert SECRET not in text, f"{name} leaked the secret into {key}"
    assert any(report.result_url in text for text in produced.values())
    assert stdout.getvalue() == "", "stdout is reserved for --json -"


def test_reporters_with_nothing_to_do_are_not_built(tmp_path):
    assert reporters_for(ReportTargets(environ={"GITHUB_ACTIONS": "false"})) == []


def test_reporters_for_builds_the_requested_ones_in_registry_order(tmp_path, representative_report):
    targets, stdout, _ = _all_targets(tmp_path)
    targets = ReportTargets(json="-", junit_xml=targets.junit_xml, stdout=stdout)
    reporters: list[Reporter] = reporters_for(targets)
    assert [r.name for r in reporters] == ["json", "junit"]
    for reporter in reporters:
        reporter.write(representative_report)
    assert json.loads(stdout.getvalue())["result_id"] == 123
    ET.parse(tmp_path / "junit.xml")


def test_importing_the_package_does_not_import_rich_or_the_reporters():
    code = (
        "import sys, cekura_cli.reporting as r;"
        "heavy = [m for m in ('rich', 'cekura_cli.reporting.junit', 'cekura_cli.reporting.github',"
        " 'cekura_cli.reporting.json_report', 'cekura_cli.reporting.console') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
