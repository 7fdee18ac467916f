"""``cekura wait`` (being built)."""

from __future__ import annotations

from cekura_cli.exit_codes import ExitCode


def wait() -> ExitCode:
    """Attach to an existing result, wait for it, report, exit."""
    return ExitCode.USAGE
