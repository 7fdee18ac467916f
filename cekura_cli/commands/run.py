"""``cekura run`` (being built)."""

from __future__ import annotations

from cekura_cli.exit_codes import ExitCode


def run() -> ExitCode:
    """Start a text-mode run of the selected scenarios, wait for it, report, exit."""
    return ExitCode.USAGE
