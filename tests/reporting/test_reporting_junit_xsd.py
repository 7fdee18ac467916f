"""JUnit XML against the Jenkins JUnit XSD (tests/reporting/data/jenkins-junit-10.xsd).

Validated with ``xmlschema`` (a test-only extra): pure Python, so it installs
everywhere the suite runs with no compiler or libxml2, and it reports the failing path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.reporting.junit import iter_junit
from cekura_cli.reporting.model import Outcome

xmlschema = pytest.importorskip("xmlschema")

XSD = Path(__file__).parent / "data" / "jenkins-junit-10.xsd"


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema10(XSD)


def _errors(schema, report) -> list[str]:
    document = "".join(iter_junit(report))
    return [str(error.reason) for error in schema.iter_errors(document)]


def test_the_representative_report_is_valid(schema, representative_report):
    assert _errors(schema, representative_report) == []


def test_an_empty_result_is_valid(schema, make_result_report):
    assert _errors(schema, make_result_report([])) == []


def test_the_schema_catches_what_the_old_writer_did(schema):
    # The writer used to put skipped= on <testsuites>; the XSD must reject exactly that.
    bad = '<testsuites skipped="0"><testsuite tests="0"/></testsuites>'
    assert list(schema.iter_errors(bad))


@settings(max_examples=40, deadline=None)
@given(name=st.text(), reason=st.text(), status=st.text(max_size=20))
def test_any_text_stays_valid(schema, make_run_report, make_result_report, name, reason, status):
    runs = [
        make_run_report(1, Outcome.FAILED, case_name=name, reason=reason),
        make_run_report(2, Outcome.ERROR, case_name=name, status=status, reason=reason),
        make_run_report(3, Outcome.PASSED, case_name=name),
    ]
    assert _errors(schema, make_result_report(runs, name=name)) == []
