"""GitHub Actions: step summary, ``::error`` annotations and step outputs.

Only acts when ``GITHUB_ACTIONS=true``. Three channels, each optional:

- ``$GITHUB_STEP_SUMMARY``: a Markdown summary (verdict, counts, link, failures
  first, passes folded in ``<details>``, then failing transcripts), kept under the
  1 MiB GitHub accepts per step *counting what the file already holds* (over the
  limit, GitHub drops the whole summary): whatever does not fit is cut with a note;
- ``stream`` (the caller passes stderr; stdout is reserved for ``--json -``):
  ``::error`` workflow commands for at most :data:`MAX_ANNOTATIONS` failing runs and
  one ``::notice`` with the count of the rest;
- ``$GITHUB_OUTPUT``: ``result_id``, ``result_url``, ``verdict``, ``passed``,
  ``total``, ``pass_rate`` as ``key=value`` lines (heredoc form for multi-line values);
  ``result_id`` and ``result_url`` already when the result was started
  (:func:`write_result_started`).

A missing variable skips its channel; an unwritable file becomes a ``::warning``,
never a crash: CI annotations must not turn a test verdict into a tool failure.
"""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from cekura_cli.reporting._text import (
    clean,
    format_elapsed,
    one_line,
    reason_text,
    round_rate,
    shorten_middle,
    verdict_line,
)
from cekura_cli.reporting.model import Outcome, ResultReport, RunReport, Verdict
from cekura_cli.reporting.workflow_commands import in_github_actions, neutralise, outside_fence

MAX_ANNOTATIONS = 10
SUMMARY_LIMIT_BYTES = 1024 * 1024
"""GitHub's limit for one step's summary; we keep our appended text strictly below it."""
_SUMMARY_RESERVE_BYTES = 4096  # room for the truncation note and closing tags
REASON_CELL_LIMIT = 300
TRANSCRIPT_LIMIT = 20_000
"""Characters of one failing run's transcript shown in the summary (head and tail)."""
ANNOTATION_LIMIT = 2000

_OUTCOME_LABEL = {
    Outcome.ERROR: "⚠️ error",
    Outcome.FAILED: "❌ failed",
    Outcome.PASSED: "✅ passed",
    Outcome.SKIPPED: "⏭️ skipped",
}
_FAILING = frozenset({Outcome.FAILED, Outcome.ERROR})


# --- workflow commands -------------------------------------------------------------


def escape_data(value: str) -> str:
    """Escape a workflow command's message (GitHub's ``escapeData``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command property value (GitHub's ``escapeProperty``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation_lines(report: ResultReport) -> list[str]:
    """``::error`` lines for the first failing runs, then one ``::notice`` for the rest."""
    failing = [run for run in report.failures_first() if run.outcome in _FAILING]
    lines = []
    for run in failing[:MAX_ANNOTATIONS]:
        message = shorten_middle(reason_text(run), ANNOTATION_LIMIT)
        if run.url:
            message = f"{message} ({clean(run.url)})"
        title = one_line(run.case_name, 200) or f"run {run.run_id}"
        title = neutralise(title, line_starts=False)
        message = neutralise(message, line_starts=False)
        lines.append(f"::error title={escape_property(title)}::{escape_data(message)}")
    rest = len(failing) - MAX_ANNOTATIONS
    if rest > 0:
        message = (
            f"{rest} more failing run{'s' if rest != 1 else ''} not annotated "
            f"({len(failing)} in all): {clean(report.result_url)}"
        )
        lines.append(f"::notice::{escape_data(neutralise(message, line_starts=False))}")
    return lines


# --- step outputs ------------------------------------------------------------------


def output_lines(outputs: Mapping[str, str]) -> str:
    """``key=value`` lines; multi-line values in GitHub's ``key<<DELIMITER`` form."""
    parts = []
    for key, value in outputs.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            parts.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            parts.append(f"{key}={value}\n")
    return "".join(parts)


