"""``booking``: a deterministic, rule-based clinic booking agent with one tool call.

Other code (the sandbox's scripted tester, the bundled example suite) depends on the
exact texts below. Matching is case-insensitive. Per tester message, first match wins:

1. this message mentions "book"/"appointment" AND a day -> book it (tool call);
2. the tester is done -> end the call ("bye"/"goodbye" at any time; "no",
   "nothing else", "that's all", "thank you", "thanks" once a booking was made);
3. a day, and an earlier message mentioned "book"/"appointment" -> book it;
4. "book"/"appointment" without a day -> ask for the day and time;
5. anything else -> explain what it can do.

Checking "done" before a day that only an earlier message made about booking keeps
"No, that's all for tomorrow, thanks" from booking twice. A booking is one Function
Call and its Function Call Result, then the confirmation; the confirmation number is
derived from the date and time (CRC-32), so transcripts are reproducible.
"""

from __future__ import annotations

import json
import re
import zlib

from cekura_cli.shim.adapters.base import AgentReply, StatelessAgentBase
from cekura_cli.shim.protocol import END_CALL, FUNCTION_CALL, FUNCTION_CALL_RESULT, Message
from cekura_cli.shim.session import SessionContext

GREETING = "Hello! This is the Acme Clinic booking assistant. How can I help you today?"
ASK_DAY = "I can help you book an appointment. What day and time would you like?"
FALLBACK = "Sorry, I can only help with booking appointments. Would you like to book one?"
GOODBYE = "Thank you for calling Acme Clinic. Goodbye!"
CONFIRMED = (
    "You're booked for {day} at {time}. Your confirmation number is {number}. "
    "Is there anything else I can help you with?"
)
TOOL_NAME = "book_appointment"
DEFAULT_TIME = "10:00"

_DAY = re.compile(
    r"\b(today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|\d{4}-\d{2}-\d{2})\b"
)
_MERIDIEM = r"(am|pm|a\.m\.|p\.m\.)(?![a-z])"
_CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?!\d)(?:\s*" + _MERIDIEM + ")?")
_HOUR = re.compile(r"\b(1[0-2]|0?[1-9])\s*" + _MERIDIEM)
_BOOKING = re.compile(r"\bbook|appointment")
_BYE = re.compile(r"\b(good)?bye\b")
_DONE = re.compile(r"\bno\b|\bnothing else\b|\bthat'?s all\b|\bthank you\b|\bthanks\b")


def _to_24h(hour: int, minute: int, meridiem: str | None) -> str:
    if meridiem:
        pm = meridiem.startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    return f"{hour:02d}:{minute:02d}"


def find_time(text: str) -> str | None:
    """The first ``15:30`` / ``3:30 pm`` / ``3pm`` style time in ``text``, as 24h HH:MM."""
    clock = _CLOCK.search(text)
    hour = _HOUR.search(text)
    if clock and (not hour or clock.start() <= hour.start()):
        return _to_24h(int(clock.group(1)), int(clock.group(2)), clock.group(3))
    if hour:
        return _to_24h(int(hour.group(1)), 0, hour.group(2))
    return None


def confirmation_number(day: str, time: str) -> str:
    """``BK-<4 digits>``, a pure function of the date and time."""
    return f"BK-{zlib.crc32(f'{day} {time}'.encode()) % 9000 + 1000}"


class BookingBrain:
    """The pure, per-conversation state machine (no I/O, no asyncio)."""

    def __init__(self) -> None:
        self.about_booking = False
        self.bookings = 0

    def greet(self) -> list[Message]:
        return [{"content": GREETING}]

    def answer(self, text: str) -> list[Message]:
        said = text.lower().replace("\u2019", "'")
        mentions_booking = _BOOKING.search(said) is not None
        day = _DAY.search(said)
        if day and mentions_booking:
            return self._book(day.group(1), said)
        if _BYE.search(said) or (self.bookings and _DONE.search(said)):
            return [{"type": END_CALL, "content": GOODBYE}]
        if day and self.about_booking:
            return self._book(day.group(1), said)
        if mentions_booking:
            self.about_booking = True
            return [{"content": ASK_DAY}]
        return [{"content": FALLBACK}]

    def _book(self, day: str, said: str) -> list[Message]:
        self.about_booking = True
        self.bookings += 1
        time = find_time(said) or DEFAULT_TIME
        call_id = f"call_{self.bookings}"
        number = confirmation_number(day, time)
        return [
            {
                "role": FUNCTION_CALL,
                "data": {
                    "id": call_id,
                    "name": TOOL_NAME,
                    "arguments": json.dumps({"date": day, "time": time}),
                },
            },
            {
                "role": FUNCTION_CALL_RESULT,
                "data": {
                    "id": call_id,
                    "name": TOOL_NAME,
                    "result": json.dumps({"status": "confirmed", "confirmation": number}),
                },
            },
            {"content": CONFIRMED.format(day=day, time=time, number=number)},
        ]


class BookingSession:
    instant = True  # pure and never suspends: the server may answer it inline

    def __init__(self) -> None:
        self.brain = BookingBrain()

    async def on_start(self, context: SessionContext) -> AgentReply:
        if any(item.get("role") == "user" for item in context.history):
            return None  # the tester spoke first: answer that turn instead
        return self.brain.greet()

    async def on_message(self, text: str, context: SessionContext) -> AgentReply:
        return self.brain.answer(text)

    async def close(self) -> None:
        return None


class BookingAgent(StatelessAgentBase):
    """Greets, books with one tool call, ends the call itself."""

    name = "booking"

    def open(self, context: SessionContext) -> BookingSession:
        return BookingSession()
