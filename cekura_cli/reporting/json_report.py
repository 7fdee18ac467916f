"""The JSON report: the stable, machine-readable record of one result.

The format is documented in ``docs/json-report.md`` (with a JSON Schema). Keys come in
a fixed order, floats are rounded (rates to 4 decimals, seconds to milliseconds), and
every text field is redacted and stripped of control characters. Bump
:data:`SCHEMA_VERSION` for any change that is not purely additive.

Layout: the top level is indented, each run is one compact line. That reads and diffs
well (one run per line) and keeps the C encoder: ``indent`` switches :mod:`json` to its
pure-Python encoder, three times slower on a 5,000-run report.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cekura_cli.reporting._files import report_file
from cekura_cli.reporting._text import clean, round_rate, round_seconds
from cekura_cli.reporting.model import ResultReport, RunReport

SCHEMA_VERSION = 1
STDOUT = "-"


def report_to_dict(report: ResultReport) -> dict[str, Any]:
    """The report as plain JSON-ready data, keys in the documented order."""
    counts = report.counts
    return {
        "schema_version": SCHEMA_VERSION,
        "result_id": report.result_id,
        "result_url": clean(report.result_url),
        "name": _text(report.name),
        "status": clean(report.status),
        "verdict": report.verdict.value,
        "exit_code": int(report.exit_code),
        "counts": {
            "total": counts.total,
            "passed": counts.passed,
            "failed": counts.failed,
            "errored": counts.errored,
            # only suite runs skip cases: the key appears when there are some
            **({"skipped": counts.skipped} if counts.skipped else {}),
        },
        "pass_rate": round_rate(report.pass_rate),
        "min_pass_rate": round(report.min_pass_rate, 4),
        "timed_out": report.timed_out,
        "interrupted": report.interrupted,
        "elapsed_s": round_seconds(report.elapsed_s),
        "notes": [clean(note) for note in report.notes],
        **ci_fields(report),
        "runs": [_run_to_dict(run) for run in report.runs],
    }


def _run_to_dict(run: RunReport) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "scenario_id": run.scenario_id,
        "scenario_name": clean(run.scenario_name),
        "case_name": clean(run.case_name),
        "status": clean(run.status),
        "success": run.success,
        "outcome": run.outcome.value,
        "reason": _text(run.reason),
        "transcript": _text(run.transcript),
        "url": _text(run.url),
        "duration_s": round_seconds(run.duration_s),
        "quarantined": run.quarantined,
        "gating": run.gating,
        "passes": run.passes,
        "case_key": _text(run.case_key),
    }


def ci_fields(report: ResultReport) -> dict[str, Any]:
    """The CI-kit fields (agent, shard, gates, k-of-n tallies, merge sources); additive."""
    gate = report.gate
    return {
        "agent_id": report.agent_id,
        "shard": report.shard,
        "gate": None
        if gate is None
        else {
            "min_passes": gate.min_passes,
            "fail_on": gate.fail_on,
            "baseline_result_id": gate.baseline_result_id,
            "quarantine": [clean(key) for key in gate.quarantine],
        },
        "scenarios": [
            {
                "key": clean(tally.key),
                "scenario_name": clean(tally.scenario_name),
                "passed": tally.passed,
                "runs": tally.runs,
                "min_passes": tally.min_passes,
                "verdict": tally.verdict.value,
                "quarantined": tally.quarantined,
            }
            for tally in report.scenarios
        ],
        "merged_from": list(report.merged_from),
    }


def _text(value: str | None) -> str | None:
    """Optional text stays ``null`` when absent, so consumers can tell "none" from ""."""
    return None if value is None else clean(value)


def render_json(document: dict[str, Any], *, ensure_ascii: bool = False) -> str:
    """The document as text: indented top level, one line per run, a final newline."""
    head = {key: value for key, value in document.items() if key != "runs"}
    text = json.dumps(head, ensure_ascii=ensure_ascii, indent=2)
    runs = document.get("runs", [])
    if runs:
        lines = ",\n".join(f"    {json.dumps(run, ensure_ascii=ensure_ascii)}" for run in runs)
        runs_text = f"[\n{lines}\n  ]"
    else:
        runs_text = "[]"
    return f'{text[:-2]},\n  "runs": {runs_text}\n}}\n'


def write_json(
    report: ResultReport, destination: str | Path, *, stdout: TextIO | None = None
) -> None:
    """Write the report to ``destination``: ``"-"`` for stdout (the JSON alone), else a file.

    ``stdout`` defaults to :data:`sys.stdout` as it is *at call time*, so test runners
    that swap it (typer's ``CliRunner``, pytest's ``capsys``) capture the document.
    Files are replaced atomically and their parent directories created; a failure
    raises :class:`~cekura_cli.reporting._files.ReportWriteError` (exit code 2).
    """
    document = report_to_dict(report)
    if str(destination) == STDOUT:
        stdout = sys.stdout if stdout is None else stdout
        # Non-UTF-8 stdout (a Windows console, LANG=C): escape to ASCII so printing
        # can never fail on an emoji in a scenario name.
        encoding = (getattr(stdout, "encoding", None) or "utf-8").lower().replace("-", "")
        text = render_json(document, ensure_ascii=encoding != "utf8")
        from cekura_cli.reporting.workflow_commands import inert_json

        stdout.write(inert_json(text))  # stdout may land in a CI log
        stdout.flush()
        return
    with report_file(destination, what="JSON report") as stream:
        stream.write(render_json(document, ensure_ascii=False))


@dataclass
class JsonReporter:
    """The JSON report as a registered :class:`~cekura_cli.reporting.Reporter`."""

    destination: str | Path
    stdout: TextIO | None = field(default=None, repr=False)
    name: str = "json"

    def write(self, report: ResultReport) -> None:
        write_json(report, self.destination, stdout=self.stdout)
