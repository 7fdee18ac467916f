"""The stop-commands fence, ``##[`` neutralising, and the GitHub channels that use them."""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

from cekura_cli.reporting.github import (
    SUMMARY_LIMIT_BYTES,
    write_github,
    write_result_started,
)
from cekura_cli.reporting.model import Outcome
from cekura_cli.reporting.workflow_commands import (
    FencedStream,
    fenced_stderr,
    neutralise,
    outside_fence,
)


def _tokens() -> object:
    counter = iter(range(1, 100))
    return lambda: f"tok{next(counter)}"


def test_neutralise_breaks_every_command_form() -> None:
    assert "##[" not in neutralise("a ##[error]x ##[stop-commands]y")
    assert neutralise("plain # text [1] a::b") == "plain # text [1] a::b"
    text = "::error::x\n   ::add-mask::y\nok ::x::\r\t::notice::z"
    assert neutralise(text) == (
        "\u200b::error::x\n   \u200b::add-mask::y\nok ::x::\r\t\u200b::notice::z"
    )


def test_the_fence_wraps_output_and_commands_go_outside_it() -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner, token=_tokens())  # type: ignore[arg-type]
    fenced.open_fence()
    fenced.write("::error::from an agent\n##[error]x\n")
    with outside_fence(fenced) as commands:  # type: ignore[arg-type]
        commands.write("::error title=t::ours\n")
    fenced.write("after\n")
    fenced.close_fence()
    assert inner.getvalue().splitlines() == [
        "::stop-commands::tok1",
        "\u200b::error::from an agent",
        "##\u200b[error]x",
        "::tok1::",
        "::error title=t::ours",
        "::stop-commands::tok2",
        "after",
        "::tok2::",
    ]


def test_a_command_split_across_writes_is_still_neutralised() -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner)
    for piece in ("text #", "#", "[stop-commands]x", "\n"):
        fenced.write(piece)
        fenced.flush()
    assert "##[" not in inner.getvalue()
    assert inner.getvalue() == "text ##\u200b[stop-commands]x\n"


def test_colons_split_across_flushes_are_still_neutralised() -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner)
    for piece in ("  :", ":error::x\n"):
        fenced.write(piece)
        fenced.flush()
    assert inner.getvalue() == "  \u200b::error::x\n"


def test_the_block_closes_on_a_line_of_its_own_after_a_partial_line() -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner, token=_tokens())  # type: ignore[arg-type]
    fenced.open_fence()
    fenced.write("progress without a newline")
    fenced.flush()
    with outside_fence(fenced) as commands:  # type: ignore[arg-type]
        commands.write("::error::ours\n")
    fenced.close_fence()
    assert inner.getvalue().splitlines() == [
        "::stop-commands::tok1",
        "progress without a newline",
        "::tok1::",
        "::error::ours",
        "::stop-commands::tok2",
        "::tok2::",
    ]


def test_a_partial_line_waits_for_its_end_or_a_flush() -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner)
    fenced.write("progress: 1/3")
    assert inner.getvalue() == ""
    fenced.flush()
    assert inner.getvalue() == "progress: 1/3"


def test_threads_writing_at_once_keep_their_lines_whole() -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner)

    def writer(n: int) -> None:
        for i in range(200):
            fenced.write(f"thread {n} line {i} ##[x]\n")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    lines = inner.getvalue().splitlines()
    assert len(lines) == 800
    assert all(line.endswith("##\u200b[x]") and line.startswith("thread ") for line in lines)


def test_fenced_stderr_only_under_github_actions(capsys) -> None:
    with fenced_stderr({}) as fence:
        assert fence is None
        print("plain", file=sys.stderr)
    with fenced_stderr({"GITHUB_ACTIONS": "true"}) as fence:
        assert fence is not None and sys.stderr is fence
        token = fence.token
        print("inside ##[x]", file=sys.stderr)
    err = capsys.readouterr().err.splitlines()
    assert err == ["plain", f"::stop-commands::{token}", "inside ##\u200b[x]", f"::{token}::"]


def test_annotations_are_printed_outside_the_fence(representative_report, tmp_path) -> None:
    inner = io.StringIO()
    fenced = FencedStream(inner, token=_tokens())  # type: ignore[arg-type]
    fenced.open_fence()
    write_github(representative_report, environ={"GITHUB_ACTIONS": "true"}, stream=fenced)
    fenced.close_fence()
    lines = inner.getvalue().splitlines()
    first_error = next(i for i, line in enumerate(lines) if line.startswith("::error"))
    assert lines[first_error - 1] == "::tok1::"  # the block was closed just before
    assert lines[-2:] == ["::stop-commands::tok2", "::tok2::"]


# --- step summary budget and early outputs -----------------------------------------


def test_the_summary_budget_counts_what_the_file_already_holds(
    make_run_report, make_result_report, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * 8192)  # an earlier step's summary
    runs = [make_run_report(i, Outcome.FAILED, reason="why " * 50) for i in range(5000)]
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    write_github(make_result_report(runs), environ=env, stream=io.StringIO())
    size = summary.stat().st_size
    assert size < SUMMARY_LIMIT_BYTES
    assert size > SUMMARY_LIMIT_BYTES // 2
    assert "This summary was cut" in summary.read_text(encoding="utf-8")


def test_a_full_summary_file_gets_a_warning_not_more_text(representative_report, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (SUMMARY_LIMIT_BYTES - 100))
    stream = io.StringIO()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    write_github(representative_report, environ=env, stream=stream)
    assert summary.stat().st_size == SUMMARY_LIMIT_BYTES - 100
    assert "::warning::cekura: the step summary is full" in stream.getvalue()


def test_the_result_id_is_an_output_as_soon_as_the_result_exists(tmp_path: Path) -> None:
    output = tmp_path / "output.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    write_result_started(42, "https://d/1/results/42", environ=env, stream=io.StringIO())
    assert output.read_text() == "result_id=42\nresult_url=https://d/1/results/42\n"
    write_result_started(43, "u", environ={"GITHUB_OUTPUT": str(output)}, stream=io.StringIO())
    assert "43" not in output.read_text()  # only under GitHub Actions
