"""Exact-output tests: every file/CI format of one small representative report.

The report (see conftest) has a pass, a check failure, an infrastructure error, a
repeated scenario (#1/#2), unicode, XML-hostile and terminal-hostile characters and a
``|`` in a reason. Refresh the golden files with ``UPDATE_GOLDEN=1 pytest tests/reporting``
and review the diff.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from cekura_cli.reporting.github import annotation_lines, step_summary
from cekura_cli.reporting.json_report import write_json
from cekura_cli.reporting.junit import write_junit


def test_json_report_matches_golden(representative_report, golden, tmp_path):
    path = tmp_path / "report.json"
    write_json(representative_report, path)
    text = path.read_text(encoding="utf-8")
    golden("report.json", text)
    assert json.loads(text)["runs"][1]["reason"].count("|") == 1


def test_junit_matches_golden_and_parses(representative_report, golden, tmp_path):
    path = tmp_path / "junit.xml"
    write_junit(representative_report, path)
    text = path.read_text(encoding="utf-8")
    golden("junit.xml", text)
    ET.fromstring(path.read_bytes())  # valid XML despite the hostile characters


def test_step_summary_matches_golden(representative_report, golden):
    golden("step_summary.md", step_summary(representative_report))


def test_annotations_match_golden(representative_report, golden):
    golden("annotations.txt", "\n".join(annotation_lines(representative_report)) + "\n")


def test_json_to_stdout_matches_the_file(representative_report, tmp_path):
    path = tmp_path / "report.json"
    write_json(representative_report, path)
    out = io.StringIO()
    write_json(representative_report, "-", stdout=out)
    assert json.loads(out.getvalue()) == json.loads(path.read_text(encoding="utf-8"))
