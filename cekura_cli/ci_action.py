"""What the repository's ``action.yml`` runs: action inputs (environment) -> ``cekura run``.

The composite action passes every input as a ``CEKURA_ACTION_*`` environment variable
(never interpolated into a shell script, so no input can inject commands). The secrets
``api-key`` and ``websocket-secret`` become ``CEKURA_API_KEY`` / ``CEKURA_WEBSOCKET_SECRET``
in this process's environment (only when given, so a job-level variable still works),
which ``cekura`` reads: no secret is ever on a command line. This module turns the inputs into the
argument list of ``cekura run``, prints that list (it holds no secret) and runs it in
this process; ``cekura run`` itself writes ``result_id``, ``result_url``, ``passed``,
``total``, ``pass_rate`` and ``verdict`` to ``$GITHUB_OUTPUT``.

Run it by hand with ``python -m cekura_cli.ci_action`` and the same variables.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping

from cekura_cli.errors import UsageError
from cekura_cli.exit_codes import ExitCode

PREFIX = "CEKURA_ACTION_"

# input name -> the `cekura run` flag it becomes (values are passed as they are)
VALUE_FLAGS: dict[str, str] = {
    "TAGS": "--tag",
    "EXCLUDE_TAGS": "--exclude-tag",
    "SCENARIOS": "--scenario",
    "SUITE": "--suite",
    "AGENT_ID": "--agent-id",
    "API_URL": "--api-url",
    "MIN_PASS_RATE": "--min-pass-rate",
    "TIMEOUT": "--timeout",
    "SERVE": "--serve",
    "PUBLIC_URL": "--public-url",
    "SCENARIOS_FILE": "--scenarios",
    "JUNIT_XML": "--junit-xml",
    "JSON": "--json",
    "SHARD": "--shard",
    "BASELINE": "--baseline",
    "FAIL_ON": "--fail-on",
    "QUARANTINE": "--quarantine",
    "RERUN_FAILED": "--rerun-failed",
    "REPEAT": "--repeat",
    "MIN_PASSES": "--min-passes",
}
BOOL_FLAGS: dict[str, str] = {"LOCAL": "--local", "ALL": "--all"}
SELECTING = ("TAGS", "SCENARIOS", "SUITE", "RERUN_FAILED")
SECRETS = {"API_KEY": "CEKURA_API_KEY", "WEBSOCKET_SECRET": "CEKURA_WEBSOCKET_SECRET"}


def export_secrets(environ: dict[str, str] | os._Environ[str]) -> None:
    """Move the secret inputs to the variables cekura reads; an empty input changes nothing."""
    from cekura_cli.redact import register_secret

    for key, name in SECRETS.items():
        value = environ.pop(PREFIX + key, "").strip()
        if value:
            register_secret(value)
            environ[name] = value


def _flag_name(key: str) -> str:
    return key.lower().replace("_", "-")


def _bool(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("", "false", "0", "no"):
        return False
    if text in ("true", "1", "yes"):
        return True
    raise UsageError(f"action input {_flag_name(name)} must be true or false, got {value!r}")


def build_argv(environ: Mapping[str, str]) -> list[str]:
    """The ``cekura run`` arguments for the action inputs in ``environ`` (no secrets)."""
    value = {key: environ.get(PREFIX + key, "").strip() for key in (*VALUE_FLAGS, "EXTRA_ARGS")}
    flags = {key: _bool(key, environ.get(PREFIX + key, "")) for key in BOOL_FLAGS}
    if not any(value[key] for key in SELECTING) and not flags["ALL"] and not flags["LOCAL"]:
        # An unset CI variable must never widen a run to the agent's whole paid suite.
        raise UsageError(
            "the action needs one of the inputs tags, scenarios, suite or rerun-failed "
            "(or all: true to run every scenario of the agent)"
        )
    argv = ["run"]
    for key, flag in BOOL_FLAGS.items():
        if flags[key]:
            argv.append(flag)
    for key, flag in VALUE_FLAGS.items():
        if value[key]:
            argv += [flag, value[key]]
    if value["EXTRA_ARGS"]:
        try:
            argv += shlex.split(value["EXTRA_ARGS"])
        except ValueError as exc:
            raise UsageError(f"action input extra-args: {exc}") from None
    return argv


def main() -> int:
    env = os.environ
    export_secrets(env)
    try:
        argv = build_argv(env)
    except UsageError as exc:
        sys.stderr.write(f"cekura: error: {exc.message}\n")
        return int(ExitCode.USAGE)
    sys.stderr.write(f"cekura: running: cekura {shlex.join(argv)}\n")
    sys.stderr.flush()
    from cekura_cli.cli import run_cli

    return run_cli(argv)


if __name__ == "__main__":
    sys.exit(main())
