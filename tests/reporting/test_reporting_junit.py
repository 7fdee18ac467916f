"""JUnit XML: structure, counts, classification, and validity for any text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.reporting.junit import classname_for, iter_junit, write_junit
from cekura_cli.reporting.model import Outcome


def _parse(report) -> ET.Element:
    return ET.fromstring("".join(iter_junit(report)).encode("utf-8"))


def test_one_testcase_per_run_with_counts(representative_report):
    root = _parse(representative_report)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "cekura"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "1")
    assert suite.get("skipped") == "0"
    assert root.get("skipped") is None  # not allowed on <testsuites> by the Jenkins XSD
    assert suite.get("time") == "72.346"
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases][:3] == [
        "Book a table #1",
        "Book a table #2",
        "Réservation — café ☕",
    ]
    assert {case.get("classname") for case in cases} == {"cekura.agent_7"}


def test_failures_and_errors_are_classified(representative_report):
    cases = _parse(representative_report).find("testsuite").findall("testcase")
    passed, failed, errored = cases[0], cases[1], cases[2]
    assert passed.find("failure") is None and passed.find("error") is None
    failure = failed.find("failure")
    assert failure.get("type") == "check"
    assert failure.get("message") == (
        "Expected outcome: agent confirms the time | got: no confirmation"
    )
    error = errored.find("error")
    assert error.get("type") == "timeout"
    assert error.get("message").startswith("Connection to wss://agent.example/ws failed")
    assert "timed out\nafter 30s\nhttps://" in error.text  # the element keeps the newline


def test_system_out_has_the_link_and_the_transcript(representative_report):
    case = _parse(representative_report).find("testsuite").findall("testcase")[1]
    out = case.find("system-out").text
    assert "https://dashboard.cekura.ai/7/results/123?run=275" in out
    assert "Main Agent: <maybe> & \"later\" ]]> 'ok'" in out


def test_a_failing_run_without_reason_still_says_why(make_run_report, make_result_report):
    report = make_result_report([make_run_report(1, Outcome.FAILED, reason=None)])
    failure = _parse(report).find("testsuite/testcase/failure")
    assert "did not pass" in failure.get("message")


def test_classname_names_the_agent_never_the_run(make_run_report, make_result_report):
    runs = [make_run_report(1, Outcome.PASSED)]
    first = make_result_report(runs, name="PR #1 main@aaaaaaa", result_id=1)
    second = make_result_report(runs, name="nightly 2026-12-01", result_id=2)
    assert classname_for(first) == classname_for(second) == "cekura.agent_7"
    assert classname_for(make_result_report(runs, agent_id=None)) == "cekura"


def test_testcase_names_are_unique_within_the_file(make_run_report, make_result_report):
    runs = [
        make_run_report(1, Outcome.PASSED, scenario_id=10, case_name="Greets"),
        make_run_report(2, Outcome.FAILED, scenario_id=11, case_name="Greets"),
        make_run_report(3, Outcome.PASSED, scenario_id=12, case_name="Books"),
        make_run_report(4, Outcome.PASSED, scenario_id=None, case_name="Books"),
        make_run_report(5, Outcome.PASSED, scenario_id=None, case_name="Books"),
        make_run_report(6, Outcome.PASSED, scenario_id=13, case_name="Alone"),
    ]
    names = [case.get("name") for case in _parse(make_result_report(runs)).iter("testcase")]
    assert names == [
        "Greets [scenario 10]",
        "Greets [scenario 11]",
        "Books [scenario 12]",
        "Books [run 4]",
        "Books [run 5]",
        "Alone",
    ]


def test_the_failure_body_starts_with_the_reason_then_the_link(make_run_report, make_result_report):
    run = make_run_report(9, Outcome.FAILED, reason="greeting: no reply", url="https://d/1?runId=9")
    failure = _parse(make_result_report([run])).find("testsuite/testcase/failure")
    assert failure.text.splitlines()[:2] == ["greeting: no reply", "https://d/1?runId=9"]


def test_an_empty_result_is_a_valid_document(make_result_report):
    suite = _parse(make_result_report([])).find("testsuite")
    assert suite.get("tests") == "0"
    assert suite.findall("testcase") == []


def test_write_junit_creates_the_file_atomically(representative_report, tmp_path):
    path = tmp_path / "reports" / "junit.xml"
    write_junit(representative_report, path)
    assert ET.parse(path).getroot().tag == "testsuites"
    assert [p.name for p in path.parent.iterdir()] == ["junit.xml"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(),
    reason=st.text(),
    transcript=st.text(),
    status=st.text(max_size=20),
)
def test_any_text_gives_valid_xml(
    make_run_report, make_result_report, name, reason, transcript, status
):
    runs = [
        make_run_report(1, Outcome.FAILED, case_name=name, reason=reason, transcript=transcript),
        make_run_report(2, Outcome.ERROR, status=status, reason=reason + "]]>", url=name),
    ]
    root = _parse(make_result_report(runs, name=name))
    assert len(root.find("testsuite").findall("testcase")) == 2
