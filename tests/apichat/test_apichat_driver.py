"""The API-chat driver, exactly: which action follows which event, on every fault path."""

from __future__ import annotations

import itertools

import pytest

from cekura_cli.apichat.driver import (
    AGENT_ENDED_REASON,
    NO_OPENING,
    AskAgent,
    ChatDriver,
    ChatPolicy,
    Done,
    EndChat,
    PollTurn,
    Sleep,
    Submit,
    submits_of,
)
from cekura_cli.shim.protocol import plan_turn
from cekura_cli.shim.session import Conversation, EndedBy

POLICY = ChatPolicy(poll_delays_s=(0.05, 0.1), probe_attempts=3, probe_delay_s=0.5)


def make_driver() -> ChatDriver:
    ticks = itertools.count()
    conv = Conversation(clock=lambda: float(next(ticks)), started_wall=0.0, run_id="7")
    driver = ChatDriver(conv, POLICY)
    driver.start()
    return driver


def ready(driver: ChatDriver, turn: int, message: str | None, *, ended: bool = False) -> None:
    driver.on_polled(turn, status="ready", message=message, ended=ended, ended_reason=None)


def answer(driver: ChatDriver, raw: object) -> None:
    driver.on_agent_answered(plan_turn(raw), None, at_s=0.0)


def skip_sleep(driver: ChatDriver) -> object:
    action = driver.next_action()
    assert isinstance(action, Sleep), action
    driver.after_sleep()
    return driver.next_action()


def open_with_user_line(driver: ChatDriver, line: str = "hi, I need help") -> None:
    assert driver.next_action() == PollTurn(0)
    ready(driver, 0, line)
    assert driver.next_action() == AskAgent(None)  # on_start first, its greeting unsent
    answer(driver, "Hello there!")
    assert driver.next_action() == AskAgent(line)


def history(driver: ChatDriver) -> list[tuple[str, str]]:
    return [(e["role"], e["content"]) for e in driver.conv.context.history]


def test_user_opens_then_one_turn_then_the_service_ends_it() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, "Sure, what for?")
    assert driver.next_action() == Submit({"content": "Sure, what for?"})
    driver.on_submitted(1)
    assert skip_sleep(driver) == PollTurn(1)
    driver.on_polled(1, status="generating", message=None, ended=False, ended_reason=None)
    assert skip_sleep(driver) == PollTurn(1)
    driver.on_polled(1, status="ready", message="Bye.", ended=True, ended_reason="done")
    action = driver.next_action()
    assert isinstance(action, Done)
    assert action.ending.cause is None and action.ending.ended_by is EndedBy.TESTER
    roles = [(e.role.value, e.content) for e in driver.conv.entries]
    assert roles == [
        ("Testing Agent", "hi, I need help"),
        ("Main Agent", "Sure, what for?"),
        ("Testing Agent", "Bye."),  # recorded, not answered
    ]
    assert history(driver) == [("user", "hi, I need help"), ("assistant", "Sure, what for?")]


def test_agent_opens_when_turn_0_is_null() -> None:
    driver = make_driver()
    driver.next_action()
    ready(driver, 0, None)
    assert driver.next_action() == AskAgent(None)
    answer(driver, "Welcome!")
    assert driver.next_action() == Submit({"content": "Welcome!"})


def test_no_opening_from_either_side_ends_the_chat_with_the_reason() -> None:
    driver = make_driver()
    driver.next_action()
    ready(driver, 0, None)
    driver.next_action()
    answer(driver, None)
    assert driver.next_action() == EndChat(NO_OPENING)
    driver.on_end_chat_done()
    action = driver.next_action()
    assert isinstance(action, Done) and action.ending.cause == NO_OPENING


