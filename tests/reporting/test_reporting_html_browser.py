"""The HTML report and the trend page in a real headless Chromium (DevTools protocol).

One browser for the whole module. Skipped, with the reason, where no Chromium is
installed (``.ci/run`` installs it, so CI runs these).

What is proven here and not by string checks: the pages load from a file with no
network request at all; the outcome, tag and search filters change which runs are
rendered when a person clicks and types; hostile report text stays text (no script
from it runs even with the page's Content-Security-Policy switched off, so escaping
alone holds); both pages fit 375 px and 1440 px without sideways scrolling.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from html_browser_helpers import Browser, Page, chromium, find_chromium

from cekura_cli.reporting.html import write_html
from cekura_cli.reporting.model import Outcome
from cekura_cli.reporting.trend import ReportFile, build_trend
from cekura_cli.reporting.trend_page import write_trend_html

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium installed (apt-get install chromium, or set CEKURA_CHROMIUM)",
)

HOSTILE = (
    "<script>window.__pwned = 1</script>"
    "<img src=x onerror=\"window.__pwned = 2; document.title = 'pwned'\">"
    "</script><script>window.__pwned = 3</script>"
    '<a href="javascript:window.__pwned = 4">click</a>'
    '\u2028\u2029<svg onload="window.__pwned = 5"></svg>'
    "<style>body{display:none}</style>"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with chromium(CHROMIUM) as handle:
        yield handle


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()
    try:
        yield tab
    finally:
        browser.close_page(tab)


@pytest.fixture
def filter_report(tmp_path: Path, make_run_report, make_result_report) -> Path:
    runs = [
        make_run_report(1, Outcome.PASSED, tags=("smoke",), case_name="greets"),
        make_run_report(2, Outcome.FAILED, tags=("smoke", "critical"), case_name="books"),
        make_run_report(
            3, Outcome.ERROR, status="timeout", tags=("critical",), case_name="cancels"
        ),
        make_run_report(4, Outcome.PASSED, tags=("critical",), case_name="reschedules"),
        make_run_report(
            5,
            Outcome.FAILED,
            tags=("smoke",),
            case_name="stays on topic",
            transcript="Testing Agent: weather?\nMain Agent: sunny with a chance of refunds",
        ),
    ]
    path = tmp_path / "report.html"
    write_html(make_result_report(runs), path)
    return path


def shown(page: Page) -> list[str]:
    return page.visible("details.run")


def test_the_report_loads_offline_without_any_request(page: Page, filter_report: Path):
    page.open(filter_report)
    assert page.requests() == [filter_report.resolve().as_uri()]
    assert page.js("document.readyState") == "complete"
    assert page.js("document.getElementById('shown').textContent") == "5 of 5 runs shown"


def test_the_request_check_does_see_requests(page: Page, tmp_path: Path):
    """The no-request assertions above mean something: a page that does fetch is seen."""
    path = tmp_path / "fetches.html"
    path.write_text('<!doctype html><img src="http://127.0.0.1:9/pixel.png">')
    page.open(path)
    assert "http://127.0.0.1:9/pixel.png" in page.requests()


def test_runs_are_shown_failures_first(page: Page, filter_report: Path):
    page.open(filter_report)
    assert shown(page) == ["run-3", "run-2", "run-5", "run-1", "run-4"]


def test_outcome_checkboxes_hide_and_show_runs(page: Page, filter_report: Path):
    page.open(filter_report)
    page.click("input[name=outcome][value=passed]")
    assert shown(page) == ["run-3", "run-2", "run-5"]
    page.click("input[name=outcome][value=error]")
    assert shown(page) == ["run-2", "run-5"]
    assert page.js("document.getElementById('shown').textContent") == "2 of 5 runs shown"
    page.click("input[name=outcome][value=passed]")
    assert shown(page) == ["run-2", "run-5", "run-1", "run-4"]


def test_the_tag_filter_keeps_runs_with_that_tag(page: Page, filter_report: Path):
    page.open(filter_report)
    page.js(
        "(() => { const s = document.getElementById('tag'); s.value = 'critical';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    assert shown(page) == ["run-3", "run-2", "run-4"]
    page.click("input[name=outcome][value=error]")
    assert shown(page) == ["run-2", "run-4"]


def test_search_matches_names_and_transcripts(page: Page, filter_report: Path):
    page.open(filter_report)
    page.type_into("#search", "REFUNDS")
    assert shown(page) == ["run-5"]
    page.js(
        "(() => { const s = document.getElementById('search'); s.value = 'zzz';"
        " s.dispatchEvent(new Event('input')); })()"
    )
    assert shown(page) == []
    assert page.visible("#none") == ["none"]


def test_expand_opens_every_shown_run(page: Page, filter_report: Path):
    page.open(filter_report)
    page.click("input[name=outcome][value=passed]")
    page.click("#expand")
    opened = page.js("[...document.querySelectorAll('details.run')].map(d => d.open)")
    assert opened == [True, True, True, False, False]


def test_a_link_to_a_run_opens_it(page: Page, filter_report: Path):
    page.open(filter_report, fragment="run-4")
    opened = page.js("[...document.querySelectorAll('details.run')].filter(d => d.open).length")
    assert page.js("document.getElementById('run-4').open") is True
    assert opened == 4  # the three failing runs start open (few failures), and run-4
    # The page's own hashchange listener was added first, so it has run when ours does.
    assert page.js(
        "new Promise(done => { addEventListener('hashchange', () =>"
        " done(document.getElementById('run-1').open), {once: true});"
        " location.hash = '#run-1'; })"
    )


@pytest.mark.parametrize("csp", ["policy on", "policy bypassed"])
def test_hostile_report_text_stays_text(
    page: Page, tmp_path: Path, make_run_report, make_result_report, csp: str
):
    transcript = (
        f"Testing Agent: {HOSTILE}\nMain Agent: {HOSTILE}\n"
        f"Function Call: lookup({HOSTILE})\nFunction Call Result: lookup -> {HOSTILE}"
    )
    runs = [
        make_run_report(
            1,
            Outcome.FAILED,
            case_name=HOSTILE,
            scenario_name=HOSTILE,
            reason=HOSTILE,
            transcript=transcript,
            url="javascript:window.__pwned = 6",
            tags=(HOSTILE,),
        )
    ]
    path = tmp_path / "hostile.html"
    write_html(make_result_report(runs, name=HOSTILE, notes=(HOSTILE,)), path)
    page.open(path, bypass_csp=csp == "policy bypassed")

    assert page.js("typeof window.__pwned") == "undefined"
    assert page.js("document.title").startswith("cekura failed: <script>")
    assert page.js("document.scripts.length") == 1
    assert page.js("document.querySelectorAll('img, svg, style, a[href^=javascript]').length") == 1
    assert (
        page.js(
            "[...document.querySelectorAll('*')].filter(e =>"
            " [...e.attributes].some(a => a.name.startsWith('on'))).length"
        )
        == 0
    )
    body = page.js("document.querySelector('#run-1 .tx').textContent")
    assert body.count("<script>window.__pwned = 1</script>") == 4
    assert "\u2028" in body
    assert page.js("getComputedStyle(document.body).display") == "block"
    assert page.requests() == [path.resolve().as_uri()]  # the hostile <img> fetched nothing
    page.click("#run-1 .meta span:last-child")  # the javascript: URL is text, not a link
    assert page.js("typeof window.__pwned") == "undefined"


@pytest.mark.parametrize("width", [375, 1440])
def test_both_pages_fit_the_width_without_sideways_scrolling(
    page: Page, tmp_path: Path, make_run_report, make_result_report, width: int
):
    long_word = "x" * 300
    runs = [
        make_run_report(
            1,
            Outcome.FAILED,
            case_name=f"a very long scenario name {long_word}",
            reason=f"reason {long_word}",
            transcript=f"Main Agent: {long_word}\nFunction Call: f({long_word})",
        ),
        make_run_report(2, Outcome.PASSED),
    ]
    report_path = tmp_path / "report.html"
    write_html(make_result_report(runs), report_path)
    trend_path = tmp_path / "trend.html"
    documents = [
        ReportFile(f"nightly-{i}-{long_word}.json", _document(i, i % 3 != 0)) for i in range(12)
    ]
    write_trend_html(build_trend(documents), trend_path)
    for path in (report_path, trend_path):
        page.open(path, width=width)
        assert page.js("document.documentElement.scrollWidth") <= width, path.name


def test_the_trend_page_loads_offline_and_charts_every_report(page: Page, tmp_path: Path):
    documents = [ReportFile(f"night-{i:02d}.json", _document(i, i % 2 == 0)) for i in range(7)]
    documents.append(ReportFile(f"{HOSTILE}.json", _document(99, False, name=HOSTILE)))
    path = tmp_path / "trend.html"
    write_trend_html(build_trend(documents), path)
    page.open(path)
    assert page.requests() == [path.resolve().as_uri()]
    assert page.js("document.querySelectorAll('svg.chart circle').length") == 8
    assert page.js("document.scripts.length") == 0
    assert page.js("typeof window.__pwned") == "undefined"
    first_row = page.js("document.querySelector('#reports tbody td').textContent")
    assert first_row == f"{HOSTILE}.json"  # result 99 is the newest


def _document(result_id: int, passed: bool, *, name: str | None = None) -> dict[str, object]:
    runs = [
        {
            "run_id": result_id * 10 + k,
            "scenario_id": k,
            "scenario_name": f"scenario {k}",
            "outcome": "passed" if passed or k else "failed",
            "reason": None if passed or k else f"reason {result_id}",
            "url": f"https://dashboard.example/r/{result_id}?run={k}",
        }
        for k in range(3)
    ]
    total, ok = 3, sum(r["outcome"] == "passed" for r in runs)
    return {
        "result_id": result_id,
        "result_url": f"https://dashboard.example/r/{result_id}",
        "name": name or f"nightly {result_id}",
        "verdict": "passed" if ok == total else "failed",
        "counts": {"total": total, "passed": ok, "failed": total - ok, "errored": 0},
        "min_pass_rate": 1.0,
        "runs": runs,
    }
