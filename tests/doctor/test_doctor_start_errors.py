"""``cekura run``: the service's "chat provider not configured" refusal becomes the fix."""

from __future__ import annotations

import pytest

from cekura_cli.doctor.start_errors import chat_provider_error, explain_start_refusal
from cekura_cli.errors import RequestRejected, UsageError
from cekura_cli.exit_codes import ExitCode

PREFIX = "the service rejected POST /test_framework/v1/scenarios/run_scenarios_text/ (HTTP 400): "


@pytest.mark.parametrize(
    "said",
    [
        "Chat provider not configured",
        "Agent does not have a websocket URL",
        "non_field_errors: This agent has no websocket_url to run text scenarios against",
        "At least one configuration method must be provided",
    ],
)
def test_a_missing_chat_connection_is_one_line_naming_both_commands(said: str) -> None:
    error = chat_provider_error(RequestRejected(PREFIX + said, status_code=400))
    assert isinstance(error, UsageError) and error.exit_code is ExitCode.USAGE
    assert said in error.message  # the service's words, verbatim
    assert "cekura agent connect" in error.message and "cekura doctor" in error.message
    assert "\n" not in error.message and error.hint is None


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (400, "websocket_url: Enter a valid URL."),  # the request's own field: not the agent's
        (400, 'scenarios: Invalid pk "9" - object does not exist.'),
        (404, "Chat provider not configured"),
    ],
)
def test_other_refusals_stay_what_they_are(status: int, said: str) -> None:
    assert chat_provider_error(RequestRejected(PREFIX + said, status_code=status)) is None


def test_explain_start_refusal_passes_results_and_other_errors_through() -> None:
    assert explain_start_refusal(lambda: 42) == 42
    other = RequestRejected(PREFIX + "frequency: too big", status_code=400)

    def refuse(exc: Exception):
        def start():
            raise exc

        return start

    with pytest.raises(RequestRejected) as caught:
        explain_start_refusal(refuse(other))
    assert caught.value is other
    missing = RequestRejected(PREFIX + "Chat provider not configured", status_code=400)
    with pytest.raises(UsageError) as mapped:
        explain_start_refusal(refuse(missing))
    assert mapped.value.__cause__ is missing
