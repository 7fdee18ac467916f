"""The CI kit's modules stay import-light: `cekura --help` must not pay for them."""

from __future__ import annotations

import subprocess
import sys

LIGHT = [
    "cekura_cli.orchestration.shard",
    "cekura_cli.orchestration.gating",
    "cekura_cli.orchestration.compare",
    "cekura_cli.orchestration.merge",
    "cekura_cli.ci_kit",
    "cekura_cli.ci_action",
    "cekura_cli.commands.report",
    "cekura_cli.commands.report_merge",
    "cekura_cli.commands.report_compare",
]
HEAVY = ["pydantic", "httpx", "rich", "websockets", "yaml", "cekura_cli.api.models"]


def test_ci_kit_modules_do_not_import_heavy_dependencies():
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in LIGHT)
        + f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""
