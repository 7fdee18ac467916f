"""Property: whatever faults hit the submits, the driver never records a turn twice.

A small model of the service (turn ids, the script, what was recorded) answers the
driver's actions; hypothesis picks, per submit, whether it is answered, lost before it
was recorded, lost after it was recorded, or refused with 409 while "starting"."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cekura_cli.apichat.driver import (
    AskAgent,
    ChatDriver,
    ChatPolicy,
    Done,
    EndChat,
    PollTurn,
    Sleep,
    Submit,
)
from cekura_cli.shim.protocol import plan_turn
from cekura_cli.shim.session import Conversation

SCRIPT = ["one", "two", "three"]
FAULTS = st.sampled_from(["ok", "ok", "lost_before", "lost_after", "409"])


class Service:
    def __init__(self) -> None:
        self.turns: dict[int, tuple[str, str | None, bool]] = {0: ("ready", SCRIPT[0], False)}
        self.received: list[str] = []
        self.line = 1

    def record(self, body: dict) -> int:
        turn_id = len(self.turns)
        if "content" not in body:
            self.turns[turn_id] = ("ready", None, False)
            return turn_id
        self.received.append(body["content"])
        if self.line < len(SCRIPT):
            self.turns[turn_id] = ("ready", SCRIPT[self.line], False)
            self.line += 1
        else:
            self.turns[turn_id] = ("ready", None, True)
        return turn_id


@settings(max_examples=300, deadline=None)
@given(st.lists(FAULTS, min_size=0, max_size=12))
def test_no_turn_is_ever_recorded_twice(faults: list[str]) -> None:
    ticks = itertools.count()
    conv = Conversation(clock=lambda: next(ticks) / 10, started_wall=0.0, run_id="1")
    driver = ChatDriver(conv, ChatPolicy(probe_attempts=2))
    driver.start()
    service = Service()
    pending = iter(faults)
    replies = 0
    for _ in range(500):
        action = driver.next_action()
        if isinstance(action, Done):
            break
        if isinstance(action, PollTurn):
            turn = service.turns.get(action.turn_id)
            if turn is None:
                driver.on_poll_missing(action.turn_id, 404)
            else:
                status, message, ended = turn
                driver.on_polled(
                    action.turn_id, status=status, message=message, ended=ended, ended_reason=None
                )
        elif isinstance(action, AskAgent):
            if action.text is None:
                driver.on_agent_answered(plan_turn(None), None, at_s=0.0)
            else:
                replies += 1
                driver.on_agent_answered(plan_turn(f"reply {replies}"), None, at_s=0.0)
        elif isinstance(action, Submit):
            fault = next(pending, "ok")
            if fault == "ok":
                driver.on_submitted(service.record(action.body))
            elif fault == "lost_after":
                service.record(action.body)
                driver.on_submit_ambiguous()
            elif fault == "lost_before":
                driver.on_submit_ambiguous()
            else:
                driver.on_submit_rejected()
        elif isinstance(action, Sleep):
            driver.after_sleep()
        elif isinstance(action, EndChat):
            driver.on_end_chat_done()
    else:
        raise AssertionError("the conversation never ended")
    assert len(service.received) == len(set(service.received)), service.received
    ending = action.ending
    if ending.cause is None:  # it ran to the end: every reply recorded once, in order
        assert service.received == [f"reply {n}" for n in range(1, len(SCRIPT) + 1)]
    else:
        assert "not sent again" in ending.cause
    said = [e.content for e in conv.entries if e.role.value == "Main Agent"]
    assert said == service.received  # the transcript is what the service recorded
