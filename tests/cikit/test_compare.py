"""report compare: newly failing, fixed, still failing, new, gone."""

from __future__ import annotations

import dataclasses

from cikit_helpers import F, P, report, run

from cekura_cli.orchestration.compare import compare
from cekura_cli.reporting.model import ScenarioTally, Verdict


def test_every_category():
    base = report([run(1, 1, P), run(2, 2, F), run(3, 3, F), run(4, 4, P), run(5, 5, P)])
    new = report(
        [run(11, 1, F), run(12, 2, P), run(13, 3, F), run(14, 4, P), run(16, 6, F)], result_id=2
    )
    result = compare(base, new)
    keys = {
        name: [u.key for u in getattr(result, name)]
        for name in ("newly_failing", "fixed", "still_failing", "passing", "new", "gone")
    }
    assert keys == {
        "newly_failing": ["scenario:1"],
        "fixed": ["scenario:2"],
        "still_failing": ["scenario:3"],
        "passing": ["scenario:4"],
        "new": ["scenario:6"],
        "gone": ["scenario:5"],
    }
    assert result.regressed
    doc = result.to_dict()
    assert doc["counts"]["newly_failing"] == 1 and doc["new"][0]["failing"] is True


def test_no_regression_when_only_fixes_and_known_failures():
    base = report([run(1, 1, F), run(2, 2, F)])
    new = report([run(11, 1, P), run(12, 2, F)], result_id=2)
    assert not compare(base, new).regressed


def test_a_scenario_with_one_failing_repeat_fails_unless_k_of_n_says_otherwise():
    runs = [run(1, 1, P), run(2, 1, F)]
    base = report([run(9, 1, P)])
    assert compare(base, report(runs, result_id=2)).newly_failing
    tally = ScenarioTally("scenario:1", "Scenario 1", 1, 2, 1, Verdict.PASSED)
    kofn = dataclasses.replace(report(runs, result_id=2), scenarios=(tally,))
    assert not compare(base, kofn).newly_failing


def test_the_step_summary_is_inert_markdown_and_respects_the_size_limit(tmp_path):
    from cekura_cli.reporting.compare_text import append_step_summary, comparison_markdown

    hostile = "<img src=x onerror=alert(1)> | [link](http://evil) `code` \x1b[31m"
    base = report([run(1, 1, P, name=hostile)])
    result = compare(base, report([run(2, 1, F, name=hostile)], result_id=2))
    text = comparison_markdown(result)
    assert "**Newly failing** (1)" in text
    assert "<img" not in text and "[link](http" not in text and "\x1b" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; \\| \\[link\\](http://evil)" in text

    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert append_step_summary(result, env) and summary.read_text() == text
    summary.write_text("x" * 1000)
    assert not append_step_summary(result, env, limit_bytes=1000 + len(text) - 1)
    assert summary.read_text() == "x" * 1000  # nothing appended past the limit
    assert not append_step_summary(result, {"GITHUB_STEP_SUMMARY": str(summary)})  # not on GHA
