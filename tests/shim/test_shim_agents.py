"""Exact behaviour of the bundled demo agents (other code depends on these texts)."""

from __future__ import annotations

import asyncio
import json

import pytest

from cekura_cli.shim.agents.booking import (
    ASK_DAY,
    FALLBACK,
    GOODBYE,
    GREETING,
    BookingAgent,
    BookingBrain,
    confirmation_number,
    find_time,
)
from cekura_cli.shim.agents.echo import EchoAgent
from cekura_cli.shim.session import SessionContext


def booked(reply, day, time, call_id="call_1"):
    number = confirmation_number(day, time)
    assert reply == [
        {
            "role": "Function Call",
            "data": {
                "id": call_id,
                "name": "book_appointment",
                "arguments": json.dumps({"date": day, "time": time}),
            },
        },
        {
            "role": "Function Call Result",
            "data": {
                "id": call_id,
                "name": "book_appointment",
                "result": json.dumps({"status": "confirmed", "confirmation": number}),
            },
        },
        {
            "content": f"You're booked for {day} at {time}. Your confirmation number is "
            f"{number}. Is there anything else I can help you with?"
        },
    ]


def test_confirmation_number_is_deterministic_four_digits():
    number = confirmation_number("tomorrow", "15:00")
    assert number == confirmation_number("tomorrow", "15:00")
    assert number.startswith("BK-") and len(number) == 7 and number[3:].isdigit()
    assert confirmation_number("tomorrow", "15:00") != confirmation_number("monday", "15:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 3pm", "15:00"),
        ("3 PM", "15:00"),
        ("3:30 pm", "15:30"),
        ("at 15:30", "15:30"),
        ("9 a.m.", "09:00"),
        ("12am", "00:00"),
        ("12 pm", "12:00"),
        ("2026-12-01 at 11:05", "11:05"),
        ("2 amazing things", None),
        ("tomorrow", None),
    ],
)
def test_find_time(text, expected):
    assert find_time(text.lower()) == expected


def test_booking_happy_path():
    brain = BookingBrain()
    assert brain.greet() == [{"content": GREETING}]
    booked(brain.answer("I'd like to book an appointment for Tomorrow at 3pm"), "tomorrow", "15:00")
    assert brain.answer("No, that's all. Thank you!") == [{"type": "end_call", "content": GOODBYE}]


def test_booking_asks_for_day_then_books_with_default_time():
    brain = BookingBrain()
    assert brain.answer("I need an appointment") == [{"content": ASK_DAY}]
    booked(brain.answer("Monday please"), "monday", "10:00")
    booked(brain.answer("Also book 2026-12-01 at 9:15"), "2026-12-01", "09:15", "call_2")


def test_booking_fallback_and_done_rules():
    brain = BookingBrain()
    assert brain.answer("What's the weather?") == [{"content": FALLBACK}]
    assert brain.answer("thanks") == [{"content": FALLBACK}]  # nothing booked yet
    assert brain.answer("tomorrow") == [{"content": FALLBACK}]  # no booking talk yet
    assert brain.answer("Goodbye") == [{"type": "end_call", "content": GOODBYE}]


def test_booking_done_wins_over_a_day_mentioned_in_passing():
    brain = BookingBrain()
    booked(brain.answer("book tomorrow"), "tomorrow", "10:00")
    assert brain.answer("No, that\u2019s all for tomorrow") == [
        {"type": "end_call", "content": GOODBYE}
    ]


def test_booking_session_greets_unless_the_tester_spoke_first():
    agent = BookingAgent()
    ctx = SessionContext("c1")
    assert asyncio.run(agent.open(ctx).on_start(ctx)) == [{"content": GREETING}]
    ctx.history.append({"role": "user", "content": "hi"})
    assert asyncio.run(agent.open(ctx).on_start(ctx)) is None


def test_echo_agent():
    agent = EchoAgent()
    ctx = SessionContext("c1")
    session = agent.open(ctx)
    assert asyncio.run(session.on_start(ctx)) is None
    assert asyncio.run(session.on_message("Hi there", ctx)) == {"content": "Hi there"}
