"""The HTML report (``--html PATH``): one self-contained page a person reads to see why
each run failed.

Layout: the result's name, verdict and counts; filters (outcome, tag, free-text search);
then one collapsible block per run, failures first (errors, then failures, then passes),
each with its outcome, name, reason, dashboard link and transcript, tool calls and
their results shown as such. The style and the small script are inline; nothing is
fetched (see :mod:`._html_assets` for the Content-Security-Policy).

Every piece of report text goes through :func:`~._text.clean` (secrets masked, control
characters removed) and is HTML-escaped; only ``http(s)://`` URLs become links.

Size: the file stays under :data:`MAX_BYTES` (10 MB) whatever the result. Transcripts
are most of a big report, so when they would not fit, failing runs keep theirs first
and passing runs share what is left (head and tail kept, the middle cut); a transcript
cut or left out says so and points at the dashboard, which has it whole.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cekura_cli.reporting import _html_assets as assets
from cekura_cli.reporting._files import report_file
from cekura_cli.reporting._text import (
    clean,
    format_elapsed,
    percent,
    reason_text,
    shorten_middle,
    threshold_percent,
    verdict_line,
)
from cekura_cli.reporting.model import Outcome, ResultReport, RunReport
from cekura_cli.reporting.transcript_view import TurnKind, parse_transcript

__all__ = ["MAX_BYTES", "HtmlReporter", "render_html", "write_html"]

MAX_BYTES = 9_500_000
"""The page's size ceiling in UTF-8 bytes: under 10 MB with room to spare."""
REASON_LIMIT = 20_000
"""Characters of a reason kept (head and tail); the dashboard has the rest."""
TRANSCRIPT_LIMIT = 200_000
"""Characters of one transcript kept before any budgeting (head and tail)."""
SUMMARY_REASON_LIMIT = 240
OPEN_FAILURES_UP_TO = 20
"""Failing runs start expanded when there are at most this many."""
_MIN_TRANSCRIPT_BYTES = 300
_OUTCOME_LABEL = {Outcome.ERROR: "ERROR", Outcome.FAILED: "FAIL", Outcome.PASSED: "PASS"}
_FAILING = frozenset({Outcome.ERROR, Outcome.FAILED})
"""Outcomes whose runs come first, start open and keep their transcripts first. An
outcome added later (``skipped``) is shown and filtered like the others."""
_KIND_LABEL = {TurnKind.TOOL_CALL: "tool call", TurnKind.TOOL_RESULT: "tool result"}


def render_html(report: ResultReport) -> str:
    """The whole page as one string (pure: no clock, no I/O)."""
    runs = report.failures_first()
    tags = _cleaned_tags(runs)
    heads = [
        _run_head(run, open_=_opens(report, run), tags=run_tags, index=index)
        for index, (run, run_tags) in enumerate(zip(runs, tags, strict=True))
    ]
    page_without_transcripts = _page(report, runs, tags, [head + _RUN_END for head in heads])
    budget = MAX_BYTES - len(page_without_transcripts.encode("utf-8"))
    transcripts = _budgeted_transcripts(runs, budget)
    blocks = [head + tx + _RUN_END for head, tx in zip(heads, transcripts, strict=True)]
    return _page(report, runs, tags, blocks)


def write_html(report: ResultReport, path: str | Path) -> None:
    """Write the page to ``path``, atomically, creating parent directories."""
    page = render_html(report)
    with report_file(path, what="HTML report") as stream:
        stream.write(page)


@dataclass
class HtmlReporter:
    """The HTML report as a registered :class:`~cekura_cli.reporting.Reporter`."""

    path: str | Path
    name: str = "html"

    def write(self, report: ResultReport) -> None:
        write_html(report, self.path)


# --- the page ---------------------------------------------------------------------------


def _page(
    report: ResultReport,
    runs: Sequence[RunReport],
    tags: Sequence[tuple[str, ...]],
    blocks: Sequence[str],
) -> str:
    title = f"cekura {report.verdict.value}: {clean(report.name) or f'result {report.result_id}'}"
    parts = [assets.head(title, script=bool(runs)), _header(report)]
    if runs:
        parts.append(_controls(runs, tags))
        parts.append('<p id="none" class="muted" hidden>No run matches the filters.</p>\n')
        parts.append('<div id="runs">\n')
        parts.extend(blocks)
        parts.append("</div>\n")
    else:
        parts.append('<p class="muted">This result has no runs.</p>\n')
    parts.append(assets.tail(script=bool(runs)))
    return "".join(parts)


