"""The I/O edge of the CI kit flags of ``cekura run`` (PRODUCT.md §11).

``--shard K/N``, ``--baseline FILE --fail-on …``, ``--quarantine FILE``,
``--rerun-failed FILE``, ``--repeat N --min-passes K``: every flag and file is checked
and read here *before* anything starts; the pure logic lives in
:mod:`cekura_cli.orchestration.shard` and :mod:`cekura_cli.orchestration.gating`.
``commands/run.py`` calls :func:`check_flags`, :func:`load_plan`, :func:`narrow` and
hands :class:`ReportContext` to the runner, which finishes every report with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cekura_cli.errors import UsageError

if TYPE_CHECKING:
    from cekura_cli.api.models import Scenario
    from cekura_cli.orchestration.gating import GatePolicy
    from cekura_cli.orchestration.selection import Selection
    from cekura_cli.orchestration.shard import Shard
    from cekura_cli.reporting.model import ResultReport
    from cekura_cli.ui import Ui

MAX_QUARANTINE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CiFlags:
    """The raw CI kit flags of one ``cekura run``."""

    shard: str | None = None
    baseline: Path | None = None
    fail_on: str = "any"
    quarantine: Path | None = None
    rerun_failed: Path | None = None
    repeat: int | None = None
    min_passes: int | None = None


def check_flags(flags: CiFlags, *, frequency: int | None) -> None:
    """Flag combinations that cannot work: one line each (exit 2), before any I/O."""
    from cekura_cli.orchestration.gating import FAIL_ON
    from cekura_cli.orchestration.shard import parse_shard

    if flags.shard is not None:
        parse_shard(flags.shard)
    if flags.fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be 'new-failures' or 'any', got {flags.fail_on!r}")
    if flags.fail_on == "new-failures" and flags.baseline is None:
        raise UsageError("--fail-on new-failures needs --baseline BASE.json")
    if flags.repeat is not None and frequency is not None:
        raise UsageError("pass either --repeat N (k-of-n) or --frequency N, not both")
    if flags.repeat is not None and flags.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {flags.repeat}")
    if flags.min_passes is not None:
        if flags.repeat is None:
            raise UsageError("--min-passes K goes with --repeat N")
        if not 1 <= flags.min_passes <= flags.repeat:
            raise UsageError(
                f"--min-passes {flags.min_passes} must be between 1 and --repeat ({flags.repeat})"
            )


@dataclass(frozen=True)
class CiPlan:
    """What the flags mean, with every file read."""

    shard: Shard | None = None
    policy: GatePolicy | None = None
    rerun: ResultReport | None = None
    rerun_source: str | None = None
    repeat: int | None = None


def load_plan(flags: CiFlags) -> CiPlan:
    """Parse ``--shard`` and read the baseline, quarantine and rerun files (exit 2 on any)."""
    from cekura_cli.orchestration.gating import GatePolicy, parse_quarantine
    from cekura_cli.orchestration.shard import parse_shard
    from cekura_cli.reporting.report_file import read_report

    shard = parse_shard(flags.shard) if flags.shard is not None else None
    baseline = read_report(flags.baseline) if flags.baseline is not None else None
    quarantine = frozenset()
    if flags.quarantine is not None:
        quarantine = parse_quarantine(_read_text(flags.quarantine, "--quarantine"))
    rerun = read_report(flags.rerun_failed) if flags.rerun_failed is not None else None
    min_passes = flags.min_passes
    if flags.repeat is not None and min_passes is None:
        min_passes = flags.repeat  # --repeat alone: every run of a scenario must pass
    policy = GatePolicy(
        min_passes=min_passes, quarantine=quarantine, baseline=baseline, fail_on=flags.fail_on
    )
    return CiPlan(
        shard=shard,
        policy=policy if policy.active else None,
        rerun=rerun,
        rerun_source=str(flags.rerun_failed) if flags.rerun_failed else None,
        repeat=flags.repeat,
    )


def _read_text(path: Path, flag: str) -> str:
    try:
        if path.stat().st_size > MAX_QUARANTINE_BYTES:
            raise UsageError(f"{flag} {path}: larger than 1 MiB")
        return path.read_text(encoding="utf-8")
    except UsageError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot read {flag} {path}: {reason}") from None


def check_agent(plan: CiPlan, flags: CiFlags, agent_id: int | None) -> None:
    """A baseline or rerun report of another agent is refused (exit 2)."""
    if agent_id is None:
        return
    for report, flag, path in (
        (plan.policy.baseline if plan.policy else None, "--baseline", flags.baseline),
        (plan.rerun, "--rerun-failed", flags.rerun_failed),
    ):
        if report is not None and report.agent_id is not None and report.agent_id != agent_id:
            raise UsageError(
                f"{flag} {path} is a report of agent {report.agent_id}, not of agent {agent_id}"
            )


def failing_keys(report: ResultReport) -> set[str]:
    from cekura_cli.orchestration.gating import unit_status

    return {key for key, fails in unit_status(report).items() if fails}


def rerun_selection(plan: CiPlan, selection: Selection) -> Selection:
    """With ``--rerun-failed`` and no tags/ids: select exactly the report's failed ids."""
    if plan.rerun is None or selection.has_filters:
        return selection
    ids = tuple(
        int(key.split(":", 1)[1]) for key in failing_keys(plan.rerun) if key.startswith("scenario:")
    )
    if not ids:
        return selection  # nothing failed: narrow() leaves nothing to run
    return dataclasses.replace(selection, scenario_ids=tuple(sorted(ids)))


