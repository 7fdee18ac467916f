"""``cekura scenarios`` (being built)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect scenarios.", no_args_is_help=True)


@app.command("list")
def list_() -> int:
    """List the scenarios a selection resolves to."""
    return 2
