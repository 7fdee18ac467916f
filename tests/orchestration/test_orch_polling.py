"""PollPolicy: the schedule's exact values, its floor, and deadline clipping."""

from __future__ import annotations

import pytest

from cekura_cli.orchestration.polling import PollPolicy


def test_default_schedule_grows_from_one_second_to_two():
    policy = PollPolicy()
    assert [policy.interval(i) for i in range(6)] == [1.0, 1.25, 1.5625, 1.953125, 2.0, 2.0]


def test_interval_stays_at_the_cap_for_huge_indices():
    assert PollPolicy().interval(10**6) == 2.0  # no OverflowError


def test_negative_index_is_treated_as_the_first_poll():
    assert PollPolicy().interval(-5) == 1.0


@pytest.mark.parametrize(
    "policy",
    [
        PollPolicy(initial_interval_s=0.1, max_interval_s=0.2),
        PollPolicy(initial_interval_s=0.01, max_interval_s=0.5, growth=3.0),
        PollPolicy(initial_interval_s=5.0, max_interval_s=0.5),
    ],
)
def test_interval_is_never_below_the_one_second_floor(policy):
    assert min(policy.interval(i) for i in range(50)) == 1.0


def test_a_custom_floor_is_honoured():
    policy = PollPolicy(initial_interval_s=0.1, max_interval_s=0.3, growth=2.0, min_interval_s=0.2)
    assert [policy.interval(i) for i in range(4)] == [0.2, 0.2, 0.3, 0.3]


def test_delay_is_clipped_to_the_deadline():
    policy = PollPolicy()
    assert policy.delay(4, remaining_s=10.0) == 2.0
    assert policy.delay(4, remaining_s=0.25) == 0.25
    assert policy.delay(4, remaining_s=0.0) == 0.0
    assert policy.delay(4, remaining_s=-3.0) == 0.0


def test_delay_subtracts_the_time_the_poll_took():
    policy = PollPolicy()
    assert policy.delay(0, remaining_s=100.0, spent_s=0.25) == 0.75
    assert policy.delay(0, remaining_s=100.0, spent_s=5.0) == 0.0
    assert policy.delay(0, remaining_s=100.0, spent_s=-1.0) == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_interval_s": 0},
        {"max_interval_s": -1.0},
        {"min_interval_s": float("nan")},
        {"initial_interval_s": float("inf")},
        {"growth": 0.5},
    ],
)
def test_nonsense_settings_are_rejected(kwargs):
    with pytest.raises(ValueError, match="PollPolicy"):
        PollPolicy(**kwargs)
