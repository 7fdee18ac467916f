"""GitHub Actions: annotations, step outputs, the size-capped step summary, env files."""

from __future__ import annotations

import io

from cekura_cli.redact import register_secret
from cekura_cli.reporting.github import (
    MAX_ANNOTATIONS,
    SUMMARY_LIMIT_BYTES,
    escape_data,
    escape_property,
    output_lines,
    step_summary,
    write_github,
)
from cekura_cli.reporting.model import Outcome


def _actions_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
    }
    env.update(extra)
    return env


def _parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file the way the runner does (key=value and heredocs)."""
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            value_lines = []
            for value_line in lines:
                if value_line == delimiter:
                    break
                value_lines.append(value_line)
            else:
                raise AssertionError(f"unterminated heredoc for {key}")
            outputs[key] = "\n".join(value_lines)
        else:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


def test_does_nothing_outside_github_actions(representative_report, tmp_path):
    stream = io.StringIO()
    env = _actions_env(tmp_path, GITHUB_ACTIONS="false")
    write_github(representative_report, environ=env, stream=stream)
    assert stream.getvalue() == ""
    assert not (tmp_path / "summary.md").exists()
    assert not (tmp_path / "output.txt").exists()


def test_writes_all_three_channels(representative_report, tmp_path):
    stream = io.StringIO()
    (tmp_path / "summary.md").write_text("earlier step\n", encoding="utf-8")
    write_github(representative_report, environ=_actions_env(tmp_path), stream=stream)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n## ❌ Cekura — FAILED: 2/5 passed")  # appended
    assert [line.split(" ", 1)[0] for line in stream.getvalue().splitlines()] == ["::error"] * 3
    outputs = _parse_outputs((tmp_path / "output.txt").read_text(encoding="utf-8"))
    assert outputs == {
        "result_id": "123",
        "result_url": "https://dashboard.cekura.ai/7/results/123",
        "verdict": "failed",
        "passed": "2",
        "total": "5",
        "pass_rate": "0.4",
    }


def test_eleven_failures_give_ten_errors_and_one_notice(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.FAILED, reason=f"r{i}") for i in range(1, 12)]
    runs.append(make_run_report(99, Outcome.PASSED))
    stream = io.StringIO()
    write_github(make_result_report(runs), environ={"GITHUB_ACTIONS": "true"}, stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == MAX_ANNOTATIONS + 1 == 11
    assert all(line.startswith("::error title=") for line in lines[:10])
    assert lines[10].startswith("::notice::1 more failing run not annotated (11 in all)")


def test_ten_failures_give_no_notice(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.ERROR, status="timeout") for i in range(1, 11)]
    stream = io.StringIO()
    write_github(make_result_report(runs), environ={"GITHUB_ACTIONS": "true"}, stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert not any(line.startswith("::notice") for line in lines)


def test_a_passing_result_has_no_annotations(make_run_report, make_result_report):
    stream = io.StringIO()
    report = make_result_report([make_run_report(1, Outcome.PASSED)])
    write_github(report, environ={"GITHUB_ACTIONS": "true"}, stream=stream)
    assert stream.getvalue() == ""


def test_annotation_text_cannot_inject_workflow_commands(make_run_report, make_result_report):
    run = make_run_report(
        1,
        Outcome.FAILED,
        case_name="a:b,c%d",
        reason="line1\r\n::set-output name=x::y\n100%",
        url=None,
    )
    stream = io.StringIO()
    write_github(make_result_report([run]), environ={"GITHUB_ACTIONS": "true"}, stream=stream)
    assert stream.getvalue() == (
        "::error title=a%3Ab%2Cc%25d::line1%0A::set-output name=x::y%0A100%25\n"
    )


def test_escaping_follows_the_runner_rules():
    assert escape_data("50%\r\n") == "50%25%0D%0A"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_output_lines_use_heredocs_for_multi_line_values():
    text = output_lines({"one": "1", "many": "a\nb", "eq": "x=y"})
    assert text.startswith("one=1\nmany<<ghadelimiter_")
    assert _parse_outputs(text) == {"one": "1", "many": "a\nb", "eq": "x=y"}


def test_summary_stays_under_one_mebibyte_with_huge_transcripts(
    make_run_report, make_result_report
):
    huge = "Main Agent: " + "blah " * 400_000  # ~2 MB per transcript
    runs = [
        make_run_report(i, Outcome.FAILED, reason="x" * 5_000, transcript=huge) for i in range(200)
    ]
    runs += [make_run_report(1000 + i, Outcome.PASSED) for i in range(3000)]
    summary = step_summary(make_result_report(runs))
    size = len(summary.encode("utf-8"))
    assert size < SUMMARY_LIMIT_BYTES
    assert size > SUMMARY_LIMIT_BYTES // 2  # it used the room instead of giving up early
    assert "This summary was cut" in summary
    assert summary.count("<details>") == summary.count("</details>")
    assert summary.count("<pre>") == summary.count("</pre>")


def test_summary_truncation_cuts_rows_not_the_verdict(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.FAILED, reason="r" * 200) for i in range(100)]
    summary = step_summary(make_result_report(runs), limit_bytes=10_000)
    assert len(summary.encode("utf-8")) < 10_000
    assert summary.startswith("## ❌ Cekura — FAILED: 0/100 passed")
    assert "This summary was cut" in summary


def test_a_small_summary_is_not_cut(representative_report):
    assert "This summary was cut" not in step_summary(representative_report)


def test_summary_cells_escape_pipes_newlines_and_html(make_run_report, make_result_report):
    run = make_run_report(1, Outcome.FAILED, case_name="a|b", reason="x\ny | <script>")
    summary = step_summary(make_result_report([run]))
    row = next(line for line in summary.splitlines() if line.startswith("| ❌"))
    assert "a\\|b" in row
    assert "x y \\| &lt;script&gt;" in row


def test_missing_env_files_are_skipped(representative_report):
    stream = io.StringIO()
    write_github(representative_report, environ={"GITHUB_ACTIONS": "true"}, stream=stream)
    assert "::warning" not in stream.getvalue()


def test_unwritable_env_files_become_warnings_not_crashes(representative_report, tmp_path):
    env = _actions_env(
        tmp_path,
        GITHUB_STEP_SUMMARY=str(tmp_path / "missing-dir" / "summary.md"),
        GITHUB_OUTPUT=str(tmp_path),  # a directory
    )
    stream = io.StringIO()
    write_github(representative_report, environ=env, stream=stream)
    warnings = [line for line in stream.getvalue().splitlines() if line.startswith("::warning")]
    assert len(warnings) == 2
    assert "step summary" in warnings[0] and "step outputs" in warnings[1]


def test_secrets_never_reach_any_channel(make_run_report, make_result_report, tmp_path):
    secret = "ws-secret-abcdefghijkl"
    register_secret(secret)
    run = make_run_report(1, Outcome.FAILED, reason=secret, transcript=secret, case_name=secret)
    stream = io.StringIO()
    write_github(make_result_report([run]), environ=_actions_env(tmp_path), stream=stream)
    for text in (
        stream.getvalue(),
        (tmp_path / "summary.md").read_text(encoding="utf-8"),
        (tmp_path / "output.txt").read_text(encoding="utf-8"),
    ):
        assert secret not in text
