"""Offline validation: the bundled schema, the extra rules, local: blocks, lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from suite_helpers import VALID, load, many_cases, write

from cekura_cli.suite.loading import check_file, load_suite_file
from cekura_cli.suite.schema import bundled_schema
from cekura_cli.suite.source import SuiteFileError


def problems(tmp_path: Path, text: str, name: str = "suite.yaml") -> list[str]:
    return [str(p) for p in check_file(write(tmp_path, text, name), display=name)]


def test_the_bundled_schema_is_the_services_v1_copy() -> None:
    reference = Path(__file__).resolve().parents[3] / "shared/reference"
    schema = bundled_schema()
    assert schema["$id"] == "https://docs.cekura.ai/schemas/test-suite/v1.json"
    assert schema["$schema"].endswith("2020-12/schema")
    shared = reference / "cekura-test-suite-v1.schema.json"
    if shared.is_file():  # the development machine keeps the service's original beside us
        assert schema == json.loads(shared.read_text(encoding="utf-8"))


def test_a_valid_file_has_no_problems_and_loads_its_cases(tmp_path: Path) -> None:
    suite = load(tmp_path)
    assert [c.identity for c in suite.cases] == ["greet", "weather", "Hangs up on goodbye"]
    assert suite.cases[0].tags == ("smoke", "ci")  # defaults.tags count
    assert suite.cases[2].key is None and suite.cases[2].frequency == 2
    assert suite.cases[0].local is not None and "local" not in suite.cases[0].spec
    assert suite.cases[1].line == 16 and suite.cases[0].line == 7


def test_json_and_yaml_mean_the_same(tmp_path: Path) -> None:
    as_json = json.dumps(yaml.safe_load(VALID), indent=2)
    from_yaml, from_json = load(tmp_path), load(tmp_path, as_json, "suite.json")
    assert [c.spec for c in from_yaml.cases] == [c.spec for c in from_json.cases]
    assert from_json.cases[1].line is not None  # JSON keeps line numbers too


def test_an_unknown_field_names_its_line_and_the_likely_field(tmp_path: Path) -> None:
    text = VALID.replace("    instructions: Ask about the weather.", "    instrucions: Ask.")
    found = problems(tmp_path, text)
    assert (
        "suite.yaml:18: scenarios[1].instrucions: unknown field 'instrucions'; did you mean "
        in ("\n".join(found))
    )
    assert any("scenarios[1]: required field 'instructions' is missing" in p for p in found)


def test_every_problem_is_listed_at_once_in_line_order(tmp_path: Path) -> None:
    text = (
        VALID.replace("key: weather", "key: greet")
        .replace("metrics: [expected_outcome]", "metrics: ['Bad Slug']")
        .replace("frequency: 2", "frequency: 0")
        .replace("reply_contains: book", "reply_contain: book")
    )
    found = problems(tmp_path, text)
    assert found == [
        "suite.yaml:15: scenarios[0].local.turns[0].expect.reply_contain: unknown field "
        "'reply_contain'; did you mean 'reply_contains'?",
        "suite.yaml:16: scenarios[1].key: duplicate key 'greet' (also scenarios[0]); keys "
        "identify test cases across commits and must be unique",
        "suite.yaml:20: scenarios[1].metrics[0]: 'Bad Slug' does not match '^[a-z0-9_]+$'",
        "suite.yaml:24: scenarios[2].frequency: 0 is less than the minimum of 1",
    ]


def test_duplicate_names_and_a_name_shadowing_a_key(tmp_path: Path) -> None:
    text = VALID.replace("name: Stays on topic", "name: greets and offers to book").replace(
        "name: Hangs up on goodbye", "name: weather"
    )
    found = problems(tmp_path, text)
    assert any("scenarios[1].name: duplicate name" in p for p in found)
    assert any("keyless case is identified by its name 'weather'" in p for p in found)


@pytest.mark.parametrize(
    ("count", "message"),
    [(201, "201 test cases; a suite holds 1 to 200"), (0, "0 test cases; a suite holds 1 to 200")],
)
def test_a_suite_holds_1_to_200_cases(tmp_path: Path, count: int, message: str) -> None:
    text = many_cases(count) if count else 'version: "1"\nscenarios: []\n'
    found = problems(tmp_path, text)
    assert any(f"suite.yaml:2: scenarios: {message}" in p for p in found), found


def test_200_cases_are_fine(tmp_path: Path) -> None:
    assert problems(tmp_path, many_cases(200)) == []


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("version: '1'\nscenarios: [\n", "s.yaml", "s.yaml:3: (file): YAML syntax error"),
        ('{"version": "1",\n "scenarios": [}', "s.json", "s.json:2: (file): invalid JSON"),
        ("", "s.yaml", "s.yaml:1: (top level): the file is empty"),
        ("- a\n- b\n", "s.yaml", "s.yaml:1: (top level): expected a mapping"),
        ("version: 1\nscenarios: [{name: a, instructions: b}]\n", "s.yaml", "s.yaml:1: version"),
    ],
)
def test_malformed_files_get_one_line_with_the_place(
    tmp_path: Path, text: str, name: str, expected: str
) -> None:
    found = problems(tmp_path, text, name)
    assert found and found[0].startswith(expected), found


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    assert [str(p) for p in check_file(tmp_path / "nope.yaml")] == [
        f"{tmp_path / 'nope.yaml'}:1: (file): suite file not found"
    ]


def test_local_blocks_are_checked_with_the_sandbox_models(tmp_path: Path) -> None:
    text = VALID.replace("      turns:\n", "      first_speaker: nobody\n      turns:\n").replace(
        "reply_contains: book", "reply_matches: '('"
    )
    found = problems(tmp_path, text)
    assert any(p.startswith("suite.yaml:12: scenarios[0].local.first_speaker:") for p in found)
    assert any(
        "scenarios[0].local.turns[0].expect.reply_matches: invalid regex" in p for p in found
    )


def test_unknown_local_keys_and_a_bad_top_level_local_block(tmp_path: Path) -> None:
    text = VALID.replace("      turns:\n", "      name: x\n      turns:\n") + (
        "local:\n  defaults:\n    greeting_timeout_s: -1\n  agnet: {}\n"
    )
    found = problems(tmp_path, text)
    assert any("scenarios[0].local.name: unknown field 'name'" in p for p in found)
    assert any("local.defaults.greeting_timeout_s:" in p for p in found)
    assert any("local.agnet: unknown field 'agnet'; did you mean 'agent'?" in p for p in found)


def test_loading_an_invalid_file_raises_with_every_problem(tmp_path: Path) -> None:
    text = VALID.replace("key: weather", "key: greet").replace("frequency: 2", "frequency: 0")
    with pytest.raises(SuiteFileError) as caught:
        load_suite_file(write(tmp_path, text), display="suite.yaml")
    assert len(caught.value.problems) == 2
    assert caught.value.exit_code == 2
    assert "(and 1 more problem)" in caught.value.message


def test_the_fast_schema_gives_the_same_verdicts_as_the_services(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    from cekura_cli.suite.schema import fast_equivalent

    original = Draft202012Validator(bundled_schema())
    fast = Draft202012Validator(fast_equivalent(bundled_schema()))
    assert "$ref" not in json.dumps(fast.schema) and "oneOf" not in json.dumps(fast.schema)
    base = yaml.safe_load(VALID)
    for case in base["scenarios"]:
        case.pop("local", None)
    variants = [
        {},
        {"personality": 3},
        {"personality": 0},
        {"personality": "x"},
        {"personality": {"prompt": "p"}},
        {"personality": {"base": 2, "speed": 1.1}},
        {"personality": {"base": 2, "speed": 2}},
        {"test_profile": {"name": "n", "caller_variables": {"a": 1}}},
        {"test_profile": {}},
        {"test_profile": True},
        {"metrics": [1, "slug_ok", "Bad", 0, 2.5]},
        {"type": "conditional_actions"},
        {"type": "conditional_actions", "conditional_actions": {}, "language": "en"},
    ]
    for variant in variants:
        document = json.loads(json.dumps(base))
        document["scenarios"][0].update(variant)
        assert original.is_valid(document) == fast.is_valid(document), variant
        paths = sorted(list(e.absolute_path) for e in original.iter_errors(document))
        assert paths == sorted(list(e.absolute_path) for e in fast.iter_errors(document)), variant


LOCAL_SAMPLES = [
    {"turns": [{"say": "hi"}]},
    {"turns": []},
    {"turns": [{"say": ""}]},
    {"turns": [{"say": "hi", "expect": {"reply_contains": ["a", "b"], "no_tool_calls": True}}]},
    {"turns": [{"say": "hi", "expect": {"reply_contains": ""}}]},
    {"turns": [{"say": "hi", "expect": {"reply_matches": "("}}]},
    {"turns": [{"say": "hi", "expect": {"tool_called": [{"name": "t", "arguments": {"a": 1}}]}}]},
    {"turns": [{"say": "hi", "expect": {"tool_called": {"arguments": {}}}}]},
    {"turns": [{"say": "hi"}], "expect": {"max_turns": 0}},
    {"turns": [{"say": "hi"}], "expect": {"max_turn_latency_s": 0.5, "agent_ends_call": False}},
    {"turns": [{"say": "hi"}], "first_speaker": "tester", "headers": {"X-Team": "a"}},
    {"turns": [{"say": "hi"}], "headers": {"Team": "a"}},
    {"turns": [{"say": "hi"}], "headers": {"X-VOCERA-SECRET": "a"}},
    {"turns": [{"say": "hi"}], "headers": {"X-Team": 3}},
    {"turns": [{"say": "hi"}], "colour": "red"},
    {"turns": "hi"},
]


@pytest.mark.parametrize("block", LOCAL_SAMPLES)
def test_local_blocks_are_judged_as_the_sandbox_models_judge_them(
    tmp_path: Path, block: dict
) -> None:
    """The offline check (JSON Schema + two rules, no pydantic) agrees with the models."""
    from pydantic import ValidationError

    from cekura_cli.sandbox.scenario_file import ScenarioSpec

    try:
        ScenarioSpec.model_validate({"name": "n", **block})
        accepted = True
    except ValidationError:
        accepted = False
    document = yaml.safe_load(VALID)
    document["scenarios"][0]["local"] = block
    found = [
        p
        for p in check_file(write(tmp_path, json.dumps(document), "s.json"))
        if ".local" in p.location
    ]
    assert (found == []) == accepted, found


def test_local_blocks_may_set_scenario_keys_but_not_name_tags_or_id(tmp_path: Path) -> None:
    extra = "        - say: Hi\n      description: Scripted.\n      frequency: 2\n"
    text = VALID.replace("          expect:\n            reply_contains: book\n", "", 1).replace(
        "        - say: Hi, what can you do for me?\n", extra
    )
    assert problems(tmp_path, text) == []
    for key, value in (("name", "x"), ("tags", "[a]"), ("id", "3")):
        bad = text.replace("      frequency: 2\n", f"      frequency: 2\n      {key}: {value}\n")
        assert any(
            f"scenarios[0].local.{key}: unknown field '{key}'" in p for p in problems(tmp_path, bad)
        )


def test_local_references_and_greeting_rules(tmp_path: Path) -> None:
    text = VALID.replace("      turns:\n", "      test_profile: 4\n      turns:\n", 1)
    assert any(
        "local.test_profile: unknown test profile 4 (local.test_profiles: none defined)" in p
        for p in problems(tmp_path, text)
    )
    fixed = (
        text + "local:\n  test_profiles:\n    - {id: 4, name: VIP, information: {X-Tier: gold}}\n"
    )
    assert problems(tmp_path, fixed) == []
    greeting = VALID.replace(
        "      turns:\n",
        "      first_speaker: tester\n      expect: {greeting_contains: Hi}\n      turns:\n",
        1,
    )
    assert any(
        "local.expect.greeting_contains: needs first_speaker: agent" in p
        for p in problems(tmp_path, greeting)
    )


def test_every_missing_field_is_named_with_why(tmp_path: Path) -> None:
    text = (
        'version: "1"\nscenarios:\n  - name: a\n    instructions: b\n    personality: {prompt: p}\n'
        "  - name: c\n    type: conditional_actions\n"
    )
    found = problems(tmp_path, text)
    inline = "(an inline personality without 'base' needs it)"
    assert [p for p in found if "personality" in p] == [
        f"suite.yaml:5: scenarios[0].personality: required field '{name}' is missing {inline}"
        for name in ("language", "voice_model", "voice_id", "background_noise")
    ]
    assert found[-2:] == [
        "suite.yaml:6: scenarios[1]: required field 'conditional_actions' is missing "
        "(type: conditional_actions needs it)",
        "suite.yaml:6: scenarios[1]: required field 'language' is missing "
        "(type: conditional_actions needs it)",
    ]
