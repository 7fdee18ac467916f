"""One API-chat conversation as a state machine, without I/O (PRODUCT.md §9).

The service plays the simulated user; we play the agent, turn by turn over REST. The
driver decides what to do next; the glue (:mod:`.io`) does it and reports back. It
never touches a socket, a clock or the agent: :meth:`ChatDriver.next_action` returns
an action (poll a turn, submit a message, ask the agent, end the chat, sleep, done)
and the ``on_*`` methods take what happened. So every fault path is tested by exact
sequences of actions.

Rules:

- the opening is turn 0: its ``message`` is the simulated user's first line, or null
  (the agent speaks first); 404/409 on it mean "still starting": poll again;
- an agent turn is submitted in protocol order, one request per message: function
  calls, results, then the one content message (metadata rides on it, or goes alone);
  an ``end_call`` submits its content/metadata, then ``end-chat``;
- only the content message yields a reply: that turn is polled until ``ready``;
  ``ready`` with ``ended`` is recorded and not answered;
- a submit that may have reached the service (5xx, dropped connection, timeout after
  sending) is never repeated blindly: the next turn id is probed; found means it was
  recorded; still unknown after :attr:`ChatPolicy.probe_attempts` probes means it was
  not, and it is submitted once more (a second ambiguity ends the chat);
- 409 on a submit: the run is starting (submit again later) or has ended (a poll tells);
- an ``error`` turn is submitted once more, then the chat ends with the reason; a
  ``dropped`` turn is followed by the newer turn that superseded it;
- an agent failure, or anything the driver cannot recover from, ends the chat with
  ``end-chat`` and leaves its cause in :attr:`Ending.cause` (the run's reason).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cekura_cli.apichat.actions import (
    AGENT_ENDED_REASON,
    NO_OPENING,
    Action,
    AskAgent,
    ChatPolicy,
    Done,
    EndChat,
    Ending,
    Phase,
    PollTurn,
    Sleep,
    Submit,
    submits_of,
)
from cekura_cli.shim.protocol import END_CALL, Message, TurnPlan
from cekura_cli.shim.session import Conversation, EndedBy

__all__ = [
    "AGENT_ENDED_REASON",
    "NO_OPENING",
    "Action",
    "AskAgent",
    "ChatDriver",
    "ChatPolicy",
    "Done",
    "EndChat",
    "Ending",
    "Phase",
    "PollTurn",
    "Sleep",
    "Submit",
    "submits_of",
]


@dataclass
class ChatDriver:
    """The state of one conversation; ``conv`` records it (the shim's own model)."""

    conv: Conversation
    policy: ChatPolicy = field(default_factory=ChatPolicy)
    phase: Phase = Phase.OPENING
    last_turn_id: int = 0
    """The highest turn id the service has given us (0: only the opening)."""
    polls: int = 0
    queue: deque[tuple[Message, bool]] = field(default_factory=deque)
    in_flight: tuple[Message, bool] | None = None
    """The submit being sent (or being probed for after an ambiguous send)."""
    sent: list[Message] = field(default_factory=list)
    """This turn's protocol messages that reached the service (for the transcript)."""
    last_reply_body: Message | None = None
    """The last content submit: sent again once when its reply comes back ``error``."""
    turn_started_s: float = 0.0
    turn_ends_call: bool = False
    resubmitted: bool = False
    errors_on_turn: int = 0
    rejections: int = 0
    probes: int = 0
    user_opened: str | None = None
    """The simulated user's opening line, answered after the agent's ``on_start``."""
    greeting: bool = True
    """The next agent answer is its opening (``on_start``)."""
    ending: Ending | None = None
    reply_times_s: deque[float] = field(default_factory=lambda: deque(maxlen=3))
    """How long the last replies took to be seen ready after their submit."""
    poll_started_s: float | None = None
    _resubmitting: bool = False
    _next: Action | None = None
    _then: Action | Callable[[], None] | None = None

    # -- the one question the glue asks -------------------------------------------------
    def next_action(self) -> Action:
        if self.phase is Phase.DONE and self.ending is not None:
            return Done(self.ending)
        if self._next is None:
            raise RuntimeError(f"no action pending in phase {self.phase.value}")
        action, self._next = self._next, None
        return action

    def start(self) -> None:
        self._next = PollTurn(0)

    def after_sleep(self) -> None:
        """The glue slept as asked; go on."""
        then, self._then = self._then, None
        if callable(then):
            then()
        else:
            self._next = then

    # -- events ---------------------------------------------------------------------------
    def on_polled(
        self,
        turn_id: int,
        *,
        status: str,
        message: str | None,
        ended: bool,
        ended_reason: str | None,
    ) -> None:
        """A 200 for ``GET chat/{turn_id}/``."""
        if self.phase is Phase.OPENING:
            self._opened(message, ended, ended_reason)
        elif self.phase is Phase.PROBING:
            self._probe_found(turn_id, status, message, ended, ended_reason)
        elif self.phase is Phase.CHECKING:
            if ended:
                self._service_ended(message if status == "ready" else None, ended_reason)
            else:  # still starting: the refused submit was not recorded; send it later
                self._sleep(self.policy.start_delay(self.rejections - 1), self._resend)
        elif self.phase is Phase.POLLING:
            self._reply(turn_id, status, message, ended, ended_reason)

    def on_poll_missing(self, turn_id: int, status_code: int) -> None:
        """404 (unknown turn) or 409 for ``GET chat/{turn_id}/``."""
        if self.phase is Phase.OPENING:
            self.polls += 1
            if self.polls >= self.policy.max_start_polls:
                self._fail("the run did not start: its opening turn never became readable")
            else:
                self._sleep(self.policy.start_delay(self.polls - 1), PollTurn(0))
        elif self.phase is Phase.PROBING:
            self.probes += 1
            if self.probes < self.policy.probe_attempts:
                self._sleep(self.policy.probe_delay_s, PollTurn(self.last_turn_id + 1))
            elif self.in_flight is None:
                self._fail("a turn was dropped and no newer turn answers it")
            elif self.resubmitted:
                self._fail("a turn's submit was lost twice after it was sent; not sent again")
            else:  # consistently unknown: the lost submit was not recorded; send it once more
                self.resubmitted = True
                self.phase = Phase.SUBMITTING
                self._next = Submit(self.in_flight[0])
        elif self.phase is Phase.CHECKING:
            self._sleep(self.policy.start_delay(self.rejections - 1), self._resend)
        else:
            self._fail(f"turn {turn_id} disappeared from the service (HTTP {status_code})")

    def on_poll_failed(self, problem: str) -> None:
        """Polling gave up (retries exhausted, or a final error)."""
        self._fail(f"lost contact with the chat: {problem}")

    def on_agent_answered(self, plan: TurnPlan | None, failure: str | None, *, at_s: float) -> None:
        if failure is not None or plan is None:
            self._fail(failure or "the agent gave no answer")
            return
        if self.greeting and self.user_opened is not None:
            # The simulated user spoke first: its line is what the agent answers (one
            # content message per turn), so a greeting from on_start is not sent.
            self.greeting = False
            text, self.user_opened = self.user_opened, None
            self.conv.tester_turn_taken(text)
            self._next = AskAgent(text)
            return
        submits = submits_of(plan)
        if not plan.ends_call and not any(expects for _, expects in submits):
            self._fail(
                NO_OPENING
                if self.greeting
                else "the agent gave no reply (a turn needs one content message)"
            )
            return
        self.greeting = False
        self.queue = deque(submits)
        self.sent = []
        self.turn_started_s = at_s
        self.turn_ends_call = plan.ends_call
        self.phase = Phase.SUBMITTING
        self._submit_next()

    def on_submitted(self, turn_id: int) -> None:
        """202 with ``turn_id``."""
        self.last_turn_id = max(self.last_turn_id, turn_id)
        self._accepted(turn_id)

    def on_submit_ambiguous(self) -> None:
        """The submit may have reached the service: find out, never resend blindly."""
        self.phase = Phase.PROBING
        self.probes = 0
        self._next = PollTurn(self.last_turn_id + 1)

    def on_submit_rejected(self) -> None:
        """409: still starting, or already ended. A poll of the newest turn tells which."""
        self.rejections += 1
        if self.rejections > self.policy.max_409_retries:
            self._fail("the service kept refusing the turn (HTTP 409: the run never opened)")
            return
        self.phase = Phase.CHECKING
        self._next = PollTurn(self.last_turn_id)

    def on_submit_failed(self, problem: str) -> None:
        """A final refusal (a 4xx other than 409, or a 429 that never cleared)."""
        self._fail(f"the service refused the agent's turn: {problem}")

    def on_end_chat_done(self) -> None:
        self.phase = Phase.DONE

    def stop(self, reason: str) -> None:
        """Interrupted, or the run timed out: end the chat (the glue has cancelled any
        request in flight)."""
        if self.phase in (Phase.ENDING, Phase.DONE):
            return
        self._record_sent()
        self.conv.end(EndedBy.SERVER_SHUTDOWN, reason)
        self.ending = Ending(EndedBy.SERVER_SHUTDOWN, reason)
        self.phase = Phase.ENDING
        self._next = EndChat(reason)

    # -- internals --------------------------------------------------------------------------
    def _sleep(self, seconds: float, then: Action | Callable[[], None]) -> None:
        self._then = then
        self._next = Sleep(seconds)

    def _opened(self, message: str | None, ended: bool, ended_reason: str | None) -> None:
        self.polls = 0
        if ended:
            self._service_ended(message, ended_reason)
            return
        if message is not None:
            self.conv.tester_said(message)
            self.user_opened = message
        self.phase = Phase.AGENT
        self._next = AskAgent(None)  # on_start first, always (adapters expect it)

    def _reply(
        self, turn_id: int, status: str, message: str | None, ended: bool, reason: str | None
    ) -> None:
        if status == "ready" or (ended and status not in ("generating", "error")):
            self.polls = 0
            self.errors_on_turn = 0
            if self.poll_started_s is not None and not ended:
                self.reply_times_s.append(self.conv.now() - self.poll_started_s)
            self.poll_started_s = None
            if ended:
                self._service_ended(message, reason)
                return
            text = message or ""
            self.conv.tester_said(text)
            self.conv.tester_turn_taken(text)
            self.phase = Phase.AGENT
            self._next = AskAgent(text)
        elif status == "error":
            self.errors_on_turn += 1
            if self.errors_on_turn > 1 or self.last_reply_body is None:
                self._fail(f"the simulated user's reply to turn {turn_id} failed twice")
                return
            self.queue = deque([(self.last_reply_body, True)])
            self.phase = Phase.SUBMITTING
            self._resubmitting = True
            self._submit_next()
        elif status == "dropped":
            # a newer submit superseded it and its reply answers both: follow that turn
            self.phase = Phase.PROBING
            self.probes = 0
            self.in_flight = None
            self.last_turn_id = max(self.last_turn_id, turn_id)
            self._next = PollTurn(self.last_turn_id + 1)
        else:  # generating (or a status we do not know): keep polling
            self.polls += 1
            if self.polls >= self.policy.max_poll_attempts:
                self._fail(f"the simulated user never answered turn {turn_id}")
            else:
                self._sleep(self.policy.poll_delay(self.polls), PollTurn(turn_id))

    def _probe_found(
        self, turn_id: int, status: str, message: str | None, ended: bool, reason: str | None
    ) -> None:
        self.last_turn_id = max(self.last_turn_id, turn_id)
        if self.in_flight is None:  # the successor of a dropped turn
            self.phase = Phase.POLLING
            self._reply(turn_id, status, message, ended, reason)
            return
        self._accepted(turn_id, polled=(status, message, ended, reason))

    def _accepted(
        self, turn_id: int, polled: tuple[str, str | None, bool, str | None] | None = None
    ) -> None:
        assert self.in_flight is not None
        body, expects = self.in_flight
        self.in_flight = None
        self.resubmitted = False
        if expects:
            self.last_reply_body = body
        if not self._resubmitting:
            self.sent.append(_protocol_message(body, last=not self.queue, ends=self.turn_ends_call))
        if self.queue:
            self._submit_next()
            return
        self._resubmitting = False
        self._turn_sent()
        if self.phase is Phase.ENDING:
            return
        self.phase = Phase.POLLING
        self.polls = 0
        self.poll_started_s = self.conv.now()
        if polled is not None:
            self._reply(turn_id, *polled)
        else:
            self._sleep(self._first_poll_delay(), PollTurn(turn_id))

    def _first_poll_delay(self) -> float:
        """The wait before a turn's first poll: the fixed schedule's first step, or, once
        replies have been timed, just before the quickest recent one would be ready."""
        first = self.policy.poll_delay(0)
        if not self.reply_times_s:
            return first
        return max(first, min(self.reply_times_s) - self.policy.early_s)

    def _record_sent(self) -> None:
        if self.sent:  # what reached the service is part of the transcript
            self.conv.agent_sent(self.sent, self.turn_started_s, self.conv.now())
            self.sent = []

    def _turn_sent(self) -> None:
        """Every message of the agent's turn reached the service: record it."""
        self._record_sent()
        if self.turn_ends_call:
            self.conv.end(EndedBy.AGENT, "end_call")
            self.ending = Ending(EndedBy.AGENT, "end_call")
            self.phase = Phase.ENDING
            self._next = EndChat(AGENT_ENDED_REASON)

    def _submit_next(self) -> None:
        if not self.queue:
            self._turn_sent()
            return
        self.phase = Phase.SUBMITTING
        self.in_flight = self.queue.popleft()
        self._next = Submit(self.in_flight[0])

    def _resend(self) -> None:
        """After a 409 while starting: the refused submit was not recorded; send it again."""
        assert self.in_flight is not None
        self.phase = Phase.SUBMITTING
        self._next = Submit(self.in_flight[0])

    def _service_ended(self, message: str | None, reason: str | None) -> None:
        self._record_sent()
        if message:
            self.conv.tester_said(message)  # recorded, never answered
        self.conv.end(EndedBy.TESTER, reason or "ended")
        self.ending = Ending(EndedBy.TESTER, reason or "ended")
        self.phase = Phase.DONE

    def _fail(self, cause: str) -> None:
        self._record_sent()
        self.conv.end(EndedBy.AGENT, cause)
        self.ending = Ending(EndedBy.AGENT, cause, cause=cause)
        self.phase = Phase.ENDING
        self._next = EndChat(cause)


def _protocol_message(body: Message, *, last: bool, ends: bool) -> Message:
    """The protocol message a submitted body stands for (the last one of an
    ``end_call`` turn is the ``end_call`` itself)."""
    if ends and last and "role" not in body:
        return {"type": END_CALL, **body}
    return dict(body)
