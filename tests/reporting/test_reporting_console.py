"""The terminal summary: failures first, verdict line, big results folded, no markup."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from cekura_cli.reporting.console import FULL_TABLE_MAX_RUNS, render_summary
from cekura_cli.reporting.model import Outcome, Verdict


def _render(report, *, width: int = 160, **console_options) -> str:
    console = Console(
        file=io.StringIO(), width=width, no_color=True, record=True, **console_options
    )
    render_summary(report, console)
    return console.export_text()


def _cells_of(line: str) -> list[str]:
    """One item per terminal cell: a wide character fills two."""
    cells: list[str] = []
    for char in line:
        cells += [char] if cell_len(char) == 1 else [char, ""]
    return cells


def _row_order(text: str, names: list[str]) -> list[str]:
    return sorted(names, key=text.index)


def test_failures_come_first(representative_report):
    text = _render(representative_report)
    assert _row_order(text, ["Book a table #1", "Book a table #2", "Réservation"]) == [
        "Réservation",  # error
        "Book a table #2",  # check failure
        "Book a table #1",  # pass
    ]
    for column in ("outcome", "scenario", "status", "reason", "link"):
        assert column in text.splitlines()[0]


def test_verdict_line_and_notes(representative_report):
    text = _render(representative_report)
    assert (
        "FAILED: 2/5 passed (40.0%, needs 100%) — https://dashboard.cekura.ai/7/results/123" in text
    )
    assert "note: 1 run had not finished when we stopped waiting" in text


def test_passed_verdict_with_a_threshold(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.PASSED) for i in range(9)]
    runs.append(make_run_report(10, Outcome.FAILED, reason="nope"))
    report = make_result_report(runs, verdict=Verdict.PASSED, min_pass_rate=0.875)
    assert "PASSED: 9/10 passed (90.0%, needs 87.5%)" in _render(report)


def test_timed_out_and_interrupted_lines(make_run_report, make_result_report):
    report = make_result_report(
        [make_run_report(1, Outcome.ERROR, status="running")],
        timed_out=True,
        interrupted=True,
        elapsed_s=3600,
    )
    text = _render(report)
    assert "Timed out after 1h00m00s before the result finished" in text
    assert "Interrupted after 1h00m00s before the result finished" in text


def test_an_empty_result_says_so(make_result_report):
    text = _render(make_result_report([]))
    assert "No runs in this result." in text
    assert "FAILED: 0/0 passed (0.0%, needs 100%)" in text


def test_service_text_is_neither_markup_nor_escape_sequences(representative_report):
    console = Console(file=io.StringIO(), width=160, force_terminal=True, color_system=None)
    render_summary(representative_report, console)
    raw = console.file.getvalue()
    assert "[bold]not markup[/bold]" in raw
    assert "\x1b" not in raw and "\x07" not in raw


def test_no_colour_console_gets_no_ansi(representative_report):
    console = Console(file=io.StringIO(), width=120, no_color=True)
    render_summary(representative_report, console)
    assert "\x1b[" not in console.file.getvalue()


def test_long_reasons_are_cut(make_run_report, make_result_report):
    run = make_run_report(1, Outcome.FAILED, reason="word " * 500)
    text = _render(make_result_report([run]), width=200)
    assert "…" in text
    assert text.count("word") < 100


def test_big_results_list_every_failure_and_fold_the_passes(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.PASSED) for i in range(FULL_TABLE_MAX_RUNS)]
    runs += [make_run_report(5000 + i, Outcome.FAILED, reason=f"why {i}") for i in range(7)]
    text = _render(make_result_report(runs))
    assert text.count("FAIL ") == 7
    assert "… 200 passed runs not listed" in text
    assert "scenario 0 " not in text  # no pass has its own row


def test_small_results_list_every_run(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.PASSED) for i in range(FULL_TABLE_MAX_RUNS)]
    text = _render(make_result_report(runs))
    assert text.count("PASS ") == FULL_TABLE_MAX_RUNS
    assert "not listed" not in text


def test_links_stay_whole_on_a_wide_terminal(representative_report):
    text = _render(representative_report, width=130)
    assert "https://dashboard.cekura.ai/7/results/123?run=276" in text


def test_links_fold_rather_than_vanish_on_a_narrow_terminal(representative_report):
    text = _render(representative_report, width=80)
    link_lines = "".join(
        line.rstrip().rsplit(" ", 1)[-1] for line in text.splitlines()[2:5] if line.strip()
    )
    assert "https://dashboard.cekura.ai/7/results/123?run=276" in link_lines


def test_big_result_rows_line_up_with_the_header(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.PASSED) for i in range(FULL_TABLE_MAX_RUNS)]
    runs.append(
        make_run_report(
            9000, Outcome.ERROR, status="timeout", case_name="Café ☕ " * 20, reason="r " * 200
        )
    )
    lines = _render(make_result_report(runs), width=160).splitlines()
    header, row = lines[0], _cells_of(lines[2])
    for column in ("scenario", "status", "reason", "link"):
        start = header.index(column)  # the header is ASCII: characters are cells
        assert row[start - 3 : start] == [" "] * 3, f"{column} column is misaligned"
        assert row[start] != " "
    assert lines[2].startswith("ERROR ")
    assert "https://dashboard.cekura.ai/7/results/123?run=9000" in lines[2]  # whole, on the row
    assert lines[2].count("…") == 2  # the long name and reason were cut to their columns


def test_big_result_links_are_never_cut_on_a_narrow_terminal(make_run_report, make_result_report):
    runs = [
        make_run_report(i, Outcome.FAILED, reason="why") for i in range(FULL_TABLE_MAX_RUNS + 1)
    ]
    text = _render(make_result_report(runs), width=60)
    assert "https://dashboard.cekura.ai/7/results/123?run=200" in text
