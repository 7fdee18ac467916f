"""The GitHub Actions runner's workflow-command grammar, as an independent check.

Applies the runner's rules to a step's output (ActionCommandManager / ActionCommand in
actions/runner), stricter where that is simpler:

- a line whose trimmed start is ``::`` and that has a closing ``::`` is a command
  (``::name props::data``); any name counts, registered or not;
- otherwise a line containing ``##[`` followed by ``]`` is a command (``##[name]data``);
- ``stop-commands`` with data TOKEN suspends processing of *both* forms until a command
  named TOKEN (case-insensitive) appears;
- lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (the runner splits on newlines; a
  terminal would also show ``\\r`` as a new line, so we count both ways).

Nothing here imports cekura: it must not share the code it checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    properties: str
    data: str
    line: str


def parse_line(line: str) -> Command | None:
    trimmed = line.lstrip()
    if trimmed.startswith("::"):
        end = trimmed.find("::", 2)
        if end >= 0:
            info = trimmed[2:end]
            name, _, properties = info.partition(" ")
            if name:
                return Command(name, properties, trimmed[end + 2 :], line)
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start + 3)
        if close >= 0:
            info = line[start + 3 : close]
            name, _, properties = info.partition(" ")
            if name:
                return Command(name, properties, line[close + 1 :], line)
    return None


def every_command(output: str) -> list[Command]:
    """Every line that parses as a command, ignoring stop-commands: what a reader that
    does not honour the block (or reads stdout apart from stderr) would act on."""
    return [c for c in map(parse_line, re.split(r"\r\n|\n|\r", output)) if c is not None]


def runner_commands(output: str) -> list[Command]:
    """Every command the runner would act on, in order (stop and resume included)."""
    acted: list[Command] = []
    stop_token: str | None = None
    for line in re.split(r"\r\n|\n|\r", output):
        command = parse_line(line)
        if command is None:
            continue
        if stop_token is not None:
            if command.name.lower() == stop_token.lower():
                stop_token = None
                acted.append(command)
            continue
        if command.name.lower() == "stop-commands":
            stop_token = command.data
        acted.append(command)
    return acted
