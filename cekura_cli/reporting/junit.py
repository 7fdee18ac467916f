"""JUnit XML: one ``<testcase>`` per run, for CI systems that chart test results.

Layout (the de-facto schema Jenkins, GitLab, Azure and the GitHub test-report actions
read)::

    <testsuites name="cekura" tests failures errors time>
      <testsuite name="cekura" tests failures errors skipped time>
        <properties> result_id, result_url, verdict, pass_rate, … </properties>
        <testcase classname="cekura.agent_<id>" name="<unique case name>" time>
          <failure message="<reason>" type="check">reason, link</failure>     (FAILED)
          <error message="<reason>" type="<run status>">reason, link</error>  (ERROR)
          <skipped message="quarantined, not gating: …">reason, link</skipped> (--quarantine)
          <system-out>dashboard URL and transcript</system-out>
        </testcase>

Identity (PRODUCT.md §13), so that Jenkins, GitLab and the GitHub test reporters keep a
test's history from one run to the next: ``classname`` names the agent (never the
result's name, which holds the branch and SHA), and testcase names are unique within
the file (two scenarios with one name get their scenario id appended). The document is
valid against the Jenkins JUnit XSD (``skipped`` only on ``<testsuite>``). The
failure/error body starts with the reason and the dashboard link, because GitLab shows
only that body.

The document is written as a stream of escaped strings (no element tree in memory)
into the report file (:mod:`._files`). Text is escaped, never wrapped in CDATA, and the
characters XML 1.0 forbids are removed, so any transcript yields a valid document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cekura_cli.reporting._files import report_file
from cekura_cli.reporting._text import clean, one_line, reason_text, round_rate
from cekura_cli.reporting.model import Outcome, ResultReport, RunReport

SUITE_NAME = "cekura"
MESSAGE_LIMIT = 1000
"""Characters of the reason kept in the ``message`` attribute; the element text has it all."""


def _xml_text(value: str) -> str:
    """Escape text content. ``value`` must come from :func:`clean`, which already
    removed every character outside XML 1.0's ``Char`` production (one scan, not two)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(value: str) -> str:
    # Newlines and tabs as character references: attribute normalisation would turn
    # literal ones into spaces.
    return (
        _xml_text(value)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def classname_for(report: ResultReport) -> str:
    """``cekura.agent_<id>``: the same for every result of one agent; ``cekura`` if unknown."""
    if report.agent_id is None:
        return SUITE_NAME
    return f"{SUITE_NAME}.agent_{report.agent_id}"


def unique_case_names(runs: Sequence[RunReport]) -> list[str]:
    """One name per run, unique within the list, stable for the same scenarios.

    A name used by two different scenarios gets `` [scenario <id>]``; anything still
    repeated (no scenario id, or a name that already looked like that) gets
    `` [run <id>]``, which is unique because run ids are.
    """
    names = [clean(run.test_name) for run in runs]  # a suite case key, else the case name
    scenarios_by_name: dict[str, set[int | None]] = {}
    for name, run in zip(names, runs, strict=True):
        scenarios_by_name.setdefault(name, set()).add(run.scenario_id)
    names = [
        f"{name} [scenario {run.scenario_id}]"
        if len(scenarios_by_name[name]) > 1 and run.scenario_id is not None
        else name
        for name, run in zip(names, runs, strict=True)
    ]
    counts = Counter(names)
    return [
        f"{name} [run {run.run_id}]" if counts[name] > 1 else name
        for name, run in zip(names, runs, strict=True)
    ]


def _seconds(value: float | None) -> str:
    return f"{value or 0.0:.3f}"


def _suite_time(report: ResultReport) -> float:
    if report.elapsed_s is not None:
        return report.elapsed_s
    return sum(run.duration_s or 0.0 for run in report.runs)


def _system_out(run: RunReport) -> str:
    lines = [f"run {run.run_id}: {clean(run.status)}"]
    if run.passes:
        lines.append(f"scenario passes: {clean(run.passes)}")
    if run.url:
        lines.append(f"dashboard: {clean(run.url)}")
    transcript = clean(run.transcript)
    if transcript:
        lines += ["", "transcript:", transcript]
    return "\n".join(lines)


def _testcase(run: RunReport, classname: str, name: str) -> str:
    head = (
        f'    <testcase classname="{classname}" name="{_xml_attr(name)}" '
        f'time="{_seconds(run.duration_s)}">\n'
    )
    body = ""
    if run.outcome is Outcome.SKIPPED:
        message = _xml_attr(one_line(reason_text(run), MESSAGE_LIMIT))
        return f'{head}      <skipped message="{message}"/>\n    </testcase>\n'
    if run.outcome is not Outcome.PASSED:
        reason = reason_text(run)
        message = _xml_attr(one_line(reason, MESSAGE_LIMIT))
        if run.quarantined:  # reported, not gating: CI test views must not go red
            tag, kind = "skipped", "quarantined"
        elif run.outcome is Outcome.FAILED:
            tag, kind = "failure", "check"
        else:
            tag, kind = "error", clean(run.status) or "error"
        kind_attr = "" if tag == "skipped" else f' type="{_xml_attr(kind)}"'  # XSD: no type
        text = f"{reason}\n{clean(run.url)}" if run.url else reason
        body = f'      <{tag} message="{message}"{kind_attr}>{_xml_text(text)}</{tag}>\n'
    system_out = f"      <system-out>{_xml_text(_system_out(run))}</system-out>\n"
    return f"{head}{body}{system_out}    </testcase>\n"


def iter_junit(report: ResultReport) -> Iterator[str]:
    """The document in pieces, in order; joined they are one valid XML document."""
    gated = [run for run in report.runs if not run.quarantined]
    failures = sum(1 for run in gated if run.outcome is Outcome.FAILED)
    errors = sum(1 for run in gated if run.outcome is Outcome.ERROR)
    skipped = sum(
        1
        for run in report.runs
        if run.outcome is Outcome.SKIPPED or (run.quarantined and run.outcome is not Outcome.PASSED)
    )
    tests = f'tests="{len(report.runs)}" failures="{failures}" errors="{errors}"'
    time = f'time="{_seconds(_suite_time(report))}"'
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    # The Jenkins XSD allows `skipped` on <testsuite> only, not on <testsuites>.
    yield f'<testsuites name="{SUITE_NAME}" {tests} {time}>\n'
    yield f'  <testsuite name="{SUITE_NAME}" {tests} skipped="{skipped}" {time}>\n'
    yield "    <properties>\n"
    properties = {
        "result_id": str(report.result_id),
        "result_url": clean(report.result_url),
        "result_name": clean(report.name),
        "status": clean(report.status),
        "verdict": report.verdict.value,
        "pass_rate": str(round_rate(report.pass_rate)),
        "min_pass_rate": str(round(report.min_pass_rate, 4)),
        "timed_out": str(report.timed_out).lower(),
        "interrupted": str(report.interrupted).lower(),
    }
    for key, value in properties.items():
        yield f'      <property name="{key}" value="{_xml_attr(value)}"/>\n'
    yield "    </properties>\n"
    classname = _xml_attr(classname_for(report))
    for run, name in zip(report.runs, unique_case_names(report.runs), strict=True):
        yield _testcase(run, classname, name)
    yield "  </testsuite>\n"
    yield "</testsuites>\n"


def write_junit(report: ResultReport, path: str | Path) -> None:
    """Write the JUnit XML file, atomically, creating parent directories."""
    with report_file(path, what="JUnit XML report") as stream:
        stream.writelines(iter_junit(report))


@dataclass
class JUnitReporter:
    """JUnit XML as a registered :class:`~cekura_cli.reporting.Reporter`."""

    path: str | Path
    name: str = "junit"

    def write(self, report: ResultReport) -> None:
        write_junit(report, self.path)
