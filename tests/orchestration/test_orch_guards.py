"""Values that would silently widen or weaken a run are usage errors (pure checks)."""

from __future__ import annotations

import pytest

from cekura_cli.errors import UsageError
from cekura_cli.exit_codes import ExitCode
from cekura_cli.orchestration.guards import (
    DEFAULT_MAX_RUNS,
    check_run_count,
    check_selection_given,
    reject_empty_values,
    secret_from_env,
)


@pytest.mark.parametrize("value", ["", " ", ",", " , ,"])
def test_an_empty_value_is_an_error_naming_the_flag(value: str) -> None:
    with pytest.raises(UsageError, match="--tag got an empty value") as caught:
        reject_empty_values(["smoke", value], flag="--tag")
    assert caught.value.exit_code is ExitCode.USAGE


def test_values_with_content_pass() -> None:
    reject_empty_values(["a,,b", " c"], flag="--tag")
    reject_empty_values(None, flag="--scenario")


def test_remote_runs_need_a_selection_or_all() -> None:
    with pytest.raises(UsageError, match="no selection"):
        check_selection_given(has_selection=False, run_all=False, local=False)
    check_selection_given(has_selection=False, run_all=True, local=False)
    check_selection_given(has_selection=True, run_all=False, local=False)
    check_selection_given(has_selection=False, run_all=False, local=True)  # free: whole file


def test_all_with_a_selection_is_a_contradiction() -> None:
    with pytest.raises(UsageError, match="--all"):
        check_selection_given(has_selection=True, run_all=True, local=True)


def test_the_run_count_is_capped_at_ten_thousand_by_default() -> None:
    check_run_count(100, 100, max_runs=DEFAULT_MAX_RUNS)  # exactly 10,000 is fine
    with pytest.raises(UsageError, match=r"300,000 runs \(3 scenarios x 100000\)"):
        check_run_count(3, 100_000, max_runs=DEFAULT_MAX_RUNS)
    check_run_count(3, 100_000, max_runs=300_000)  # raised on purpose


def test_secret_env_named_explicitly_must_be_set() -> None:
    assert secret_from_env({}, None) is None  # the default variable may be unset
    assert secret_from_env({"CEKURA_WEBSOCKET_SECRET": "s3"}, None) == "s3"
    assert secret_from_env({"MY_SECRET": "s3"}, "MY_SECRET") == "s3"
    with pytest.raises(UsageError, match="MY_SECRET: the variable is not set"):
        secret_from_env({}, "MY_SECRET")
    with pytest.raises(UsageError, match="MY_SECRET: the variable is empty"):
        secret_from_env({"MY_SECRET": ""}, "MY_SECRET")


def test_the_error_never_shows_the_secret_value() -> None:
    with pytest.raises(UsageError) as caught:
        secret_from_env({"OTHER": "sk_test_value"}, "MY_SECRET")
    assert "sk_test_value" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "schemes", "message"),
    [
        ("http://agent/ws", ("ws", "wss"), "must be a ws:// or wss:// URL"),
        ("wss://", ("ws", "wss"), "is not a valid"),
        ("ws://host:70000/", ("ws", "wss"), "is not a valid"),
        ("ws://ho st/", ("ws", "wss"), "is not a valid"),
        ("localhost:8000", ("http", "https"), "must be a http:// or https:// URL"),
    ],
)
def test_bad_urls_are_named_with_their_flag(value: str, schemes, message: str) -> None:
    from cekura_cli.orchestration.guards import check_url

    with pytest.raises(UsageError, match=message) as caught:
        check_url(value, flag="--websocket-url", schemes=schemes)
    assert caught.value.message.startswith("--websocket-url")


def test_good_urls_pass() -> None:
    from cekura_cli.orchestration.guards import check_url

    check_url("wss://abc.trycloudflare.com/ws?x=1", flag="--public-url", schemes=("ws", "wss"))
    check_url("http://127.0.0.1:8000", flag="--api-url", schemes=("http", "https"))
    check_url(None, flag="--api-url", schemes=("http", "https"))
