"""The click command tree behind the Typer app, with what every command shares added.

Typer builds a click command per subcommand. Two things hold for every one of them,
so they are added here once instead of in each command module:

- ``-v/--verbose`` is accepted after the subcommand too (``cekura run --local -v``),
  as pytest accepts its flags anywhere. Click parses it, so it is never confused with
  an option's value (``--name -v`` still names the run ``-v``);
- a ``--help`` epilog with the exit codes, for any command that does not set its own.

Import-light (typer and the standard library): ``cekura --help`` goes through here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import typer

VERBOSE_FLAGS = ("-v", "--verbose")


def build_command(app: typer.Typer, *, epilog: str, on_verbose: Callable[[], None]) -> Any:
    """``app``'s click command, every subcommand given ``-v/--verbose`` and an epilog.

    The subcommands' ``-v`` is a copy of the root's own option (so help and parsing are
    typer's), made to call ``on_verbose`` instead of handing a value to the command.
    """
    from typer.main import get_command

    root = get_command(app)
    verbose = _verbose_option(root, on_verbose)
    for command in _subcommands(root):
        if not command.epilog:
            command.epilog = epilog
        if verbose is not None and not any(_is_verbose(p) for p in command.params):
            command.params.append(verbose)
    return root


def _is_verbose(param: Any) -> bool:
    return bool(set(VERBOSE_FLAGS) & set(getattr(param, "opts", ())))


def _verbose_option(root: Any, on_verbose: Callable[[], None]) -> Any:
    original = next((p for p in root.params if _is_verbose(p)), None)
    if original is None:
        return None

    def enable(ctx: Any, param: Any, value: Any) -> Any:
        if value and not ctx.resilient_parsing:
            on_verbose()
        return value

    option = copy.copy(original)
    option.expose_value = False
    option.callback = enable
    return option


def _subcommands(group: Any) -> Iterator[Any]:
    """Every command below ``group`` (groups included), depth first."""
    for command in getattr(group, "commands", {}).values():
        yield command
        yield from _subcommands(command)