def narrow(plan: CiPlan, scenarios: Sequence[Scenario], *, ui: Ui) -> list[Scenario]:
    """Rerun filter, then the shard; warns about quarantined ids not in the selection."""
    from cekura_cli.orchestration.gating import describe_key
    from cekura_cli.orchestration.shard import scenario_key, split

    chosen = list(scenarios)
    if plan.rerun is not None:
        failing = failing_keys(plan.rerun)
        chosen = [s for s in chosen if scenario_key(s.id) in failing]
        ui.info(
            f"cekura: rerunning {len(chosen)} of the {len(failing)} scenarios that failed "
            f"or errored in {plan.rerun_source} (result {plan.rerun.result_id})"
        )
    if plan.policy is not None and plan.policy.quarantine:
        known = {scenario_key(s.id) for s in scenarios}
        unknown = sorted(plan.policy.quarantine - known)
        if unknown:
            from cekura_cli.reporting._text import one_line

            shown = ", ".join(one_line(describe_key(key), 80) for key in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            ui.info(f"cekura: warning: --quarantine lists {shown}{more}, not in the selection")
    if plan.shard is not None:
        before = len(chosen)
        chosen = split(chosen, lambda s: scenario_key(s.id), plan.shard)
        ui.info(f"cekura: shard {plan.shard}: {len(chosen)} of {before} scenarios")
    return chosen


@dataclass(frozen=True)
class ReportContext:
    """What every report of this run carries: agent, shard, and the gates to apply."""

    agent_id: int | None = None
    shard: str | None = None
    policy: GatePolicy | None = None

    def finish(self, report: ResultReport) -> ResultReport:
        from cekura_cli.orchestration.gating import apply_gates

        report = dataclasses.replace(report, agent_id=self.agent_id, shard=self.shard)
        if self.policy is not None:
            report = apply_gates(report, self.policy)
        return report


def why_nothing_to_run(plan: CiPlan) -> str:
    """Why :func:`narrow` left nothing: the shard, the rerun, or both."""
    if plan.rerun is not None and plan.shard is not None:
        return f"shard {plan.shard} holds none of the scenarios to rerun from {plan.rerun_source}"
    if plan.rerun is not None:
        return f"nothing to rerun: no selected scenario failed in {plan.rerun_source}"
    return f"shard {plan.shard} holds none of the selected scenarios"


def nothing_to_run(context: ReportContext, why: str) -> ResultReport:
    """The report of a run that had nothing to start (an empty shard, nothing to rerun).

    ``result_id`` is 0 (no result exists); it passes, so a matrix job with an empty
    shard is green, and ``cekura report merge`` skips it.
    """
    from cekura_cli.reporting.model import Counts, ResultReport, Verdict

    return ResultReport(
        result_id=0,
        result_url="",
        name=None,
        status="skipped",
        verdict=Verdict.PASSED,
        exit_code=0,
        counts=Counts(total=0, passed=0, failed=0, errored=0),
        pass_rate=0.0,
        min_pass_rate=1.0,
        runs=(),
        notes=(why,),
        agent_id=context.agent_id,
        shard=context.shard,
    )


def register_environment_secrets() -> None:
    """``report merge`` / ``compare`` read reports, not settings: still mask the secrets.

    A report written elsewhere may hold a secret its writer did not know (an agent that
    echoed a key); when the key is in this job's environment it is masked on the way out.
    """
    import os

    from cekura_cli.redact import register_secret

    for name in ("CEKURA_API_KEY", "CEKURA_WEBSOCKET_SECRET"):
        register_secret(os.environ.get(name) or None)
