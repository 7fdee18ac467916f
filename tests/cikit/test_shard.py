"""--shard K/N: deterministic, disjoint, covering, stable under additions (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.errors import UsageError
from cekura_cli.orchestration.shard import (
    Shard,
    case_key,
    parse_shard,
    partition,
    scenario_key,
    shard_of,
    split,
)

ids = st.lists(st.integers(min_value=1, max_value=10**9), unique=True, max_size=300)
totals = st.integers(min_value=1, max_value=12)


@settings(max_examples=200, deadline=None)
@given(ids, totals)
def test_shards_are_disjoint_and_cover_the_selection(scenario_ids, total):
    shards = [split(scenario_ids, scenario_key, Shard(k, total)) for k in range(1, total + 1)]
    flat = [i for shard in shards for i in shard]
    assert sorted(flat) == sorted(scenario_ids)  # covering, and no id twice (disjoint)
    assert len(set(flat)) == len(flat)
    for shard in shards:  # each keeps the selection's order
        assert shard == [i for i in scenario_ids if i in set(shard)]


@settings(max_examples=200, deadline=None)
@given(ids, ids, totals)
def test_adding_scenarios_never_moves_the_others(before, added, total):
    grown = before + [i for i in added if i not in set(before)]
    for k in range(1, total + 1):
        old = set(split(before, scenario_key, Shard(k, total)))
        new = set(split(grown, scenario_key, Shard(k, total)))
        assert old == new & set(before)


@settings(max_examples=100, deadline=None)
@given(ids, totals, st.randoms(use_true_random=False))
def test_the_split_does_not_depend_on_order(scenario_ids, total, rnd):
    shuffled = list(scenario_ids)
    rnd.shuffle(shuffled)
    for k in range(1, total + 1):
        a = split(scenario_ids, scenario_key, Shard(k, total))
        b = split(shuffled, scenario_key, Shard(k, total))
        assert sorted(a) == sorted(b)


@given(st.text(min_size=1, max_size=40), totals)
def test_case_keys_and_scenario_keys_are_separate_namespaces(key, total):
    assert 1 <= shard_of(case_key(key), total) <= total
    assert case_key("7") != scenario_key(7)


def test_the_split_is_pinned_across_machines_and_versions():
    # SHA-256 of the key, not hash() or position: these values must never change, or a
    # CI matrix would run different scenarios per shard after an upgrade.
    assert {i: shard_of(scenario_key(i), 4) for i in (1, 2, 3, 1000)} == {1: 1, 2: 1, 3: 4, 1000: 3}
    assert shard_of(case_key("login-happy-path"), 3) == 3


def test_a_thousand_scenarios_split_four_ways_roughly_evenly():
    shards = partition(list(range(1, 1001)), scenario_key, 4)
    assert sum(map(len, shards)) == 1000
    assert all(200 <= len(s) <= 300 for s in shards), [len(s) for s in shards]


@pytest.mark.parametrize(
    ("value", "expected"), [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)), (" 4/4 ", Shard(4, 4))]
)
def test_parse_shard(value, expected):
    assert parse_shard(value) == expected
    assert str(expected) == value.strip()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0/3", "K must be between 1 and N (3)"),
        ("3/2", "K must be between 1 and N (2)"),
        ("1/0", "N must be between 1 and 1000"),
        ("2", "--shard must be K/N"),
        ("a/b", "--shard must be K/N"),
        ("-1/3", "--shard must be K/N"),
        ("1/3/4", "--shard must be K/N"),
        ("", "--shard must be K/N"),
    ],
)
def test_bad_shards_are_one_line_usage_errors(value, message):
    with pytest.raises(UsageError) as caught:
        parse_shard(value)
    assert message in caught.value.message
    assert "\n" not in caught.value.message
