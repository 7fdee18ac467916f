"""docs/html-report.md stays true: its workflow parses and uses flags that exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = DOCS / "html-report.md"


def _help(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout


def test_the_nightly_workflow_uploads_both_pages() -> None:
    (block,) = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["critical"]["steps"]
    commands = " ".join(step.get("run", "") for step in steps)
    assert "--html cekura-report.html" in commands
    assert "cekura report trend history --html cekura-trend.html" in commands
    (upload,) = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload["if"] == "always()"
    assert {"cekura-report.html", "cekura-trend.html"} <= set(upload["with"]["path"].split())


def test_the_documented_flags_exist() -> None:
    assert "--html" in _help("run")
    assert "--html" in _help("wait")
    assert "--html" in _help("report", "trend")


def test_the_screenshots_are_there() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in re.findall(r"\]\(([\w-]+\.png)\)", text):
        assert (DOCS / name).stat().st_size > 10_000, name
    assert len(re.findall(r"\]\(([\w-]+\.png)\)", text)) == 3
