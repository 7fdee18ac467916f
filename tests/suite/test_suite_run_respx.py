"""`cekura run --suite` against an independent fake of the documented endpoint (respx):
the body posted, runs matched to cases when the service renames them, a dry run that is
not valid, a flat 400, and a start that is never repeated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from suite_helpers import VALID, write

from cekura_cli.cli import run_cli
from cekura_cli.suite.report import cases_by_scenario

BASE = "https://api.example.test"
JSON_PATH = "/test_framework/v1/scenarios/run_scenarios_json/"
KEY = "sk_test_suite_fake_0123456789"


@pytest.fixture
def suite_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in {
        "CEKURA_API_KEY": KEY,
        "CEKURA_API_URL": BASE,
        "CEKURA_AGENT_ID": "7",
        "CI": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return write(tmp_path, VALID)


def _run(scenario: int, name: str, run_id: int, *, success: bool = True) -> dict[str, Any]:
    return {
        "id": run_id,
        "scenario": scenario,
        "scenario_name": name,
        "status": "completed",
        "success": success,
    }


def _service(router: respx.Router, start: httpx.Response, runs: list[dict[str, Any]]) -> Any:
    router.get("/test_framework/v1/aiagents/7/").mock(
        return_value=httpx.Response(200, json={"id": 7, "project": 3})
    )
    route = router.post(JSON_PATH).mock(return_value=start)
    detail = {"id": 5, "status": "completed", "runs": {str(r["id"]): r for r in runs}}
    for version in ("v1", "v2"):  # the client reads v2 and falls back to v1
        router.get(f"/test_framework/{version}/results/5/").mock(
            return_value=httpx.Response(200, json=detail)
        )
        router.get(f"/test_framework/{version}/runs/bulk/").mock(
            return_value=httpx.Response(200, json=runs)
        )
    return route


def test_the_posted_body_and_renamed_runs_matched_by_position(suite_path: Path, capsys) -> None:
    runs = [_run(41, "Suite: greet", 1), _run(42, "Suite: weather", 2, success=False)]
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        start = httpx.Response(201, json={"id": 5, "runs": runs})
        route = _service(router, start, runs)
        code = run_cli(["run", "--suite", str(suite_path), "--tag", "smoke", "--json", "-"])
    out = capsys.readouterr().out
    assert code == 1
    body = json.loads(route.calls.last.request.content)
    assert route.call_count == 1
    assert body["agent_id"] == 7 and body["channel"] == "text" and body["name"]
    assert [c["key"] for c in body["spec"]["scenarios"]] == ["greet", "weather"]
    assert all("local" not in c for c in body["spec"]["scenarios"])
    assert body["spec"]["defaults"] == {"tags": ["ci"]}
    report = json.loads(out)
    assert [(r["case_key"], r["outcome"]) for r in report["runs"]] == [
        ("greet", "passed"),
        ("weather", "failed"),
    ]


def test_a_dry_run_that_is_not_valid_is_exit_2_with_its_problems(suite_path: Path, capsys) -> None:
    errors = {"scenarios[0].metrics[0]": ["nope"], "scenarios[3].name": ["odd"]}
    answer = {"dry_run": True, "valid": False, "errors": errors}
    with respx.mock(base_url=BASE) as router:
        router.post(JSON_PATH).mock(return_value=httpx.Response(200, json=answer))
        code = run_cli(["run", "--suite", str(suite_path), "--case", "weather", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2
    # The service numbers the posted list (one case, the file's scenarios[1]); an index
    # past it is shown as given, without a line of the file.
    assert f"{suite_path}:20: scenarios[1].metrics[0]: nope" in err
    assert f"{suite_path}: scenarios[3].name: odd" in err


def test_a_flat_400_on_the_real_start_maps_to_the_file(suite_path: Path, capsys) -> None:
    flat = {"scenarios[0].metrics[0]": ["Metric not enabled"]}
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = _service(router, httpx.Response(400, json=flat), [])
        code = run_cli(["run", "--suite", str(suite_path), "--case", "weather"])
    err = capsys.readouterr().err
    assert code == 2 and route.call_count == 1
    assert f"{suite_path}:20: scenarios[1].metrics[0]: Metric not enabled" in err


def test_a_5xx_on_the_start_is_exit_3_and_never_repeated(suite_path: Path, capsys) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = _service(router, httpx.Response(503), [])
        code = run_cli(["run", "--suite", str(suite_path)])
    assert code == 3 and route.call_count == 1
    assert "not repeated" in capsys.readouterr().err


def test_cases_by_scenario_prefers_names_then_position(tmp_path: Path) -> None:
    from cekura_cli.api.models import Run
    from cekura_cli.suite.loading import load_suite_file

    cases = load_suite_file(write(tmp_path, VALID)).cases
    named = [Run.model_validate(_run(9, "stays on topic", 1))]
    assert cases_by_scenario(named, cases)[9].key == "weather"
    renamed = [Run.model_validate(_run(i, f"x{i}", i)) for i in range(1, 5)]
    mapping = cases_by_scenario(renamed, cases)  # 1 + 1 + 2 (frequency) runs, in order
    assert [mapping[i].identity for i in (1, 2, 3)] == ["greet", "weather", "Hangs up on goodbye"]
    assert cases_by_scenario(renamed[:2], cases) == {}  # counts differ: no guessing


def test_other_rejections_are_service_errors_not_file_problems(suite_path: Path, capsys) -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        route = _service(router, httpx.Response(409, json={"detail": "busy"}), [])
        code = run_cli(["run", "--suite", str(suite_path)])
    err = capsys.readouterr().err
    assert code == 3 and route.call_count == 1
    assert "HTTP 409" in err and "busy" in err and "suite.yaml:" not in err
