"""The Typer app: registers commands and wraps them in the one error boundary.

(Placeholder during bootstrap; replaced when the commands land.)
"""

from __future__ import annotations


def main() -> None:
    raise SystemExit("cekura: not built yet")