def _header(report: ResultReport) -> str:
    counts = report.counts
    name = clean(report.name) or f"result {report.result_id}"
    verdict = "o-passed" if report.verdict.value == "passed" else "o-failed"
    stats = [
        ("runs", counts.total),
        ("passed", counts.passed),
        ("failed", counts.failed),
        ("errored", counts.errored),
        (
            "pass rate",
            f"{percent(report.pass_rate)} (needs {threshold_percent(report.min_pass_rate)})",
        ),
        ("waited", format_elapsed(report.elapsed_s)),
    ]
    notes = list(report.notes)
    if report.timed_out:
        notes.insert(0, "timed out before the result finished")
    if report.interrupted:
        notes.insert(0, "interrupted before the result finished")
    out = [
        '<header>\n<div class="head">',
        f"<h1>{assets.text(name)}</h1>",
        f'<span class="badge {verdict}">{assets.text(report.verdict.value.upper())}</span>',
        "</div>\n",
        f'<p class="muted">{assets.text(verdict_line(report))} · result {report.result_id} '
        f"({assets.text(clean(report.status))}) · "
        f"{assets.safe_link(clean(report.result_url), 'open in the dashboard')}</p>\n",
        '<div class="stats">',
        *(f'<div class="stat"><b>{assets.text(v)}</b>{assets.text(k)}</div>' for k, v in stats),
        "</div>\n",
    ]
    if notes:
        out.append('<ul class="notes">')
        out.extend(f"<li>{assets.text(clean(note))}</li>" for note in notes)
        out.append("</ul>\n")
    out.append("</header>\n")
    return "".join(out)


def _controls(runs: Sequence[RunReport], run_tags: Sequence[tuple[str, ...]]) -> str:
    by_outcome: dict[Outcome, int] = {}  # in page order: failures first
    for run in runs:
        by_outcome[run.outcome] = by_outcome.get(run.outcome, 0) + 1
    boxes = "".join(
        f'<label><input type="checkbox" name="outcome" value="{outcome.value}" checked> '
        f'<span class="badge o-{outcome.value}">{_label(outcome)}</span> {count}</label>'
        for outcome, count in by_outcome.items()
    )
    tags = sorted({tag for tags in set(run_tags) for tag in tags})
    tag_select = ""
    if tags:
        options = "".join(
            f'<option value="{assets.attr(t)}">{assets.text(t)}</option>' for t in tags
        )
        tag_select = (
            f'<label>tag <select id="tag"><option value="">any</option>{options}</select></label>'
        )
    return (
        '<nav class="controls" aria-label="filters">'
        f"{boxes}{tag_select}"
        '<input id="search" type="search" placeholder="Search names, reasons, transcripts" '
        'aria-label="search">'
        '<button id="expand" type="button">expand</button>'
        '<button id="collapse" type="button">collapse</button>'
        f'<span id="shown" class="muted">{len(runs)} runs</span>'
        "</nav>\n"
    )


def _label(outcome: Outcome) -> str:
    return _OUTCOME_LABEL.get(outcome) or outcome.value.upper()


def _opens(report: ResultReport, run: RunReport) -> bool:
    failing = report.counts.failed + report.counts.errored
    return run.outcome in _FAILING and failing <= OPEN_FAILURES_UP_TO


_RUN_END = "</div></details>\n"


def _run_head(run: RunReport, *, open_: bool, tags: Sequence[str], index: int) -> str:
    """The run's block up to its transcript; :data:`_RUN_END` closes it.

    ``tags`` are the run's tags, already cleaned. Each text field is cleaned once and
    escaped once: this runs for every run of a 5,000-run report. The block's id is
    ``run-<run id>`` (``entry-<index>`` for an entry without a run id).
    """
    anchor = f"run-{run.run_id}" if run.run_id is not None else f"entry-{index}"
    outcome = run.outcome.value
    status = _escape(clean(run.status))
    reason = reason_text(run)
    summary_reason = _summary(reason)
    parts = [
        f'<details class="run r-{outcome}" id="{anchor}" data-outcome="{outcome}" '
        f'data-tags="{assets.attr(chr(10).join(tags))}"{" open" if open_ else ""}>'
        f'<summary><span class="badge o-{outcome}">{_label(run.outcome)}</span>'
        f'<span class="name">{_escape(clean(run.case_name))}</span>'
        f'<span class="muted hide-narrow">{status}</span>'
    ]
    if summary_reason:
        parts.append(f'<span class="why">{_escape(summary_reason)}</span>')
    parts.append('</summary>\n<div class="body">')
    if reason:
        parts.append(f'<div class="reason">{_escape(shorten_middle(reason, REASON_LIMIT))}</div>')
    parts.append('<div class="meta">')
    if run.run_id is not None:
        parts.append(f"<span>run {run.run_id}</span>")
    if run.scenario_id is not None:
        parts.append(f"<span>scenario {run.scenario_id}</span>")
    parts.append(f"<span>status {status}</span>")
    if run.duration_s is not None:
        parts.append(f"<span>{run.duration_s:.1f}s</span>")
    if run.url:
        parts.append(f"<span>{assets.safe_link(clean(run.url), 'dashboard')}</span>")
    parts.append("</div>")
    if tags:
        parts.append("<div>")
        parts.extend(f'<span class="tag">{_escape(tag)}</span>' for tag in tags)
        parts.append("</div>")
    return "".join(parts)


