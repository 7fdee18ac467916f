"""Flag values that would silently widen or weaken a run are errors (PRODUCT.md §3, §13).

Pure checks, each raising a one-line :class:`~cekura_cli.errors.UsageError` (exit 2)
that names the flag, before anything is resolved or started:

- an empty ``--tag`` / ``--scenario`` value (an unset ``$TAG`` in CI) would otherwise
  drop out and leave "no selection", i.e. every scenario of the agent, paid for;
- a remote run with no selection needs ``--all`` (``--local`` runs are free and keep
  running the whole local scenario file, as the README's first command relies on);
- the number of runs in one result (scenarios x frequency x personalities x profiles)
  is capped by ``--max-runs`` (default :data:`DEFAULT_MAX_RUNS`): the service's cost,
  and the local sandbox's memory (300,000 runs took 2.8 GB);
- ``--secret-env VAR`` naming an unset or empty variable would turn auth off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cekura_cli.errors import UsageError

DEFAULT_MAX_RUNS = 10_000
DEFAULT_SECRET_ENV = "CEKURA_WEBSOCKET_SECRET"


def reject_empty_values(values: Sequence[str] | None, *, flag: str) -> None:
    """``--tag ""`` or ``--tag ,`` is an error, not "no tag"."""
    for value in values or ():
        if not any(part.strip() for part in value.split(",")):
            raise UsageError(
                f"{flag} got an empty value {value!r} (an unset CI variable?)",
                hint=f"give {flag} a value, or leave the flag out",
            )


def check_selection_given(*, has_selection: bool, run_all: bool, local: bool) -> None:
    """No selection: ``--all`` for remote runs; ``--all`` with a selection is a contradiction."""
    if run_all and has_selection:
        raise UsageError("--all runs every scenario of the agent; drop it or the selection")
    if not has_selection and not run_all and not local:
        raise UsageError(
            "no selection: pass --tag, --scenario, or --all to run every scenario of the agent",
            hint="an unset CI variable must not widen a run to the whole paid suite",
        )


def check_run_count(scenarios: int, runs_per_scenario: int, *, max_runs: int) -> None:
    """One result holds at most ``max_runs`` runs."""
    if max_runs < 1:
        raise UsageError(f"--max-runs must be at least 1, got {max_runs}")
    total = scenarios * runs_per_scenario
    if total > max_runs:
        what = f"{scenarios} scenario{'s' if scenarios != 1 else ''} x {runs_per_scenario}"
        raise UsageError(
            f"the run would start {total:,} runs ({what}), over --max-runs {max_runs:,}",
            hint="lower --frequency or narrow the selection, or raise --max-runs if you mean it",
        )


def secret_from_env(
    environ: Mapping[str, str], name: str | None, *, flag: str = "--secret-env"
) -> str | None:
    """The WebSocket secret from ``$name``; the default variable may be unset (no auth),
    but a variable named explicitly must hold a value."""
    if name is None:
        return environ.get(DEFAULT_SECRET_ENV) or None
    if not name.strip():
        raise UsageError(f"{flag} got an empty variable name")
    value = environ.get(name)
    if not value:
        state = "is empty" if name in environ else "is not set"
        raise UsageError(
            f"{flag} {name}: the variable {state}, so no secret would be checked",
            hint=f"export {name}, or drop {flag} to run without a secret",
        )
    return value


WEBSOCKET_SCHEMES = ("ws", "wss")
HTTP_SCHEMES = ("http", "https")


def check_url(value: str | None, *, flag: str, schemes: Sequence[str]) -> None:
    """``value`` parses as a URL with one of ``schemes``, a host and a valid port."""
    if value is None:
        return
    from urllib.parse import urlsplit

    wanted = " or ".join(f"{scheme}://" for scheme in schemes)
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in schemes:
        raise UsageError(f"{flag} must be a {wanted} URL, got {text!r}")
    try:
        port = parts.port  # raises for a port that is not a number in 0..65535
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or any(c.isspace() for c in parts.netloc):
        raise UsageError(f"{flag} {text!r} is not a valid {wanted} URL (host or port)")
