"""Pure suite logic: selection, the posted spec, 400s mapped back, case keys and skipped cases."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from suite_helpers import VALID, load, many_cases

from cekura_cli.reporting.json_report import report_to_dict
from cekura_cli.reporting.junit import iter_junit
from cekura_cli.reporting.model import Counts, Outcome, ResultReport, RunReport, Verdict
from cekura_cli.suite.posting import build_body, build_spec, service_problems
from cekura_cli.suite.report import add_suite_identity
from cekura_cli.suite.selection import CaseSelection, select_cases


def keys(cases) -> list[str]:
    return [c.identity for c in cases]


def test_selection_by_tag_counts_defaults_tags_and_excludes(tmp_path: Path) -> None:
    cases = load(tmp_path).cases
    assert keys(select_cases(cases, CaseSelection()).cases) == [
        "greet",
        "weather",
        "Hangs up on goodbye",
    ]
    every = keys(cases)
    assert keys(select_cases(cases, CaseSelection(tags=("CI",))).cases) == every  # defaults.tags
    smoke = CaseSelection(tags=("smoke",), exclude_tags=("flaky",))
    assert keys(select_cases(cases, smoke).cases) == ["greet"]
    both = CaseSelection(tags=("smoke", "flaky"), match="all")
    assert keys(select_cases(cases, both).cases) == ["weather"]


def test_selection_by_case_key_or_keyless_name_and_missing_keys(tmp_path: Path) -> None:
    cases = load(tmp_path).cases
    chosen = select_cases(cases, CaseSelection(case_keys=("Hangs up on goodbye", "nope", "greet")))
    assert keys(chosen.cases) == ["greet", "Hangs up on goodbye"]  # file order
    assert chosen.missing_keys == ["nope"]
    union = CaseSelection(tags=("critical",), case_keys=("weather",), exclude_tags=("flaky",))
    assert keys(select_cases(cases, union).cases) == ["Hangs up on goodbye"]


def test_the_posted_spec_has_only_the_selection_and_no_local_blocks(tmp_path: Path) -> None:
    suite = load(tmp_path)
    chosen = [suite.cases[0], suite.cases[2]]
    spec = build_spec(suite, chosen, frequency=3)
    assert spec["version"] == "1" and spec["suite"] == {"name": "Demo"}
    assert [c["name"] for c in spec["scenarios"]] == [c.name for c in chosen]
    assert all("local" not in c and c["frequency"] == 3 for c in spec["scenarios"])
    assert "local" not in spec
    body = build_body(spec, agent_id=7, name="x" * 300)
    assert body["channel"] == "text" and body["agent_id"] == 7 and len(body["name"]) == 255


def test_an_offline_spec_drops_service_only_references(tmp_path: Path) -> None:
    suite = load(tmp_path)
    spec = build_spec(suite, suite.cases, offline=True)
    assert all("metrics" not in c for c in spec["scenarios"])
    assert "metrics" in build_spec(suite, suite.cases)["scenarios"][1]


def test_wrapped_and_flat_400s_map_to_the_file_index_and_line(tmp_path: Path) -> None:
    suite = load(tmp_path)
    posted = [suite.cases[1], suite.cases[2]]  # the service numbers these 0 and 1
    wrapped = {"errors": {"scenarios[0].metrics[0]": ["not enabled"], "agent_id": ["bad"]}}
    flat = {"scenarios[1].name": ["too long"], "non_field_errors": ["agent not set up"]}
    assert [str(p) for p in service_problems(wrapped, suite, posted)] == [
        f"{suite.file}:20: scenarios[1].metrics[0]: not enabled",
        f"{suite.file}: agent_id: bad",
    ]
    assert [str(p) for p in service_problems(flat, suite, posted)] == [
        f"{suite.file}:21: scenarios[2].name: too long",
        f"{suite.file}: (request): agent not set up",
    ]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.booleans(), min_size=12, max_size=12))
def test_a_posted_index_always_maps_back_to_its_case(tmp_path_factory, chosen_mask) -> None:
    suite = load(tmp_path_factory.mktemp("s"), many_cases(12))
    posted = [case for case, keep in zip(suite.cases, chosen_mask, strict=True) if keep]
    payload = {f"scenarios[{i}].name": [f"p{i}"] for i in range(len(posted))}
    mapped = service_problems(payload, suite, posted)
    assert [p.location for p in mapped] == [f"scenarios[{c.index}].name" for c in posted]
    assert [p.line for p in mapped] == [c.line + 1 for c in posted]


def _run(run_id: int, name: str, scenario_id: int, outcome: Outcome = Outcome.PASSED) -> RunReport:
    return RunReport(
        run_id=run_id,
        scenario_id=scenario_id,
        scenario_name=name,
        case_name=name,
        status="completed",
        success=outcome is Outcome.PASSED,
        outcome=outcome,
        reason=None,
        transcript=None,
        url=None,
    )


def _report(runs: list[RunReport]) -> ResultReport:
    return ResultReport(
        result_id=1,
        result_url="http://x/1",
        name="n",
        status="completed",
        verdict=Verdict.PASSED,
        exit_code=0,
        counts=Counts(total=len(runs), passed=len(runs), failed=0, errored=0),
        pass_rate=1.0,
        min_pass_rate=1.0,
        runs=tuple(runs),
    )


def test_case_keys_name_the_junit_testcases_and_skipped_cases_never_pass(tmp_path: Path) -> None:
    suite = load(tmp_path)
    greet, weather, hangs = suite.cases
    renamed = _run(1001, "Greets (renamed in the dashboard)", 41)
    report = add_suite_identity(
        _report([renamed, _run(1002, "Hangs up on goodbye", 43)]),
        suite.cases,
        case_by_scenario_id={41: greet},
        skipped=[weather],
    )
    document = report_to_dict(report)
    assert [r["case_key"] for r in document["runs"]] == ["greet", None, "weather"]
    assert document["runs"][2]["outcome"] == "skipped" and document["runs"][2]["run_id"] is None
    assert document["counts"] == {"total": 2, "passed": 2, "failed": 0, "errored": 0, "skipped": 1}
    assert document["pass_rate"] == 1.0
    xml = "".join(iter_junit(report))
    assert 'name="greet"' in xml and 'name="Hangs up on goodbye"' in xml
    assert 'name="weather"' in xml and "<skipped message=" in xml
    assert 'skipped="1"' in xml and 'failures="0"' in xml


def test_a_repeated_keyed_case_gets_numbered_junit_names(tmp_path: Path) -> None:
    suite = load(tmp_path)
    first, second = (
        RunReport(
            run_id=i,
            scenario_id=9,
            scenario_name="Greets and offers to book",
            case_name=f"Greets and offers to book #{i}",
            status="completed",
            success=True,
            outcome=Outcome.PASSED,
            reason=None,
            transcript=None,
            url=None,
        )
        for i in (1, 2)
    )
    report = add_suite_identity(_report([first, second]), suite.cases, case_by_scenario_id={})
    assert [r.test_name for r in report.runs] == ["greet #1", "greet #2"]


def test_the_sandbox_suite_takes_the_case_and_lets_local_win(tmp_path: Path) -> None:
    from cekura_cli.suite.local import sandbox_suite

    text = (
        VALID.replace(
            "      turns:\n",
            "      description: Scripted greeting.\n      headers: {X-Team: a}\n      turns:\n",
            1,
        ).replace(
            "    metrics: [expected_outcome]\n",
            "    metrics: [expected_outcome]\n"
            "    test_profile: {name: P, agent_variables: {X-Id: '7'}}\n"
            "    local:\n      turns: [{say: weather?}]\n",
        )
        + "local:\n  defaults: {first_speaker: tester}\n"
    )
    suite = load(tmp_path, text)
    sandbox = sandbox_suite(suite, suite.cases)
    greet, weather = sandbox.scenarios  # the keyless case has no local: block
    assert (greet.id, greet.name, greet.tags) == (1, "Greets and offers to book", ["smoke", "ci"])
    assert greet.description == "Scripted greeting." and greet.headers == {"X-Team": "a"}
    assert weather.description == "Ask about the weather." and weather.test_profile == 1
    assert sandbox.test_profile_by_id()[1].information == {"X-Id": "7"}
    assert sandbox.defaults.first_speaker == "tester"


_TAGS = st.sampled_from(["smoke", "Smoke", "critical", "ci", "flaky"])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    case_tags=st.lists(st.lists(_TAGS, max_size=3), min_size=1, max_size=8),
    wanted=st.lists(_TAGS, max_size=2),
    excluded=st.lists(_TAGS, max_size=2),
    keys=st.lists(st.integers(0, 9), max_size=3),
    match=st.sampled_from(["any", "all"]),
)
def test_selection_is_tags_union_keys_minus_excluded_in_file_order(
    case_tags, wanted, excluded, keys, match
) -> None:
    from cekura_cli.suite.model import SuiteCase

    cases = [
        SuiteCase(index=i, name=f"n{i}", key=f"k{i}", tags=tuple(t), frequency=1, line=i, spec={})
        for i, t in enumerate(case_tags)
    ]
    selection = CaseSelection(
        tags=tuple(wanted), match=match, exclude_tags=tuple(excluded),
        case_keys=tuple(f"k{k}" for k in keys),
    )  # fmt: skip
    outcome = select_cases(cases, selection)

    def fold(tags):
        return {t.casefold() for t in tags}

    def by_tags(case):
        if not wanted:
            return False
        have, want = fold(case.tags), fold(wanted)
        return want <= have if match == "all" else bool(want & have)

    everything = not wanted and not keys
    expected = [
        c for c in cases
        if (everything or by_tags(c) or c.key in selection.case_keys)
        and not fold(c.tags) & fold(excluded)
    ]  # fmt: skip
    assert outcome.cases == expected
    assert outcome.missing_keys == [
        k for k in dict.fromkeys(selection.case_keys) if k not in {c.key for c in cases}
    ]
