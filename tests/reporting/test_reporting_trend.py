"""The trend over many JSON reports: the pure model, the directory reader, the page, and
``cekura report trend`` as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.reporting.trend import ReportFile, build_trend, is_report
from cekura_cli.reporting.trend_page import chart_svg, load_reports, render_trend_html

HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=alert(1)>"


def document(result_id: int | None, outcomes: dict[int, str], **extra: Any) -> dict[str, Any]:
    """A JSON report with one run per ``{scenario_id: outcome}``."""
    runs = [
        {
            "run_id": (result_id or 0) * 100 + scenario,
            "scenario_id": scenario,
            "scenario_name": f"scenario {scenario}",
            "outcome": outcome,
            "reason": None if outcome == "passed" else f"why {result_id}/{scenario}",
            "url": f"https://dash.example/{result_id}?run={scenario}",
        }
        for scenario, outcome in outcomes.items()
    ]
    passed = sum(outcome == "passed" for outcome in outcomes.values())
    doc: dict[str, Any] = {
        "result_id": result_id,
        "result_url": f"https://dash.example/{result_id}",
        "name": f"nightly {result_id}",
        "verdict": "passed" if passed == len(runs) else "failed",
        "counts": {"total": len(runs), "passed": passed, "failed": len(runs) - passed},
        "min_pass_rate": 1.0,
        "runs": runs,
    }
    doc.update(extra)
    return doc


def test_points_are_newest_first_by_result_id_then_file_name() -> None:
    trend = build_trend(
        [
            ReportFile("b.json", document(7, {1: "passed"})),
            ReportFile("z.json", document(3, {1: "failed"})),
            ReportFile("a.json", document(7, {1: "failed", 2: "passed"})),
            ReportFile("old.json", document(None, {1: "passed"})),
        ]
    )
    assert [p.source for p in trend.points] == ["b.json", "a.json", "z.json", "old.json"]
    assert [p.pass_rate for p in trend.points] == [1.0, 0.5, 0.0, 1.0]
    assert [(p.passed, p.total, p.failed) for p in trend.points][1] == (1, 2, 1)


def test_scenarios_rank_by_failed_runs_then_most_recent_failure() -> None:
    trend = build_trend(
        [
            ReportFile("1.json", document(1, {1: "failed", 2: "error", 3: "passed"})),
            ReportFile("2.json", document(2, {1: "failed", 2: "passed", 3: "failed"})),
            ReportFile("3.json", document(3, {1: "passed", 2: "passed", 4: "passed"})),
        ]
    )
    ranked = [(s.key, s.failed_runs, s.reports_failed, s.reports) for s in trend.scenarios]
    # 2 and 3 both failed once; 3 failed in the newer report (result 2), so it comes first.
    assert ranked == [("id:1", 2, 2, 3), ("id:3", 1, 1, 2), ("id:2", 1, 1, 3), ("id:4", 0, 0, 1)]
    first = trend.scenarios[0]
    assert first.history == ("passed", "failed", "failed")  # newest first
    assert first.last_reason == "why 2/1"
    assert first.last_failure_url == "https://dash.example/2?run=1"
    assert trend.scenarios[3].history == ("passed", None, None)


def test_repeats_of_a_scenario_count_each_run_and_the_worst_outcome_per_report() -> None:
    doc = document(1, {1: "passed"})
    doc["runs"] += [dict(doc["runs"][0], run_id=2, outcome="error"), dict(doc["runs"][0])]
    (scenario,) = build_trend([ReportFile("r.json", doc)]).scenarios
    assert (scenario.runs, scenario.failed_runs, scenario.history) == (3, 1, ("error",))


def test_scenarios_without_an_id_are_told_apart_by_name() -> None:
    doc = document(1, {})
    doc["runs"] = [
        {"scenario_name": "A", "outcome": "failed"},
        {"scenario_name": "B", "outcome": "passed"},
        {"case_name": "C #1", "outcome": "weird"},  # an unknown outcome counts as an error
    ]
    keys = {s.key: s.failed_runs for s in build_trend([ReportFile("r.json", doc)]).scenarios}
    assert keys == {"name:A": 1, "name:C #1": 1, "name:B": 0}


def test_unusable_counts_are_recounted_from_the_runs() -> None:
    doc = document(1, {1: "passed", 2: "failed"}, counts={"total": "three"})
    (point,) = build_trend([ReportFile("r.json", doc)]).points
    assert (point.total, point.passed, point.pass_rate) == (2, 1, 0.5)


def test_is_report_wants_runs_and_counts() -> None:
    assert is_report(document(1, {}))
    assert not is_report({"runs": []}) and not is_report([]) and not is_report({"counts": {}})


@given(
    st.lists(
        st.dictionaries(st.integers(1, 6), st.sampled_from(["passed", "failed", "error"])),
        min_size=1,
        max_size=8,
    )
)
def test_trend_properties(nights: list[dict[int, str]]) -> None:
    reports = [ReportFile(f"{i}.json", document(i + 1, night)) for i, night in enumerate(nights)]
    trend = build_trend(list(reversed(reports)))
    assert [p.result_id for p in trend.points] == list(range(len(nights), 0, -1))
    assert all(0.0 <= p.pass_rate <= 1.0 for p in trend.points)
    total_failed = sum(o != "passed" for night in nights for o in night.values())
    assert sum(s.failed_runs for s in trend.scenarios) == total_failed
    failures = [s.failed_runs for s in trend.scenarios]
    assert failures == sorted(failures, reverse=True)
    assert all(len(s.history) == len(nights) for s in trend.scenarios)


# --- reading a directory -----------------------------------------------------------------


def test_load_reports_reads_nested_artefact_folders_and_names_what_it_skips(tmp_path: Path):
    (tmp_path / "nightly-1").mkdir()
    (tmp_path / "nightly-1" / "report.json").write_text(json.dumps(document(1, {1: "passed"})))
    (tmp_path / "report-2.json").write_text(json.dumps(document(2, {1: "failed"})))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    (tmp_path / "notes.txt").write_text("ignored")
    reports, skipped = load_reports(tmp_path)
    assert [r.source for r in reports] == ["nightly-1/report.json", "report-2.json"]
    assert skipped == [
        "broken.json: not readable JSON (JSONDecodeError)",
        "other.json: not a cekura JSON report",
    ]


def test_load_reports_refuses_a_path_that_is_not_a_directory(tmp_path: Path):
    from cekura_cli.errors import UsageError

    with pytest.raises(UsageError, match="is not a directory"):
        load_reports(tmp_path / "missing")


# --- the page ----------------------------------------------------------------------------


def test_the_chart_has_one_dot_per_report_oldest_on_the_left() -> None:
    trend = build_trend(
        [ReportFile(f"{i}.json", document(i, {1: "passed", 2: "failed"})) for i in range(1, 5)]
        + [ReportFile("9.json", document(9, {1: "passed", 2: "passed"}))]
    )
    svg = chart_svg(trend.points)
    dots = re.findall(r'<circle class="(dot-\w+)" cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert [d[0] for d in dots] == ["dot-failed"] * 4 + ["dot-passed"]
    xs = [float(d[1]) for d in dots]
    assert xs == sorted(xs)
    assert float(dots[-1][2]) < float(dots[0][2])  # 100% is drawn above 50%
    assert "<title>9.json: 2/2 passed (100.0%)</title>" in svg
    assert 'class="threshold"' in svg


def test_a_single_report_still_charts() -> None:
    svg = chart_svg(build_trend([ReportFile("1.json", document(1, {1: "passed"}))]).points)
    assert svg.count("<circle") == 1 and "<polyline" not in svg


def test_the_page_escapes_report_text_and_runs_no_script() -> None:
    doc = document(1, {1: "failed"}, name=HOSTILE, result_url="javascript:alert(1)")
    doc["runs"][0].update(scenario_name=HOSTILE, reason=HOSTILE, url="javascript:alert(2)")
    trend = build_trend([ReportFile(f"{HOSTILE}.json", doc)], skipped=[f"{HOSTILE}: x"])
    page = render_trend_html(trend)
    assert "<script" not in page and "<img" not in page
    assert "javascript:" not in re.sub(r">[^<]*<", "><", page)  # only ever in text
    assert page.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") >= 4
    assert "script-src 'none'" in page


def test_the_page_lists_reports_newest_first_and_scenarios_by_failures() -> None:
    trend = build_trend(
        [
            ReportFile("n1.json", document(1, {1: "failed", 2: "passed"})),
            ReportFile("n2.json", document(2, {1: "failed", 2: "failed"})),
            ReportFile("n3.json", document(3, {1: "failed", 2: "passed"})),
        ]
    )
    page = render_trend_html(trend)
    reports = page.split('<table id="reports">')[1]
    assert reports.index("n3.json") < reports.index("n2.json") < reports.index("n1.json")
    scenarios = page.split('<table id="scenarios">')[1].split("</table>")[0]
    assert scenarios.index("scenario 1") < scenarios.index("scenario 2")
    assert '<td class="n">3/3</td>' in scenarios
    assert scenarios.count('class="h h-failed"') == 4


# --- the command -------------------------------------------------------------------------


def cekura(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cekura_cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_report_trend_writes_the_page_and_sums_up_on_stderr(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for i, outcome in enumerate(["passed", "failed", "failed"], start=1):
        (reports / f"r{i}.json").write_text(json.dumps(document(i, {1: outcome, 2: "passed"})))
    (reports / "junk.json").write_text("[")
    result = cekura("report", "trend", "reports", "--html", "out/trend.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "trend of 3 reports; newest r3.json: 1/2 passed (50.0%)" in result.stderr
    assert "2/3 runs failed, in 2/3 reports: scenario 1" in result.stderr
    assert "skipped junk.json: not readable JSON" in result.stderr
    page = (tmp_path / "out" / "trend.html").read_text(encoding="utf-8")
    assert page.count("<circle") == 3


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "is not a directory of JSON reports"),
        ("empty", "no JSON reports found in"),
        ("html-is-a-directory", "is a directory"),
    ],
)
def test_report_trend_usage_errors_exit_2_in_one_line(
    tmp_path: Path, setup: str, message: str
) -> None:
    (tmp_path / "empty").mkdir()
    args = ["report", "trend", "missing" if setup == "missing" else "empty"]
    if setup == "html-is-a-directory":
        args += ["--html", "empty"]
    result = cekura(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_skipped_run_neither_passes_nor_fails() -> None:
    doc = document(1, {1: "skipped", 2: "failed"})
    trend = build_trend([ReportFile("r.json", doc)])
    by_key = {s.key: (s.failed_runs, s.reports_failed, s.history) for s in trend.scenarios}
    assert by_key == {"id:2": (1, 1, ("failed",)), "id:1": (0, 0, ("skipped",))}


_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        '"',
        "'",
        "=",
        "script",
        "svg",
        "onload",
        "javascript:",
        "</title>",
        "</text>",
        "<!--",
        "\u2028",
        " ",
        "x",
        ".json",
        "/",
    ]  # fmt: skip
)
_HOSTILE_TEXT = st.lists(_PIECES, max_size=30).map("".join)
_TREND_ELEMENTS = {
    *("html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "span"),
    *("svg", "line", "text", "polyline", "circle", "div", "table", "thead", "tbody", "tr"),
    *("th", "td", "a", "ul", "li"),
}


@settings(max_examples=50, deadline=None)
@given(source=_HOSTILE_TEXT, name=_HOSTILE_TEXT, reason=_HOSTILE_TEXT, url=_HOSTILE_TEXT)
def test_no_report_text_adds_an_element_to_the_trend_page(source, name, reason, url):
    from html.parser import HTMLParser

    doc = document(1, {1: "failed", 2: "passed"}, name=name, result_url=url)
    doc["runs"][0].update(scenario_name=name, reason=reason, url=url)
    page = render_trend_html(build_trend([ReportFile(source or "r.json", doc)], [source]))
    tags: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    Collect().feed(page)
    assert {tag for tag, _ in tags} <= _TREND_ELEMENTS
    for _, attrs in tags:
        assert not [key for key in attrs if key.startswith("on")]
        if "href" in attrs:
            assert attrs["href"].startswith(("https://", "http://"))
