"""Selection: flag parsing and the tag/id/exclude semantics, exact outputs."""

from __future__ import annotations

import pytest

from cekura_cli.api.models import Scenario
from cekura_cli.errors import UsageError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.orchestration.selection import Selection, parse_ids, select, split_csv

SCENARIOS = [
    Scenario.model_validate({"id": 1, "name": "login", "tags": ["smoke", "Auth"]}),
    Scenario.model_validate({"id": 2, "name": "refund", "tags": ["billing"]}),
    Scenario.model_validate({"id": 3, "name": "booking", "tags": ["smoke", "booking", "flaky"]}),
    Scenario.model_validate({"id": 4, "name": "untagged", "tags": []}),
    Scenario.model_validate({"id": 5, "name": "auth+billing", "tags": ["auth", "BILLING"]}),
]


def ids(selection: Selection, scenarios=SCENARIOS) -> list[int]:
    return select(scenarios, selection).scenario_ids


# split_csv / parse_ids ---------------------------------------------------------------


def test_split_csv_flattens_strips_drops_empties_and_dedupes_in_order():
    assert split_csv(["a,b", " c ", "a", "", " , ,", "b,d"]) == ["a", "b", "c", "d"]


def test_split_csv_of_nothing_is_empty():
    assert split_csv([]) == []


def test_parse_ids_accepts_repeated_and_comma_separated_values():
    assert parse_ids(["3,1", " 2 ", "1", "03"]) == [3, 1, 2]


@pytest.mark.parametrize("bad", ["abc", "1.5", "-3", "1_000", "٣", "0x10", "12abc"])
def test_parse_ids_rejects_non_numbers_with_a_usage_error(bad):
    with pytest.raises(UsageError) as info:
        parse_ids(["1", bad])
    assert str(info.value) == f"scenario id {bad!r} is not a number"
    assert info.value.exit_code is ExitCode.USAGE


def test_parse_ids_names_the_kind_of_id():
    with pytest.raises(UsageError, match=r"^personality id 'x' is not a number$"):
        parse_ids(["x"], what="personality id")


@pytest.mark.parametrize("zero", ["0", "000"])
def test_parse_ids_rejects_zero(zero):
    with pytest.raises(UsageError) as info:
        parse_ids([zero])
    assert str(info.value) == f"scenario id {zero!r} is not a positive number"


# Selection -----------------------------------------------------------------------------


def test_no_tags_and_no_ids_selects_every_scenario():
    result = select(SCENARIOS, Selection())
    assert result.scenario_ids == [1, 2, 3, 4, 5]
    assert result.missing_ids == []


def test_tags_any_matches_case_insensitively():
    assert ids(Selection(tags=("SMOKE", " billing "))) == [1, 2, 3, 5]


def test_tags_all_requires_every_tag():
    assert ids(Selection(tags=("smoke", "booking"), match="all")) == [3]
    assert ids(Selection(tags=("auth", "billing"), match="all")) == [5]


def test_tags_any_with_a_tag_nobody_has_selects_nothing():
    assert ids(Selection(tags=("nope",))) == []


def test_exclude_tags_apply_to_the_agent_level_selection():
    assert ids(Selection(exclude_tags=("FLAKY", "billing"))) == [1, 4]


def test_explicit_ids_union_tag_matches_in_service_order():
    assert ids(Selection(tags=("billing",), scenario_ids=(4, 1))) == [1, 2, 4, 5]


def test_exclusion_applies_to_explicit_ids_too():
    result = select(SCENARIOS, Selection(scenario_ids=(3, 1), exclude_tags=("flaky",)))
    assert result.scenario_ids == [1]
    assert result.missing_ids == []  # 3 exists; it is excluded, not missing


def test_missing_ids_are_reported_in_the_order_given():
    result = select(SCENARIOS, Selection(scenario_ids=(99, 2, 42, 99)))
    assert result.scenario_ids == [2]
    assert result.missing_ids == [99, 42]


def test_duplicate_scenarios_from_overlapping_pages_are_dropped():
    doubled = [*SCENARIOS[:3], SCENARIOS[0], *SCENARIOS[3:]]
    assert ids(Selection(tags=("smoke",)), doubled) == [1, 3]


def test_match_must_be_any_or_all():
    with pytest.raises(UsageError, match="--match must be 'any' or 'all', got 'some'"):
        Selection(tags=("a",), match="some")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(), ((), "or")),
        (Selection(tags=("a", "b")), (("a", "b"), "or")),
        (Selection(tags=("a", "b"), match="all"), (("a", "b"), "and")),
        (Selection(tags=("a",), exclude_tags=("x",)), (("a",), "or")),
        (Selection(tags=("a",), scenario_ids=(7,)), ((), "or")),
        (Selection(scenario_ids=(7,)), ((), "or")),
        (Selection(exclude_tags=("x",)), ((), "or")),
    ],
)
def test_server_query_hint(selection, expected):
    assert selection.server_query() == expected


def test_has_filters():
    assert not Selection(exclude_tags=("x",)).has_filters
    assert Selection(tags=("x",)).has_filters
    assert Selection(scenario_ids=(1,)).has_filters


@pytest.mark.parametrize(
    ("selection", "text"),
    [
        (Selection(), "all scenarios of the agent"),
        (Selection(tags=("smoke",)), "tag smoke"),
        (Selection(tags=("a", "b"), match="all"), "tags all of a, b"),
        (Selection(tags=("a", "b")), "tags any of a, b"),
        (
            Selection(tags=("a",), scenario_ids=(1, 2), exclude_tags=("x",)),
            "tag a or scenarios 1, 2; excluding tags x",
        ),
        (Selection(scenario_ids=(9,)), "scenario 9"),
    ],
)
def test_describe(selection, text):
    assert selection.describe() == text