def test_a_turn_is_submitted_in_protocol_order_and_only_content_is_polled() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(
        driver,
        [
            "Booked.",
            {"role": "Function Call Result", "data": {"id": "c1", "name": "book", "result": {}}},
            {"role": "Function Call", "data": {"id": "c1", "name": "book", "arguments": {"d": 1}}},
            {"metadata": {"k": "v"}},
        ],
    )
    calls = [driver.next_action()]
    driver.on_submitted(1)
    calls.append(driver.next_action())
    driver.on_submitted(2)
    calls.append(driver.next_action())
    driver.on_submitted(3)
    call = {"id": "c1", "name": "book", "arguments": '{"d": 1}'}
    result = {"id": "c1", "name": "book", "result": "{}"}
    assert calls == [
        Submit({"role": "Function Call", "data": call}),
        Submit({"role": "Function Call Result", "data": result}),
        Submit({"content": "Booked.", "metadata": {"k": "v"}}),
    ]
    assert skip_sleep(driver) == PollTurn(3)
    assert driver.conv.metadata == {"k": "v"}


def test_end_call_submits_its_words_then_ends_the_chat_without_polling() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, {"type": "end_call", "content": "Goodbye!"})
    assert driver.next_action() == Submit({"content": "Goodbye!"})
    driver.on_submitted(1)
    assert driver.next_action() == EndChat(AGENT_ENDED_REASON)
    driver.on_end_chat_done()
    action = driver.next_action()
    assert isinstance(action, Done) and action.ending.cause is None
    assert driver.conv.ended_by is EndedBy.AGENT


def test_an_ambiguous_submit_that_was_recorded_is_never_sent_again() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, "Hi")
    assert driver.next_action() == Submit({"content": "Hi"})
    driver.on_submit_ambiguous()
    assert driver.next_action() == PollTurn(1)  # the next turn id: was it recorded?
    driver.on_polled(1, status="generating", message=None, ended=False, ended_reason=None)
    assert skip_sleep(driver) == PollTurn(1)  # yes: wait for its reply, no resubmit
    ready(driver, 1, "And then?")
    assert driver.next_action() == AskAgent("And then?")
    assert [e.content for e in driver.conv.entries].count("Hi") == 1


def test_an_ambiguous_submit_never_recorded_is_sent_once_more_after_the_probes() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, "Hi")
    driver.next_action()
    driver.on_submit_ambiguous()
    actions = [driver.next_action()]
    for _ in range(POLICY.probe_attempts - 1):
        driver.on_poll_missing(1, 404)
        actions.append(skip_sleep(driver))
    driver.on_poll_missing(1, 404)
    actions.append(driver.next_action())
    assert actions == [PollTurn(1)] * POLICY.probe_attempts + [Submit({"content": "Hi"})]
    # a second loss of the same submit ends the chat instead of a third send
    driver.on_submit_ambiguous()
    driver.next_action()
    for _ in range(POLICY.probe_attempts - 1):
        driver.on_poll_missing(1, 404)
        skip_sleep(driver)
    driver.on_poll_missing(1, 404)
    action = driver.next_action()
    assert isinstance(action, EndChat) and "not sent again" in action.reason


def test_409_while_starting_resends_and_409_after_the_end_finishes() -> None:
    driver = make_driver()
    driver.next_action()
    ready(driver, 0, None)
    driver.next_action()
    answer(driver, "Welcome!")
    driver.next_action()
    driver.on_submit_rejected()
    assert driver.next_action() == PollTurn(0)  # starting, or ended? ask the newest turn
    ready(driver, 0, None)
    assert skip_sleep(driver) == Submit({"content": "Welcome!"})  # not recorded: resend
    driver.on_submit_rejected()
    driver.next_action()
    driver.on_polled(0, status="ready", message=None, ended=True, ended_reason="timeout")
    action = driver.next_action()
    assert isinstance(action, Done) and action.ending.reason == "timeout"
    assert action.ending.cause is None


def test_an_error_turn_is_resubmitted_once_then_the_chat_ends() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, "Hi")
    driver.next_action()
    driver.on_submitted(1)
    skip_sleep(driver)
    driver.on_polled(1, status="error", message=None, ended=False, ended_reason=None)
    assert driver.next_action() == Submit({"content": "Hi"})
    driver.on_submitted(2)
    assert skip_sleep(driver) == PollTurn(2)
    driver.on_polled(2, status="error", message=None, ended=False, ended_reason=None)
    action = driver.next_action()
    assert isinstance(action, EndChat) and "failed twice" in action.reason
    # the transcript keeps one copy of what the agent said
    assert [e.content for e in driver.conv.entries].count("Hi") == 1


