"""Reading JSON reports back: round trip, lenient to unknown fields, one line on bad input."""

from __future__ import annotations

import json

import pytest
from cikit_helpers import F, P, report, run

from cekura_cli.errors import UsageError
from cekura_cli.orchestration.gating import GatePolicy, apply_gates
from cekura_cli.reporting.json_report import report_to_dict, write_json
from cekura_cli.reporting.report_file import parse_report, read_report


def test_round_trip_keeps_everything_the_gates_need(tmp_path):
    gated = apply_gates(
        report([run(1, 1, P), run(2, 1, F), run(3, 2, F)]),
        GatePolicy(min_passes=1, quarantine=frozenset({"scenario:2"})),
    )
    path = tmp_path / "r.json"
    write_json(gated, path)
    back = read_report(path)
    assert report_to_dict(back) == report_to_dict(gated)


def test_unknown_fields_are_ignored(tmp_path):
    doc = report_to_dict(report([run(1, 1, P)]))
    doc["from_the_future"] = {"x": 1}
    doc["runs"][0]["case_key"] = "greets"
    doc["runs"][0]["other"] = 3
    assert parse_report(doc, source="r.json").counts.total == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "r.json: not JSON (line 1"),
        ("[]", "r.json: not a cekura JSON report"),
        ('{"schema_version": 1}', "r.json: not a cekura JSON report (result_id: Field required)"),
        (
            '{"exit_code": 3, "error": {"kind": "service", "message": "HTTP 503"}}',
            "r.json: an error report (exit 3): HTTP 503",
        ),
    ],
)
def test_bad_reports_are_one_line_usage_errors(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.json").write_text(content)
    with pytest.raises(UsageError) as caught:
        read_report("r.json")
    assert caught.value.message.startswith(message)
    assert "\n" not in caught.value.message


def test_a_wrong_schema_version_or_outcome_is_refused():
    doc = report_to_dict(report([run(1, 1, P)]))
    with pytest.raises(UsageError, match="schema_version"):
        parse_report({**doc, "schema_version": 2}, source="r")
    doc["runs"][0]["outcome"] = "maybe"
    with pytest.raises(UsageError, match="runs.0.outcome"):
        parse_report(doc, source="r")


def test_a_missing_file_names_itself(tmp_path):
    with pytest.raises(UsageError, match="cannot read report .*nope.json"):
        read_report(tmp_path / "nope.json")


def test_hostile_text_round_trips_escaped(tmp_path):
    hostile = "</testcase><script>alert(1)</script>\x1b[31m::error::pwned"
    path = tmp_path / "r.json"
    write_json(report([run(1, 1, F, name=hostile, reason=hostile)]), path)
    back = read_report(path)
    assert "\x1b" not in back.runs[0].scenario_name
    json.loads(path.read_text())  # still valid JSON