def step_outputs(report: ResultReport) -> dict[str, str]:
    return {
        "result_id": str(report.result_id),
        "result_url": clean(report.result_url),
        "verdict": report.verdict.value,
        "passed": str(report.counts.passed),
        "total": str(report.counts.total),
        "pass_rate": str(round_rate(report.pass_rate)),
    }


# --- step summary ------------------------------------------------------------------


def _cell(text: str | None, limit: int | None = None) -> str:
    """One Markdown table cell: one line, HTML-escaped, ``|`` escaped."""
    text = html.escape(one_line(text, limit), quote=False)
    return text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _url(url: str | None) -> str:
    """A link target that cannot end the Markdown link early."""
    return clean(url).replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _link(url: str | None) -> str:
    return f"[open]({_url(url)})" if url else ""


def _failure_row(run: RunReport) -> str:
    return (
        f"| {_OUTCOME_LABEL[run.outcome]} | {_cell(run.case_name)} | {_cell(run.status)} "
        f"| {_cell(reason_text(run), REASON_CELL_LIMIT)} | {_link(run.url)} |\n"
    )


def _pass_row(run: RunReport) -> str:
    return f"| {_cell(run.case_name)} | {_cell(run.status)} | {_link(run.url)} |\n"


def _transcript_block(run: RunReport) -> str:
    transcript = shorten_middle(clean(run.transcript), TRANSCRIPT_LIMIT)
    return (
        f"<details><summary>{_cell(run.case_name)}: {_cell(reason_text(run), 120)}</summary>\n\n"
        f"<pre>\n{html.escape(transcript, quote=False)}\n</pre>\n\n</details>\n\n"
    )


def _summary_head(report: ResultReport) -> Iterator[str]:
    icon = "✅" if report.verdict is Verdict.PASSED else "❌"
    line = verdict_line(report)
    yield f"## {icon} Cekura — {html.escape(line, quote=False)}\n\n"
    title = _cell(report.name) or f"result {report.result_id}"
    yield f"**[{title}]({_url(report.result_url)})** · status `{_cell(report.status)}`"
    if report.elapsed_s is not None:
        yield f" · {format_elapsed(report.elapsed_s)}"
    yield "\n\n"
    counts = report.counts
    yield (
        f"| total | passed | failed | errored |\n|---:|---:|---:|---:|\n"
        f"| {counts.total} | {counts.passed} | {counts.failed} | {counts.errored} |\n\n"
    )
    stopped = "before the result finished; runs that had not finished count as errors."
    if report.timed_out:
        yield f"> [!WARNING]\n> Timed out {stopped}\n\n"
    if report.interrupted:
        yield f"> [!WARNING]\n> Interrupted {stopped}\n\n"
    for note in report.notes:
        yield f"- {_cell(note)}\n"
    if report.notes:
        yield "\n"


def _sections(report: ResultReport) -> Iterator[tuple[str, Iterable[str], str]]:
    """(opening, items, closing) in order of importance: what comes last is cut first."""
    ordered = report.failures_first()
    failing = [run for run in ordered if run.outcome in _FAILING]
    passing = [run for run in ordered if run.outcome is Outcome.PASSED]
    if failing:
        yield (
            "| outcome | scenario | status | reason | link |\n|---|---|---|---|---|\n",
            (_failure_row(run) for run in failing),
            "\n",
        )
    if passing:
        yield (
            f"<details><summary>{len(passing)} passed run{'s' if len(passing) != 1 else ''}"
            "</summary>\n\n| scenario | status | link |\n|---|---|---|\n",
            (_pass_row(run) for run in passing),
            "\n</details>\n\n",
        )
    with_transcripts = [run for run in failing if run.transcript]
    if with_transcripts:
        yield (
            "### Transcripts of failing runs\n\n",
            (_transcript_block(run) for run in with_transcripts),
            "",
        )


