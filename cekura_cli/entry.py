"""The ``cekura`` console script: the pre-commit hook's command answered before the CLI loads.

``cekura suite validate [-q] FILE...`` runs on every commit, and importing the Typer app
(typer and every command module) is a third of its start-up. :func:`main` therefore
tries :func:`cekura_cli.suite.validate.fast_path` first and imports
:mod:`cekura_cli.cli` only for everything else (or if the fast path fails
unexpectedly: the full CLI then answers, with its one error boundary).
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> NoReturn:
    try:
        from cekura_cli.suite.validate import fast_path

        code = fast_path(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("cekura: interrupted\n")
        sys.exit(130)
    except Exception:  # the full CLI reports it properly
        code = None
    if code is not None:
        sys.exit(int(code))
    from cekura_cli.cli import main as cli_main

    cli_main()
