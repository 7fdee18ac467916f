"""The HTML report (``--html``): structure, escaping, the size budget, the file writer.

The same pages are opened in a real browser in ``test_reporting_html_browser.py``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.redact import register_secret
from cekura_cli.reporting import html as html_report
from cekura_cli.reporting._files import ReportWriteError
from cekura_cli.reporting.html import render_html, transcript_allowances, write_html
from cekura_cli.reporting.model import Outcome

HOSTILE = (
    "<script>window.__pwned = 1</script>"
    '<img src="http://127.0.0.1:9/x.png" onerror="window.__pwned = 2">'
    "</script><script>document.title = 'pwned'</script>"
    "\u2028\u2029 & &amp; ]]> {{ }} ${x}"
)


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies.append(data)


def elements(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


def run_ids_in_order(page: str) -> list[int]:
    return [int(m) for m in re.findall(r'<details class="run [^"]*" id="run-(\d+)"', page)]


def test_runs_come_failures_first_errors_before_failures(make_run_report, make_result_report):
    runs = [
        make_run_report(1, Outcome.PASSED),
        make_run_report(2, Outcome.FAILED, reason="metric x failed"),
        make_run_report(3, Outcome.ERROR, status="timeout"),
        make_run_report(4, Outcome.FAILED),
        make_run_report(5, Outcome.PASSED),
    ]
    page = render_html(make_result_report(runs))
    assert run_ids_in_order(page) == [3, 2, 4, 1, 5]
    assert 'data-outcome="error"' in page and 'data-outcome="passed"' in page


def test_every_run_shows_its_reason_link_and_transcript(representative_report):
    page = render_html(representative_report)
    for run in representative_report.runs:
        assert f'id="run-{run.run_id}"' in page
        if run.url:
            assert f'href="{run.url}"' in page
    assert "Expected outcome: agent confirms the time | got: no confirmation" in page
    assert "Booked ✅" in page
    assert f'href="{representative_report.result_url}"' in page
    assert representative_report.name in page


def test_a_few_failures_start_expanded_many_do_not(make_run_report, make_result_report):
    few = render_html(make_result_report([make_run_report(1, Outcome.FAILED)]))
    assert re.search(r'id="run-1"[^>]* open>', few)
    many_runs = [make_run_report(i, Outcome.FAILED) for i in range(1, 30)]
    many = render_html(make_result_report(many_runs))
    assert not re.search(r'id="run-\d+"[^>]* open>', many)


def test_tool_calls_and_results_are_marked_as_such(make_run_report, make_result_report):
    transcript = (
        "[00:01] Testing Agent: book 3pm\n"
        '[00:02] Function Call: book_slot({"time": "15:00"})\n'
        "[00:02] Function Call Result: book_slot -> BK-1\n"
        "[00:03] Main Agent: done"
    )
    run = make_run_report(1, Outcome.FAILED, transcript=transcript)
    page = render_html(make_result_report([run]))
    assert (
        '<p class="k-call"><b>tool call: book_slot<i>00:02</i></b>{\n  "time": "15:00"\n}</p>'
        in (page)
    )
    assert '<p class="k-result"><b>tool result: book_slot<i>00:02</i></b>BK-1</p>' in page
    assert '<p class="k-tester"><b>Testing Agent<i>00:01</i></b>book 3pm</p>' in page
    assert '<p class="k-agent"><b>Main Agent<i>00:03</i></b>done</p>' in page


def test_tags_feed_the_filter_and_each_run(make_run_report, make_result_report):
    runs = [
        make_run_report(1, Outcome.FAILED, tags=("critical", "smoke")),
        make_run_report(2, Outcome.PASSED, tags=("smoke", '<b>"odd"</b>')),
    ]
    page = render_html(make_result_report(runs))
    options = re.findall(r'<option value="([^"]*)">', page)
    assert options == ["", "&lt;b&gt;&quot;odd&quot;&lt;/b&gt;", "critical", "smoke"]
    assert 'data-tags="critical&#10;smoke"' in page


def test_hostile_report_text_never_becomes_markup(make_run_report, make_result_report):
    runs = [
        make_run_report(
            1,
            Outcome.FAILED,
            scenario_name=HOSTILE,
            case_name=HOSTILE,
            reason=HOSTILE,
            transcript=f"Testing Agent: {HOSTILE}\nMain Agent: {HOSTILE}\n"
            f"Function Call: f({HOSTILE})\nFunction Call Result: f -> {HOSTILE}",
            url="javascript:window.__pwned=3",
            status=HOSTILE,
            tags=(HOSTILE,),
        ),
        make_run_report(2, Outcome.PASSED, url="https://ok.example/run?a=1&b=<2>"),
    ]
    report = make_result_report(
        runs, name=HOSTILE, result_url="data:text/html,<script>x</script>", notes=(HOSTILE,)
    )
    page = render_html(report)
    parsed = elements(page)
    tag_names = [tag for tag, _ in parsed.tags]
    assert tag_names.count("script") == 1 and "img" not in tag_names
    assert parsed.script_bodies == [html_report.assets.SCRIPT]
    for tag, attrs in parsed.tags:
        assert not [name for name in attrs if name.startswith("on")], tag
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("https://"), href
    assert "javascript:window.__pwned=3" in page  # shown, as text
    assert 'href="https://ok.example/run?a=1&amp;b=&lt;2&gt;"' in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "\u2028" in page  # harmless in HTML text (it only matters inside scripts)


def test_the_policy_allows_exactly_the_pages_own_style_and_script(representative_report):
    page = render_html(representative_report)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)

    def digest(source: str) -> str:
        return base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest(script)}'" in policy
    assert f"style-src 'sha256-{digest(style)}'" in policy
    assert "default-src 'none'" in policy
    assert "http" not in page.split("<main>")[0].replace("http-equiv", "")  # nothing to fetch


def test_secrets_in_report_text_are_masked(make_run_report, make_result_report):
    secret = "sk_test_html_0123456789abcdef"
    register_secret(secret)
    run = make_run_report(1, Outcome.FAILED, reason=f"key {secret}", transcript=f"User: {secret}")
    page = render_html(make_result_report([run], name=f"run {secret}"))
    assert secret not in page and secret[:12] not in page
    assert "****" in page


def test_a_result_without_runs_says_so_and_has_no_script(make_result_report):
    page = render_html(make_result_report([]))
    assert "This result has no runs." in page
    assert "<script" not in page and "script-src 'none'" in page


def test_big_reports_stay_under_the_limit_failing_transcripts_first(
    monkeypatch, make_run_report, make_result_report
):
    monkeypatch.setattr(html_report, "MAX_BYTES", 160_000)
    transcript = "\n".join(f"Testing Agent: turn {i} " + "x" * 60 for i in range(40))
    runs = [
        make_run_report(i, Outcome.FAILED if i % 4 == 0 else Outcome.PASSED, transcript=transcript)
        for i in range(1, 61)
    ]
    page = render_html(make_result_report(runs))
    assert len(page.encode()) <= 160_000
    blocks = re.split(r'(?=<details class="run )', page)[1:]
    failing = [b for b in blocks if 'data-outcome="failed"' in b]
    passing = [b for b in blocks if 'data-outcome="passed"' in b]
    assert len(failing) == 15 and len(passing) == 45
    assert all("turn 39 " in b and "shortened" not in b for b in failing)
    assert all("Transcript left out" in b or "shortened" in b for b in passing)


def test_a_5000_run_report_stays_under_10_mb(make_run_report, make_result_report):
    transcript = "\n".join(f"Main Agent: line {i} " + "é" * 40 for i in range(40))
    runs = [
        make_run_report(i, Outcome.FAILED if i % 3 == 0 else Outcome.PASSED, transcript=transcript)
        for i in range(5000)
    ]
    page = render_html(make_result_report(runs))
    assert len(page.encode()) < 10_000_000
    assert page.count('<details class="run ') == 5000


@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 5_000)), max_size=30),
    st.integers(0, 60_000),
)
def test_allowances_fit_the_budget_and_serve_failing_runs_first(runs, budget):
    failing = [is_failing for is_failing, _ in runs]
    estimates = [size for _, size in runs]
    allowances = transcript_allowances(failing, estimates, budget)
    assert all(0 <= a <= e for a, e in zip(allowances, estimates, strict=True))
    if sum(estimates) <= budget:
        assert allowances == estimates
    else:
        assert sum(allowances) <= budget
    passing_got = sum(a for a, f in zip(allowances, failing, strict=True) if not f)
    if passing_got:
        assert all(a == e for a, e, f in zip(allowances, estimates, failing, strict=True) if f)


def test_write_html_replaces_the_file_and_creates_folders(tmp_path, representative_report):
    target = tmp_path / "out" / "nested" / "report.html"
    write_html(representative_report, target)
    assert target.read_text(encoding="utf-8") == render_html(representative_report)
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_write_html_to_a_bad_path_is_a_usage_error(tmp_path: Path, representative_report):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportWriteError, match="cannot write the HTML report"):
        write_html(representative_report, tmp_path / "file" / "report.html")


_MARKUP_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "&",
        '"',
        "'",
        "=",
        "/",
        "script",
        "img",
        "onerror",
        "on",
        "javascript:",
        "</details>",
        "</p>",
        "<!--",
        "-->",
        "<![CDATA[",
        "\u2028",
        "\n",
        " ",
        "Main Agent: ",
        "Function Call: f(",
        ")",
        " -> ",
        "{",
        "}",
        "x",
    ]  # fmt: skip
)
_HOSTILE_TEXT = st.lists(_MARKUP_PIECES, max_size=40).map("".join)


@settings(max_examples=60, deadline=None)
@given(name=_HOSTILE_TEXT, reason=_HOSTILE_TEXT, transcript=_HOSTILE_TEXT, tag=_HOSTILE_TEXT)
def test_no_report_text_ever_adds_an_element_or_attribute(name, reason, transcript, tag):
    from cekura_cli.reporting.model import Counts, ResultReport, RunReport, Verdict

    def run(run_id: int) -> RunReport:
        return RunReport(
            run_id=run_id,
            scenario_id=run_id,
            scenario_name=name,
            case_name=name,
            status=reason,
            success=False,
            outcome=Outcome.FAILED,
            reason=reason,
            transcript=transcript,
            url=name,
            tags=(tag,),
        )

    report = ResultReport(
        result_id=1,
        result_url=reason,
        name=name,
        status="completed",
        verdict=Verdict.FAILED,
        exit_code=1,
        counts=Counts(total=2, passed=0, failed=2, errored=0),
        pass_rate=0.0,
        min_pass_rate=1.0,
        runs=(run(1), run(2)),
        notes=(transcript,),
    )
    parsed = elements(render_html(report))
    assert {tag_name for tag_name, _ in parsed.tags} <= _PAGE_ELEMENTS
    assert parsed.script_bodies == [html_report.assets.SCRIPT]
    for _, attrs in parsed.tags:
        assert set(attrs) <= _PAGE_ATTRIBUTES
        if "href" in attrs:
            assert attrs["href"].startswith(("https://", "http://"))


_PAGE_ELEMENTS = {
    *("html", "head", "meta", "title", "style", "body", "main", "header", "div", "h1"),
    *("span", "p", "a", "ul", "li", "nav", "label", "input", "select", "option", "button"),
    *("details", "summary", "b", "i", "script"),
}
_PAGE_ATTRIBUTES = {
    *("lang", "charset", "name", "content", "http-equiv", "class", "id", "data-outcome"),
    *("data-tags", "open", "href", "rel", "type", "value", "checked", "placeholder"),
    *("aria-label", "hidden"),
}
