"""The JSON report: key order, rounding, stdout purity, atomic files, write errors."""

from __future__ import annotations

import io
import json
import os

import pytest

from cekura_cli.errors import UsageError
from cekura_cli.redact import register_secret
from cekura_cli.reporting.json_report import SCHEMA_VERSION, report_to_dict, write_json
from cekura_cli.reporting.model import Outcome

TOP_LEVEL_KEYS = [
    "schema_version",
    "result_id",
    "result_url",
    "name",
    "status",
    "verdict",
    "exit_code",
    "counts",
    "pass_rate",
    "min_pass_rate",
    "timed_out",
    "interrupted",
    "elapsed_s",
    "notes",
    "agent_id",
    "shard",
    "gate",
    "scenarios",
    "merged_from",
    "runs",
]
RUN_KEYS = [
    "run_id",
    "scenario_id",
    "scenario_name",
    "case_name",
    "status",
    "success",
    "outcome",
    "reason",
    "transcript",
    "url",
    "duration_s",
    "quarantined",
    "gating",
    "passes",
    "case_key",
]


def test_keys_come_in_the_documented_order(representative_report):
    document = report_to_dict(representative_report)
    assert list(document) == TOP_LEVEL_KEYS
    assert list(document["counts"]) == ["total", "passed", "failed", "errored"]
    assert all(list(run) == RUN_KEYS for run in document["runs"])
    assert document["schema_version"] == SCHEMA_VERSION == 1


def test_values_follow_the_report(representative_report):
    document = report_to_dict(representative_report)
    assert document["verdict"] == "failed"
    assert document["counts"] == {"total": 5, "passed": 2, "failed": 2, "errored": 1}
    assert [run["outcome"] for run in document["runs"]] == [
        "passed",
        "failed",
        "error",
        "failed",
        "passed",
    ]
    assert document["runs"][2]["duration_s"] is None
    assert document["runs"][2]["transcript"] is None


def test_rates_and_durations_are_rounded(make_run_report, make_result_report):
    runs = [make_run_report(i, Outcome.PASSED, duration_s=1 / 3) for i in range(2)]
    runs.append(make_run_report(9, Outcome.FAILED))
    document = report_to_dict(make_result_report(runs, elapsed_s=10 / 3, min_pass_rate=2 / 3))
    assert document["pass_rate"] == 0.6667
    assert document["min_pass_rate"] == 0.6667
    assert document["elapsed_s"] == 3.333
    assert document["runs"][0]["duration_s"] == 0.333


def test_a_pass_rate_just_under_one_is_not_rounded_to_one(make_run_report, make_result_report):
    runs = [make_run_report(1, Outcome.FAILED)]
    report = make_result_report(runs, pass_rate=0.999999)
    assert report_to_dict(report)["pass_rate"] == 0.9999


def test_stdout_gets_the_json_document_and_nothing_else(representative_report, capsys):
    out = io.StringIO()
    write_json(representative_report, "-", stdout=out)
    text = out.getvalue()
    assert text.startswith("{") and text.endswith("}\n")
    assert json.loads(text)["result_id"] == 123
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_stdout_that_cannot_encode_unicode_gets_ascii_escapes(representative_report):
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    write_json(representative_report, "-", stdout=out)
    document = json.loads(raw.getvalue().decode("ascii"))
    assert document["runs"][2]["case_name"] == "Réservation — café ☕"


def test_file_is_written_with_parent_directories_and_no_temporary_left(
    representative_report, tmp_path
):
    path = tmp_path / "out" / "nested" / "report.json"
    write_json(representative_report, str(path))
    assert json.loads(path.read_text(encoding="utf-8"))["verdict"] == "failed"
    assert os.listdir(path.parent) == ["report.json"]


def test_existing_file_is_replaced(representative_report, tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    write_json(representative_report, path)
    assert json.loads(path.read_text(encoding="utf-8"))["result_id"] == 123


def test_unwritable_destination_is_a_usage_error_naming_the_path(representative_report, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match="JSON report") as excinfo:
        write_json(representative_report, blocker / "report.json")
    assert str(blocker) in str(excinfo.value)
    assert excinfo.value.exit_code == 2


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(
    representative_report, tmp_path, monkeypatch
):
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("cekura_cli.reporting.json_report.json.dumps", explode)
    with pytest.raises(RuntimeError):
        write_json(representative_report, path)
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["report.json"]


def test_registered_secrets_are_masked(make_run_report, make_result_report):
    secret = "sk-live-0123456789abcdef"
    register_secret(secret)
    run = make_run_report(1, Outcome.FAILED, reason=f"bad key {secret}", transcript=secret)
    text = json.dumps(report_to_dict(make_result_report([run])))
    assert secret not in text
    assert "****cdef" in text


def test_stdout_default_is_looked_up_at_call_time(representative_report, capsys):
    write_json(representative_report, "-")
    assert json.loads(capsys.readouterr().out)["result_id"] == 123
