"""``cekura report …``: commands that read JSON reports (merge, compare, trend).

Each subcommand lives in its own module (``report_merge``, ``report_compare``,
``report_trend``) and is registered here with one line; this module stays import-light
(typer only) so ``cekura --help`` starts fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Work with JSON reports: merge shards, compare with a baseline, show a trend.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """Work with JSON reports: merge shards, compare with a baseline, show a trend."""


# Subcommands register below, one line each (keep this list sorted by name).
from cekura_cli.commands import report_compare, report_merge, report_trend  # noqa: E402

app.command("compare")(report_compare.compare)
app.command("merge")(report_merge.merge)
app.command("trend")(report_trend.trend)