def step_summary(report: ResultReport, *, limit_bytes: int = SUMMARY_LIMIT_BYTES) -> str:
    """The Markdown summary, strictly shorter than ``limit_bytes`` in UTF-8."""
    budget = max(limit_bytes - _SUMMARY_RESERVE_BYTES, 0)
    parts: list[str] = []
    used = 0

    def fits(text: str) -> bool:
        nonlocal used
        size = len(text.encode("utf-8"))
        if used + size > budget:
            return False
        parts.append(text)
        used += size
        return True

    truncated = False
    for text in _summary_head(report):
        if not fits(text):
            truncated = True
            break
    for opening, items, closing in _sections(report):
        if truncated or not fits(opening):
            truncated = True
            break
        for item in items:
            if not fits(item):
                truncated = True
                break
        parts.append(closing)  # closings are tiny; the reserve covers them
        if truncated:
            break
    if truncated:
        parts.append(
            "\n> [!NOTE]\n> This summary was cut to stay under GitHub's 1 MiB limit; the "
            f"full result is at {clean(report.result_url)} and in the JSON report.\n"
        )
    text = "".join(parts)
    while len(text.encode("utf-8")) >= limit_bytes:  # only for absurdly small limits
        text = text[: len(text) // 2]
    return text


# --- the reporter ------------------------------------------------------------------


def write_github(report: ResultReport, *, environ: Mapping[str, str], stream: TextIO) -> None:
    """Write the summary, annotations and outputs, when running inside GitHub Actions.

    Annotations and warnings are cekura's own workflow commands: they go outside the
    stop-commands block when ``stream`` is fenced (:mod:`.workflow_commands`).
    """
    if not in_github_actions(environ):
        return
    stream.flush()
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        budget = SUMMARY_LIMIT_BYTES - _existing_bytes(summary_path)
        if budget > _SUMMARY_RESERVE_BYTES:
            text = step_summary(report, limit_bytes=budget)
            _append(summary_path, text, what="step summary", stream=stream)
        else:
            _warn(stream, "cekura: the step summary is full; not adding to it")
    lines = annotation_lines(report)
    if lines:
        with outside_fence(stream) as commands:
            commands.write("".join(line + "\n" for line in lines))
    output_path = environ.get("GITHUB_OUTPUT")
    if output_path:
        _append(output_path, output_lines(step_outputs(report)), what="step outputs", stream=stream)
    stream.flush()


def write_result_started(
    result_id: int, result_url: str, *, environ: Mapping[str, str], stream: TextIO
) -> None:
    """``result_id`` and ``result_url`` to ``$GITHUB_OUTPUT`` as soon as the result exists,
    so a later step can attach to it (``cekura wait``) whatever this one ends with."""
    output_path = environ.get("GITHUB_OUTPUT") if in_github_actions(environ) else None
    if not output_path:
        return
    outputs = output_lines({"result_id": str(result_id), "result_url": clean(result_url)})
    _append(output_path, outputs, what="step outputs", stream=stream)


def _existing_bytes(path: str) -> int:
    """What the step's summary file already holds: GitHub's 1 MiB counts all of it."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _warn(stream: TextIO, message: str) -> None:
    """A ``::warning`` of cekura's own: printed outside the stop-commands block."""
    with outside_fence(stream) as commands:
        commands.write(f"::warning::{escape_data(neutralise(message, line_starts=False))}\n")


def _append(path: str, text: str, *, what: str, stream: TextIO) -> None:
    try:
        with open(path, "a", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        _warn(stream, f"cekura: cannot write the {what}: {reason}")


@dataclass
class GitHubReporter:
    """The GitHub Actions channels as a registered :class:`~cekura_cli.reporting.Reporter`."""

    environ: Mapping[str, str]
    stream: TextIO | None = field(default=None, repr=False)
    name: str = "github"

    def write(self, report: ResultReport) -> None:
        import sys

        write_github(report, environ=self.environ, stream=self.stream or sys.stderr)
