"""build_report carries each run's scenario tags (for the HTML report's tag filter)."""

from __future__ import annotations

from cekura_cli.api.models import Result
from cekura_cli.orchestration.verdict import build_report


def test_runs_get_their_scenarios_tags_and_unknown_scenarios_none() -> None:
    result = Result.model_validate(
        {
            "id": 7,
            "status": "completed",
            "runs": [
                {"id": 1, "scenario": 10, "status": "completed", "success": True},
                {"id": 2, "scenario": 11, "status": "completed", "success": False},
                {"id": 3, "status": "completed", "success": True},
            ],
        }
    )
    report = build_report(
        result,
        [],
        min_pass_rate=1.0,
        result_url="https://dashboard.example/1/results/7",
        scenario_tags={10: ["smoke", "critical"], 11: []},
    )
    assert [run.tags for run in report.runs] == [("smoke", "critical"), (), ()]


def test_without_tags_every_run_has_none() -> None:
    result = Result.model_validate(
        {"id": 7, "runs": [{"id": 1, "scenario": 10, "status": "completed", "success": True}]}
    )
    report = build_report(result, [], min_pass_rate=1.0, result_url="https://d.example/7")
    assert report.runs[0].tags == ()
