"""Reading JSON reports back (``docs/json-report.md``): merge, compare, baselines, reruns.

:class:`ReportFile` is a pydantic model of the documented document, lenient to fields
it does not know (the format only ever grows), strict about the ones it needs.
:func:`read_report` turns a file into a :class:`~cekura_cli.reporting.model.ResultReport`
so every reporter can render it again; any problem is one :class:`UsageError` line
naming the file (exit 2), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cekura_cli.errors import UsageError
from cekura_cli.reporting.model import (
    Counts,
    Gate,
    Outcome,
    ResultReport,
    RunReport,
    ScenarioTally,
    Verdict,
)

MAX_REPORT_BYTES = 512 * 1024 * 1024


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RunEntry(_Lenient):
    run_id: int
    scenario_id: int | None = None
    scenario_name: str = ""
    case_name: str = ""
    case_key: str | None = None
    status: str = "unknown"
    success: bool | None = None
    outcome: Literal["passed", "failed", "error"]
    reason: str | None = None
    transcript: str | None = None
    url: str | None = None
    duration_s: float | None = None
    quarantined: bool = False
    gating: bool = True
    passes: str | None = None


class CountsEntry(_Lenient):
    total: int = Field(ge=0)
    passed: int = Field(ge=0)
    failed: int = Field(ge=0)
    errored: int = Field(ge=0)


class GateEntry(_Lenient):
    min_passes: int | None = None
    fail_on: str = "any"
    baseline_result_id: int | None = None
    quarantine: list[str] = []


class ScenarioEntry(_Lenient):
    key: str
    scenario_name: str = ""
    passed: int = Field(ge=0)
    runs: int = Field(ge=0)
    min_passes: int = Field(ge=0)
    verdict: Literal["passed", "failed"]
    quarantined: bool = False


class ReportFile(_Lenient):
    """One JSON report as documented in ``docs/json-report.md`` (schema_version 1)."""

    schema_version: Literal[1]
    result_id: int
    result_url: str = ""
    name: str | None = None
    status: str = "unknown"
    verdict: Literal["passed", "failed"]
    exit_code: int
    counts: CountsEntry
    pass_rate: float = Field(ge=0, le=1)
    min_pass_rate: float = Field(default=1.0, ge=0, le=1)
    timed_out: bool = False
    interrupted: bool = False
    elapsed_s: float | None = None
    notes: list[str] = []
    runs: list[RunEntry]
    agent_id: int | None = None
    shard: str | None = None
    gate: GateEntry | None = None
    scenarios: list[ScenarioEntry] = []
    merged_from: list[int] = []

    def to_report(self) -> ResultReport:
        runs = []
        for entry in self.runs:
            run = RunReport(
                run_id=entry.run_id,
                scenario_id=entry.scenario_id,
                scenario_name=entry.scenario_name or f"scenario {entry.scenario_id}",
                case_name=entry.case_name or entry.scenario_name or f"run {entry.run_id}",
                status=entry.status,
                success=entry.success,
                outcome=Outcome(entry.outcome),
                reason=entry.reason,
                transcript=entry.transcript,
                url=entry.url,
                duration_s=entry.duration_s,
                quarantined=entry.quarantined,
                gating=entry.gating,
                passes=entry.passes,
            )
            if entry.case_key is not None and "case_key" in RunReport.__dataclass_fields__:
                run = _with_case_key(run, entry.case_key)
            runs.append(run)
        gate = None
        if self.gate is not None:
            gate = Gate(
                min_passes=self.gate.min_passes,
                fail_on=self.gate.fail_on,
                baseline_result_id=self.gate.baseline_result_id,
                quarantine=tuple(self.gate.quarantine),
            )
        return ResultReport(
            result_id=self.result_id,
            result_url=self.result_url,
            name=self.name,
            status=self.status,
            verdict=Verdict(self.verdict),
            exit_code=self.exit_code,
            counts=Counts(**self.counts.model_dump()),
            pass_rate=self.pass_rate,
            min_pass_rate=self.min_pass_rate,
            runs=tuple(runs),
            elapsed_s=self.elapsed_s,
            timed_out=self.timed_out,
            interrupted=self.interrupted,
            notes=tuple(self.notes),
            agent_id=self.agent_id,
            shard=self.shard,
            gate=gate,
            scenarios=tuple(
                ScenarioTally(
                    key=s.key,
                    scenario_name=s.scenario_name,
                    passed=s.passed,
                    runs=s.runs,
                    min_passes=s.min_passes,
                    verdict=Verdict(s.verdict),
                    quarantined=s.quarantined,
                )
                for s in self.scenarios
            ),
            merged_from=tuple(self.merged_from),
        )


def _with_case_key(run: RunReport, key: str) -> RunReport:
    import dataclasses

    return dataclasses.replace(run, case_key=key)  # type: ignore[call-arg]


def parse_report(data: Any, *, source: str) -> ResultReport:
    """A decoded JSON document -> report; one-line :class:`UsageError` when it is not one."""
    if isinstance(data, dict) and "error" in data and "runs" not in data:
        error = data.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else None
        raise UsageError(
            f"{source}: an error report (exit {data.get('exit_code')}): {message or 'no result'}"
        )
    try:
        return ReportFile.model_validate(data).to_report()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise UsageError(
            f"{source}: not a cekura JSON report ({where}: {first['msg']})",
            hint="pass a file written by 'cekura run --json PATH' (docs/json-report.md)",
        ) from None


def read_report(path: str | Path) -> ResultReport:
    """Read and validate one JSON report file."""
    source = str(path)
    try:
        file = Path(path)
        if file.stat().st_size > MAX_REPORT_BYTES:
            raise UsageError(f"{source}: larger than {MAX_REPORT_BYTES >> 20} MiB")
        text = file.read_text(encoding="utf-8")
    except UsageError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read report {source}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return parse_report(data, source=source)