def _summary(reason: str) -> str:
    """The reason on one line, cut to :data:`SUMMARY_REASON_LIMIT` characters."""
    line = " ".join(reason[: SUMMARY_REASON_LIMIT * 4].split())
    if len(line) > SUMMARY_REASON_LIMIT:
        line = line[: SUMMARY_REASON_LIMIT - 1].rstrip() + "…"
    return line


def _cleaned_tags(runs: Sequence[RunReport]) -> list[tuple[str, ...]]:
    """Each run's tags, cleaned; the few distinct tag tuples are cleaned once each."""
    memo: dict[tuple[str, ...], tuple[str, ...]] = {}
    out = []
    for run in runs:
        tags = run.tags
        if tags not in memo:
            memo[tags] = tuple(dict.fromkeys(t for t in map(clean, tags) if t))
        out.append(memo[tags])
    return out


# --- transcripts ------------------------------------------------------------------------


def _budgeted_transcripts(runs: Sequence[RunReport], budget: int) -> list[str]:
    """Each run's transcript HTML, within ``budget`` bytes in all (failing runs first).

    Sizes are estimated before rendering (one render per transcript); if the estimate
    was short the page is rendered again with a smaller budget, at most twice more.
    """
    texts = [shorten_middle(clean(run.transcript), TRANSCRIPT_LIMIT) for run in runs]
    estimates = [_estimate(text) for text in texts]
    failing = [run.outcome in _FAILING for run in runs]
    for _ in range(3):
        allowances = transcript_allowances(failing, estimates, budget)
        out = [
            _fit(text, estimate, allowance)
            for text, estimate, allowance in zip(texts, estimates, allowances, strict=True)
        ]
        size = sum(len(piece.encode("utf-8")) for piece in out)
        if size <= budget:
            return out
        budget = int(budget * budget / size * 0.95)
    return [_OMITTED if failing[i] is False else piece for i, piece in enumerate(out)]


def transcript_allowances(
    failing: Sequence[bool], estimates: Sequence[int], budget: int
) -> list[int]:
    """Bytes each transcript may take: all it needs when everything fits; else failing
    runs share the budget first and passing runs share what they leave. Pure."""
    allowances = list(estimates)
    remaining = budget
    for want_failing in (True, False):
        group = [i for i, is_failing in enumerate(failing) if is_failing is want_failing]
        need = sum(estimates[i] for i in group)
        if need <= remaining:
            remaining -= need
            continue
        # Water-filling: small transcripts keep all they need, the rest split evenly.
        order = sorted(group, key=lambda i: estimates[i])
        for position, i in enumerate(order):
            share = max(remaining, 0) // (len(order) - position)
            allowances[i] = min(estimates[i], share)
            remaining -= allowances[i]
    return allowances


_OMITTED = (
    '<p class="omitted">Transcript left out to keep this file under 10 MB; '
    "the dashboard link has it.</p>"
)
_TURN_MARKUP_BYTES = 36  # <p class="k-…"><b>…</b>…</p> less the "Role: " it replaces, generously


def _estimate(transcript: str) -> int:
    """The HTML bytes of a transcript, estimated without rendering it (a slight over-count)."""
    escapes = transcript.count("<") + transcript.count(">") + transcript.count("&")
    lines = transcript.count("\n") + 1
    return len(transcript.encode("utf-8")) + 4 * escapes + _TURN_MARKUP_BYTES * lines + 32


def _fit(transcript: str, estimate: int, allowance: int) -> str:
    """The transcript, cut (head and tail kept) to about ``allowance`` bytes, or left out."""
    if estimate <= allowance:
        return _transcript_html(transcript, cut=False)
    if allowance < _MIN_TRANSCRIPT_BYTES:
        return _OMITTED
    keep = max(int(len(transcript) * (allowance - 160) / estimate), 40)
    return _transcript_html(shorten_middle(transcript, keep), cut=True)


def _transcript_html(transcript: str, *, cut: bool) -> str:
    turns = parse_transcript(transcript)
    if not turns:
        return '<p class="omitted">No transcript.</p>'
    out = ['<div class="tx">']
    for kind, role, text, stamp, tool in turns:
        opening = _turn_opening(kind, role, tool)
        stamp = f"<i>{stamp}</i>" if stamp else ""  # digits and colons only
        out.append(f"{opening}{stamp}</b>{_escape(text)}</p>")
    out.append("</div>")
    if cut:
        out.append(
            '<p class="omitted">Transcript shortened to keep this file under 10 MB; '
            "the dashboard link has it whole.</p>"
        )
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _turn_opening(kind: TurnKind, role: str, tool: str | None) -> str:
    """``<p class="k-…"><b>label`` for a turn; the few distinct ones are built once."""
    label = _KIND_LABEL.get(kind, role or "message")
    if tool:
        label = f"{label}: {tool}"
    return f'<p class="k-{kind.value}"><b>{_escape(label)}'


def _escape(value: str) -> str:
    """:func:`html.escape` without quotes, for element text (the hot path of big reports)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
