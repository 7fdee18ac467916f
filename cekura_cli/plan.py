"""Showing a resolved selection: ``cekura scenarios list`` and ``cekura run --dry-run``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from cekura_cli.api.models import Scenario


def scenarios_to_dicts(scenarios: Sequence[Scenario]) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "name": s.display_name, "tags": list(s.tags), "folder_path": s.folder_path}
        for s in scenarios
    ]


def render_scenarios(scenarios: Sequence[Scenario], console: Console, *, title: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from cekura_cli.reporting._text import one_line

    table = Table(title=Text(title), title_justify="left", show_lines=False)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("scenario")
    table.add_column("tags")
    for scenario in scenarios:  # names and tags are service text: never markup
        name, tags = one_line(scenario.display_name), one_line(", ".join(scenario.tags))
        table.add_row(str(scenario.id), Text(name), Text(tags))
    console.print(table)


def write_plan_json(document: dict[str, Any] | list[Any], destination: str, stdout: TextIO) -> None:
    """Write ``document`` to ``destination`` (a path, or ``-`` for stdout only)."""
    from cekura_cli.reporting._files import report_file
    from cekura_cli.reporting.workflow_commands import inert_json

    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if destination == "-":
        stdout.write(inert_json(text))
        stdout.flush()
        return
    with report_file(destination, what="JSON document") as stream:
        stream.write(text)
