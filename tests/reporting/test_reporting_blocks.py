"""The terminal summary below 120 columns: pytest-style blocks, links whole, verdict last."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cekura_cli.reporting.blocks import NARROW_BELOW
from cekura_cli.reporting.console import render_summary, split_cut_short
from cekura_cli.reporting.model import Outcome

LONG_URL = "https://dashboard.cekura.ai/7/results/123?runId=" + "9" * 70
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _render(report, *, width: int, **console_options) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, **console_options)
    render_summary(report, console)
    return out.getvalue()


@pytest.fixture
def mixed(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.PASSED, case_name=f"pass {i}") for i in range(1, 28)]
    runs.append(
        make_run_report(
            40,
            Outcome.FAILED,
            case_name="Books an appointment for tomorrow",
            reason="turn 1: reply contains 'booked': expected the reply to turn 1 to contain "
            "'booked'; the agent said: '" + "I can help with that. " * 20 + "'",
            url=LONG_URL,
        )
    )
    runs.append(
        make_run_report(
            41, Outcome.ERROR, case_name="Stays on topic", status="timeout", reason="timed out"
        )
    )
    return make_result_report(runs)


def test_narrow_terminal_gets_blocks_not_a_table(mixed):
    text = _render(mixed, width=80)
    lines = text.splitlines()
    assert not any(line.startswith("outcome") for line in lines)  # no table header
    assert "FAIL   Books an appointment for tomorrow" in lines
    assert "ERROR  Stays on topic (timeout)" in lines
    assert "PASS   27 runs passed" in lines
    assert not any("pass 3" in line for line in lines)  # passes are summed, not listed
    assert len(lines) < 15  # a 29-run result fits on one screen


def test_the_link_is_alone_on_its_line_and_never_broken(mixed):
    lines = _render(mixed, width=80).splitlines()
    assert "  " + LONG_URL in lines  # longer than the terminal, still one line


def test_reason_wraps_to_the_full_width_and_keeps_the_explanation(mixed):
    lines = _render(mixed, width=80).splitlines()
    start = lines.index("FAIL   Books an appointment for tomorrow") + 1
    reason_lines = lines[start : lines.index("  " + LONG_URL)]
    assert len(reason_lines) >= 2
    assert all(len(line) <= 80 and line.startswith("  ") for line in reason_lines)
    assert all(line == line.rstrip() for line in reason_lines)
    assert max(len(line) for line in reason_lines) > 60  # the width is used, not 18 columns
    reason = " ".join(line.strip() for line in reason_lines)
    assert "expected the reply to turn 1 to contain 'booked'; the agent said: 'I can" in reason
    assert reason.endswith("…'")  # the quoted reply was cut, not the explanation


def test_verdict_comes_last(make_run_report, make_result_report):
    report = make_result_report(
        [make_run_report(1, Outcome.FAILED, reason="nope")],
        notes=("1 run had not finished",),
        timed_out=True,
    )
    for width in (80, 200):
        lines = _render(report, width=width).splitlines()
        assert lines[-1].startswith("FAILED: 0/1 passed")
        assert any(line.startswith("note: ") for line in lines[:-1])
        assert any(line.startswith("Timed out") for line in lines[:-1])


@pytest.mark.parametrize(("width", "narrow"), [(NARROW_BELOW - 1, True), (NARROW_BELOW, False)])
def test_the_table_starts_at_120_columns(mixed, width, narrow):
    first = _render(mixed, width=width).splitlines()[0]
    assert first.startswith("outcome") is not narrow


def test_hostile_agent_text_prints_as_text(make_run_report, make_result_report):
    hostile = (
        "the agent said: '\x1b[2J\x1b]0;pwned\x07[bold red]shout[/bold red] "
        + "x" * 150
        + " https://evil.example/"
        + "a" * 120
        + "'"
    )
    report = make_result_report(
        [make_run_report(1, Outcome.FAILED, case_name="[link=x]name[/link]", reason=hostile)]
    )
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system="truecolor")
    render_summary(report, console)
    raw = out.getvalue()
    visible = ANSI.sub("", raw)
    assert "\x1b[2J" not in raw and "\x1b]0;" not in raw and "\x07" not in raw
    assert "[bold red]shout[/bold red]" in visible  # markup shown literally
    assert "[link=x]name[/link]" in visible
    assert all(len(line) <= 80 for line in visible.splitlines()[1:-1])  # long words folded


def test_zero_runs_says_so(make_result_report):
    assert "No runs in this result." in _render(make_result_report([]), width=80)


def test_interrupted_job_counts_runs_cut_short_and_lists_only_finished(
    make_run_report, make_result_report
):
    finished = [make_run_report(i, Outcome.PASSED) for i in range(3)]
    finished.append(make_run_report(3, Outcome.FAILED, reason="wrong answer"))
    cancelled = [
        make_run_report(10 + i, Outcome.ERROR, status="cancelled", case_name=f"pending {i}")
        for i in range(9000)
    ]
    running = [make_run_report(20000, Outcome.ERROR, status="running", case_name="mid-call")]
    report = make_result_report(finished + cancelled + running, interrupted=True, elapsed_s=12)
    for width in (80, 200):
        text = _render(report, width=width)
        assert "Interrupted after 12s before the result finished: 9,001 runs cut short" in text
        assert "cancelled" not in text and "pending" not in text and "mid-call" not in text
        assert "wrong answer" in text
        assert len(text.splitlines()) < 12


def test_a_finished_report_lists_cancelled_runs(make_run_report, make_result_report):
    report = make_result_report([make_run_report(1, Outcome.ERROR, status="cancelled")])
    runs, cut_short = split_cut_short(report)
    assert cut_short == 0 and [run.run_id for run in runs] == [1]
    assert "cut short" not in _render(report, width=80)


def test_a_secret_echoed_by_the_agent_is_masked_in_blocks(make_run_report, make_result_report):
    from cekura_cli.redact import register_secret

    secret = "sk_test_blocks_0123456789abcdef"
    register_secret(secret)
    report = make_result_report(
        [
            make_run_report(
                1,
                Outcome.FAILED,
                case_name=f"leaks {secret}",
                reason=f"the agent said: 'my key is {secret}'",
                url=f"https://dashboard.cekura.ai/7/results/123?k={secret}",
            )
        ]
    )
    text = _render(report, width=80)
    assert secret not in text
    assert "cdef" in text  # masked as **** plus at most the last 4 characters
