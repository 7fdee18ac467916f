"""The scenario file: the bundled suite, the shipped schema, and errors with file:line:field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cekura_cli.errors import ConfigError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.sandbox.loader import bundled_suite_path, load_suite, parse_suite
from cekura_cli.sandbox.scenario_file import json_schema, json_schema_text

SCHEMA_FILE = Path(__file__).parents[2] / "cekura_cli" / "sandbox" / "scenario-file.schema.json"

VALID = """\
version: 1
scenarios:
  - name: First
    tags: [a]
    turns:
      - say: hello
        expect:
          reply_contains: hi
  - name: Second
    turns:
      - say: bye
"""


def fail(text: str, filename: str = "cekura-scenarios.yaml") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_suite(text, filename=filename)
    assert caught.value.exit_code == ExitCode.USAGE
    message = caught.value.message
    assert "\n" not in message
    return message


def test_the_bundled_suite_loads_with_the_promised_tags_and_a_tool_call() -> None:
    suite = load_suite(None)
    assert 4 <= len(suite.scenarios) <= 6
    tags = {tag for scenario in suite.scenarios for tag in scenario.tags}
    assert {"smoke-test", "critical"} <= tags
    tool_calls = [
        turn.expect.tool_called
        for scenario in suite.scenarios
        for turn in scenario.turns
        if turn.expect is not None and turn.expect.tool_called is not None
    ]
    assert any(
        call.name == "book_appointment" and call.arguments == {"date": "tomorrow"}
        for call in tool_calls
    )
    assert any(s.expect and s.expect.agent_ends_call for s in suite.scenarios)
    assert [s.id for s in suite.scenarios] == list(range(1, len(suite.scenarios) + 1))


def test_the_shipped_schema_equals_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema_text()


def test_the_schema_forbids_unknown_fields_and_names_the_top_level_keys() -> None:
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert {"scenarios", "agent", "defaults", "test_profiles", "version"} <= set(
        schema["properties"]
    )
    assert schema["$defs"]["TurnExpectation"]["additionalProperties"] is False


def test_ids_default_to_the_position_and_explicit_ids_are_kept() -> None:
    suite = parse_suite(VALID.replace("  - name: Second\n", "  - name: Second\n    id: 42\n"))
    assert [s.id for s in suite.scenarios] == [1, 42]


def test_a_json_scenario_file_uses_the_same_schema(tmp_path: Path) -> None:
    data = {"scenarios": [{"name": "J", "turns": [{"say": "hi"}], "tags": ["x"]}]}
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    suite = load_suite(path)
    assert suite.scenarios[0].name == "J"


def test_a_json_file_error_names_the_line(tmp_path: Path) -> None:
    data = {"scenarios": [{"name": "J", "turns": [{"say": "hi", "expect": {"nope": 1}}]}]}
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_suite(path)
    lines = json.dumps(data, indent=2).splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if '"nope"' in text)
    assert caught.value.message.startswith(
        f"{path}:{line}: scenarios[0].turns[0].expect.nope: unknown field 'nope'"
    )


def test_yaml_syntax_error_names_the_line() -> None:
    text = "scenarios:\n  - name: x\n    turns: [\n      - say: hi\n"
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:4: YAML syntax error:")


def test_unknown_field_names_the_line_the_path_and_a_suggestion() -> None:
    text = VALID.replace("reply_contains: hi", "reply_contain: hi")
    message = fail(text)
    assert message == (
        "cekura-scenarios.yaml:8: scenarios[0].turns[0].expect.reply_contain: "
        "unknown field 'reply_contain'; did you mean 'reply_contains'?"
    )


def test_unknown_field_without_a_close_match_lists_the_allowed_ones() -> None:
    message = fail(VALID.replace("    tags: [a]\n", "    colour: blue\n"))
    assert message.startswith("cekura-scenarios.yaml:4: scenarios[0].colour: unknown field")
    assert "allowed:" in message and "turns" in message


def test_bad_regex_names_the_line_and_the_field() -> None:
    text = VALID.replace("reply_contains: hi", "reply_matches: '(unclosed'")
    message = fail(text)
    assert message.startswith(
        "cekura-scenarios.yaml:8: scenarios[0].turns[0].expect.reply_matches: "
        "invalid regex '(unclosed': missing ), unterminated subpattern"
    )


def test_wrong_type_names_the_line_the_field_and_the_value() -> None:
    text = VALID.replace("  - name: Second\n", "  - name: Second\n    frequency: often\n")
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:10: scenarios[1].frequency: ")
    assert "'often'" in message


def test_wrong_choice_for_first_speaker() -> None:
    text = VALID.replace("    tags: [a]\n", "    tags: [a]\n    first_speaker: caller\n")
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:5: scenarios[0].first_speaker: ")
    assert "'agent'" in message and "'tester'" in message


def test_missing_required_field_points_at_the_mapping() -> None:
    message = fail(VALID.replace("      - say: bye\n", "      - expect: {reply_contains: x}\n"))
    assert (
        message == "cekura-scenarios.yaml:11: scenarios[1].turns[0].say: required field is missing"
    )


def test_several_problems_are_counted_on_the_one_line() -> None:
    text = VALID.replace("reply_contains: hi", "reply_contain: hi").replace(
        "  - name: Second\n", "  - name: Second\n    frequency: 0\n"
    )
    assert fail(text).endswith("(and 1 more problem)")


def test_reserved_header_is_rejected() -> None:
    text = VALID.replace("    tags: [a]\n", "    headers: {X-VOCERA-SECRET: nope}\n")
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:4: scenarios[0].headers: ")
    assert "reserved" in message


def test_duplicate_scenario_ids_are_rejected_with_the_line() -> None:
    text = VALID.replace("  - name: Second\n", "  - name: Second\n    id: 1\n")
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:10: scenarios[1].id: duplicate scenario id 1")


def test_unknown_test_profile_is_rejected() -> None:
    text = VALID.replace("    tags: [a]\n", "    tags: [a]\n    test_profile: 7\n")
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:5: scenarios[0].test_profile: ")
    assert "unknown test profile 7" in message


def test_greeting_check_needs_the_agent_to_speak_first() -> None:
    text = VALID.replace(
        "    tags: [a]\n",
        "    tags: [a]\n    first_speaker: tester\n    expect: {greeting_contains: hi}\n",
    )
    message = fail(text)
    assert message.startswith("cekura-scenarios.yaml:6: scenarios[0].expect.greeting_contains: ")


def test_empty_and_non_mapping_files() -> None:
    assert (
        fail("")
        == "cekura-scenarios.yaml:1: the file is empty; expected a mapping with 'scenarios'"
    )
    assert "got a list" in fail("- 1\n- 2\n")
    assert fail("version: 1\n") == "cekura-scenarios.yaml:1: scenarios: required field is missing"


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scenario file not found"):
        load_suite(tmp_path / "nope.yaml")


def test_bundled_path_is_inside_the_package() -> None:
    assert bundled_suite_path().is_file()
    assert bundled_suite_path().parent.name == "examples"


def test_the_pure_python_yaml_loader_gives_the_same_places(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from cekura_cli.sandbox import loader

    broken = [
        "scenarios:\n  - name: x\n    turns: [\n      - say: hi\n",
        VALID.replace("reply_contains: hi", "reply_contain: hi"),
        VALID.replace("reply_contains: hi", "reply_matches: '(unclosed'"),
    ]

    def places() -> list[str]:  # the wording of YAML syntax errors differs; the place not
        return [":".join(fail(text).split(":")[:3]) for text in broken]

    fast = places()
    monkeypatch.setattr(loader, "_Loader", yaml.SafeLoader)
    assert places() == fast
    assert fast[0] == "cekura-scenarios.yaml:4: YAML syntax error"
