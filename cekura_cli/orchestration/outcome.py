"""How one run ended: the pass rule and the passed / failed / error split (PRODUCT.md §3).

- A run passes only when its status is ``completed`` AND ``success`` is true.
- ERROR (infrastructure, not the agent's fault as far as we can tell): the run is in
  ``timeout`` or ``cancelled``; or it carries an ``error_message`` and did not pass;
  or it was not terminal yet when we stopped waiting (including an unknown status).
- FAILED: every other run that did not pass (``failed`` without an error message,
  ``completed`` with ``success`` false or missing).
"""

from __future__ import annotations

from cekura_cli.api.models import INFRASTRUCTURE_TERMINAL, Run, Status
from cekura_cli.reporting.model import Outcome


def run_passed(run: Run) -> bool:
    """The one pass rule: ``completed`` and ``success is True`` (None is not a pass)."""
    return run.status is Status.COMPLETED and run.success is True


def has_error_message(run: Run) -> bool:
    return bool(run.error_message and run.error_message.strip())


def run_outcome(run: Run) -> Outcome:
    """PASSED, FAILED (a check failed) or ERROR (infrastructure / unfinished)."""
    if run_passed(run):
        return Outcome.PASSED
    if (
        run.status in INFRASTRUCTURE_TERMINAL
        or not run.status.is_terminal
        or has_error_message(run)
    ):
        return Outcome.ERROR
    return Outcome.FAILED
