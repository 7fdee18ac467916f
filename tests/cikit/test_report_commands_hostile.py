"""report merge / compare treat report text as hostile: secrets masked, markup inert."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cikit_helpers import F, P, report, run

from cekura_cli.reporting.json_report import write_json

SECRET = "sk_test_leaky_0123456789abcdefXYZ"
HOSTILE = f"\x1b[31m[bold red]boom[/bold red]\x1b]0;title\x07 ::error::pwned {SECRET}"


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CEKURA_", "GITHUB_"))}
    environ.update({"CI": "true", "COLUMNS": "160", **env})
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_merge_and_compare_mask_a_secret_echoed_into_a_report(tmp_path: Path):
    write_json(report([run(1, 1, P, name=HOSTILE)], result_id=1), tmp_path / "a.json")
    write_json(
        report([run(2, 1, F, name=HOSTILE, reason=HOSTILE)], result_id=2), tmp_path / "b.json"
    )
    summary = tmp_path / "summary.md"
    env = {"CEKURA_API_KEY": SECRET, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    merged = cli(["report", "merge", "a.json", "b.json", "--json", "-", "--junit-xml", "m.xml"],
                 tmp_path, **env)  # fmt: skip
    compared = cli(["report", "compare", "a.json", "b.json", "--json", "c.json"], tmp_path, **env)
    assert merged.returncode == 1 and compared.returncode == 1
    outputs = [merged.stdout, merged.stderr, compared.stdout, compared.stderr]
    outputs += [(tmp_path / name).read_text() for name in ("m.xml", "c.json", "summary.md")]
    for text in outputs:
        assert SECRET not in text and SECRET[:-4] not in text
        assert "\x1b" not in text and "\x07" not in text
    assert "[bold red]boom[/bold red]" in compared.stderr  # printed as text, not as markup
    assert json.loads(merged.stdout)["counts"]["total"] == 2