def test_a_dropped_turn_is_followed_by_the_newer_turn() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, "Hi")
    driver.next_action()
    driver.on_submitted(1)
    skip_sleep(driver)
    driver.on_polled(1, status="dropped", message=None, ended=False, ended_reason=None)
    assert driver.next_action() == PollTurn(2)
    ready(driver, 2, "Answer to both")
    assert driver.next_action() == AskAgent("Answer to both")


@pytest.mark.parametrize(
    "failure", ["agent error: ValueError", "the agent did not answer within the 1s turn timeout"]
)
def test_an_agent_failure_ends_its_chat_with_the_cause(failure: str) -> None:
    driver = make_driver()
    open_with_user_line(driver)
    driver.on_agent_answered(None, failure, at_s=0.0)
    assert driver.next_action() == EndChat(failure)
    driver.on_end_chat_done()
    action = driver.next_action()
    assert isinstance(action, Done) and action.ending.cause == failure


def test_stop_ends_the_chat_and_records_what_was_sent() -> None:
    driver = make_driver()
    open_with_user_line(driver)
    answer(driver, [{"role": "Function Call", "data": {"name": "f"}}, "Hi"])
    driver.next_action()
    driver.on_submitted(1)
    assert driver.next_action() == Submit({"content": "Hi"})
    driver.stop("interrupted")
    assert driver.next_action() == EndChat("interrupted")
    assert [e.role.value for e in driver.conv.entries][-1] == "Function Call"
    driver.on_end_chat_done()
    action = driver.next_action()
    assert isinstance(action, Done) and action.ending.cause is None


def test_a_run_that_never_starts_gives_up_after_the_start_polls() -> None:
    driver = make_driver()
    policy_polls = driver.policy.max_start_polls
    driver.next_action()
    for _ in range(policy_polls - 1):
        driver.on_poll_missing(0, 409)
        assert skip_sleep(driver) == PollTurn(0)
    driver.on_poll_missing(0, 409)
    action = driver.next_action()
    assert isinstance(action, EndChat) and "did not start" in action.reason


def test_poll_failure_ends_the_chat_with_the_problem() -> None:
    driver = make_driver()
    driver.next_action()
    driver.on_poll_failed("GET x failed after 6 attempts")
    action = driver.next_action()
    assert isinstance(action, EndChat) and "6 attempts" in action.reason


def test_submits_of_an_empty_content_turn_is_one_content_submit() -> None:
    assert submits_of(plan_turn({"content": ""})) == [({"content": ""}, True)]
    assert submits_of(plan_turn({"metadata": {"a": 1}})) == [({"metadata": {"a": 1}}, False)]


def test_once_replies_are_timed_the_first_poll_waits_for_the_quickest() -> None:
    now = [0.0]
    conv = Conversation(clock=lambda: now[0], started_wall=0.0, run_id="7")
    driver = ChatDriver(conv, ChatPolicy(poll_delays_s=(0.05, 0.1), early_s=0.1))
    driver.start()
    driver.next_action()
    ready(driver, 0, "line 0")
    driver.next_action()
    answer(driver, None)
    driver.next_action()
    first_waits = []
    for turn in (1, 2, 3):
        answer(driver, f"reply {turn}")
        driver.next_action()
        driver.on_submitted(turn)
        sleep = driver.next_action()
        assert isinstance(sleep, Sleep)
        first_waits.append(sleep.seconds)
        now[0] += 1.0  # the simulated user takes a second
        driver.after_sleep()
        assert driver.next_action() == PollTurn(turn)
        ready(driver, turn, f"line {turn}")
        assert driver.next_action() == AskAgent(f"line {turn}")
    assert first_waits == [0.05, 0.9, 0.9]
