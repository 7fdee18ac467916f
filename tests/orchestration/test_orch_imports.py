"""Command modules import selection/polling/naming/waiter at top level; keep them light."""

from __future__ import annotations

import subprocess
import sys

LIGHT = [
    "cekura_cli.orchestration",
    "cekura_cli.orchestration.selection",
    "cekura_cli.orchestration.polling",
    "cekura_cli.orchestration.naming",
    "cekura_cli.orchestration.waiter",
]
HEAVY = ["pydantic", "httpx", "rich", "websockets", "cekura_cli.api.models"]


def test_light_modules_do_not_import_heavy_dependencies():
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in LIGHT)
        + f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == ""
