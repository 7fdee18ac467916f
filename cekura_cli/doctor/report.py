"""The doctor's results as terminal lines and as the ``--json`` document (docs/agents.md).

Details quote the service and the agent (names, greetings, error texts): hostile input.
:func:`clean` makes any such text one inert line: control characters (ANSI escapes
included) become spaces, whitespace is collapsed, GitHub's ``##[`` is broken, and every
line starts with cekura's own status word, so no quoted text can start a workflow
command. Everything is redacted once more on the way out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from cekura_cli.doctor.checks import CheckResult, Status
from cekura_cli.doctor.mode import RunMode
from cekura_cli.exit_codes import ExitCode
from cekura_cli.redact import redact

__all__ = ["clean", "doctor_exit_code", "render_lines", "report_json", "summary_line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_MAX_DETAIL = 400
_LABEL = {Status.OK: "ok", Status.FAIL: "FAIL", Status.SKIP: "skip"}


def clean(text: str, limit: int = _MAX_DETAIL) -> str:
    flat = " ".join(_CONTROL.sub(" ", str(text)).split())
    flat = flat.replace("##[", "#\u2060#[").replace("::", ":\u2060:")
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return redact(flat)


def doctor_exit_code(results: Sequence[CheckResult]) -> ExitCode:
    failed = any(result.status is Status.FAIL for result in results)
    return ExitCode.TEST_FAILURES if failed else ExitCode.OK


def render_lines(results: Sequence[CheckResult]) -> list[str]:
    """``ok    title: detail`` per check; a failure adds an indented ``fix:`` line."""
    lines: list[str] = []
    for result in results:
        lines.append(f"{_LABEL[result.status]:<5} {result.title}: {clean(result.detail)}")
        if result.status is Status.FAIL and result.fix:
            lines.append(f"      fix: {clean(result.fix)}")
    return lines


def summary_line(results: Sequence[CheckResult]) -> str:
    counts = Counter(result.status for result in results)
    failed = counts[Status.FAIL]
    verdict = "all checks passed" if not failed else f"{failed} of {len(results)} checks failed"
    return (
        f"cekura doctor: {verdict} ({counts[Status.OK]} ok, {failed} failed, "
        f"{counts[Status.SKIP]} skipped)"
    )


def report_json(
    results: Sequence[CheckResult], *, mode: RunMode, agent: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``--json`` document: stable keys, documented in docs/agents.md."""
    counts = Counter(result.status for result in results)
    code = doctor_exit_code(results)
    return {
        "ok": code is ExitCode.OK,
        "exit_code": int(code),
        "mode": mode.value,
        "agent": agent,
        "counts": {
            "ok": counts[Status.OK],
            "failed": counts[Status.FAIL],
            "skipped": counts[Status.SKIP],
        },
        "checks": [{**result.as_json(), "detail": redact(result.detail)} for result in results],
    }
