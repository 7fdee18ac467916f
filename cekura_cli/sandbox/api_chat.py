"""The simulated user of one API-chat run: the scripted tester, pulled turn by turn.

Pure (the clock is passed in): the HTTP handlers (:mod:`.api_chat_routes`) call it under
the sandbox's lock. It plays the same script as the WebSocket tester
(:mod:`.tester`) and fills the same :class:`~.conversation.ConversationRecord`, so the
same evaluation (:mod:`.evaluation`) scores it:

- turn 0 is the opening: the scenario's first line when the tester speaks first, else
  ``null`` (the agent's first content submit is then its greeting);
- each content submit is the agent's reply to the current line and opens a new turn
  whose reply (the next scripted line) is ``ready`` after ``reply_delay_s`` (the slow
  simulated user); after the last line the reply is ``ended`` (the tester hangs up);
- ``Function Call`` / ``Function Call Result`` / metadata submits are recorded and get a
  turn id but no reply; a submit while a reply is generating marks that turn
  ``dropped`` (the newer one answers both);
- ``end-chat`` with ``main_agent_ended_call`` is the agent's end_call; any other
  reason is recorded as the conversation's error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cekura_cli.sandbox.conversation import (
    AGENT,
    FUNCTION_CALL,
    FUNCTION_RESULT,
    TESTER,
    ConversationRecord,
    EndedBy,
    ToolCall,
    TurnRecord,
)

AGENT_ENDED = "main_agent_ended_call"
TESTER_ENDED = "simulated_user_ended_chat"
CANCELLED = "end_calls"


@dataclass
class ChatTurn:
    id: int
    status: str  # generating | ready | error | dropped
    message: str | None
    ended: bool = False
    ended_reason: str | None = None
    ready_at: float = 0.0
    noticed_at: float | None = None  # when a poll first saw it ready
    polls: int = 0
    says: str | None = None  # the line this turn's reply will be, when ready


@dataclass
class ChatSession:
    """One run's API chat: the script, the turns handed out, and the record."""

    run_id: int
    result_id: int
    script: tuple[str, ...]
    first_speaker: str
    started_at: float
    reply_delay_s: float = 0.0
    error_turns: int = 0
    """Inject: this many replies fail (``error``) before they are generated."""
    timeout_s: float | None = None
    """The start request's ``timeout``: the conversation's whole lifetime."""
    record: ConversationRecord = field(default_factory=ConversationRecord)
    turns: dict[int, ChatTurn] = field(default_factory=dict)
    next_line: int = 0  # index into script of the next line the tester will say
    ended: bool = False
    ended_reason: str | None = None
    submits: int = 0
    content_submits: int = 0
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self.record.first_speaker = self.first_speaker
        opening: str | None = None
        if self.first_speaker == "tester" and self.script:
            opening = self._say(0.0)
        self.turns[0] = ChatTurn(0, "ready", opening, ready_at=self.started_at)

    # -- what the handlers call -----------------------------------------------------------
    def poll(self, turn_id: int, now: float) -> dict[str, Any] | None:
        turn = self.turns.get(turn_id)
        if turn is None:
            return None
        turn.polls += 1
        if turn.status == "generating" and now >= turn.ready_at:
            self._make_ready(turn)
        if turn.status == "ready" and turn.noticed_at is None:
            turn.noticed_at = now
        return self._turn_json(turn)

    def submit(self, body: dict[str, Any], now: float) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) for ``POST chat/``."""
        if self.ended:
            return 409, {"detail": "Run is still starting, or has already ended."}
        at = now - self.started_at
        self.submits += 1
        metadata = body.get("metadata")
        if isinstance(metadata, dict):
            self.record.metadata.update(metadata)
        role = body.get("role")
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        content = body.get("content")
        if isinstance(content, str) and role is None:
            self._drop_generating()
        current = self.record.turns[-1] if self.record.turns else None
        turn_id = len(self.turns)
        if role == FUNCTION_CALL:
            self.record.add(FUNCTION_CALL, "", at, data)
            if current is not None:
                current.tool_calls.append(
                    ToolCall(data.get("id"), data.get("name"), data.get("arguments"), at)
                )
            self.turns[turn_id] = ChatTurn(turn_id, "ready", None, ready_at=now)
            return 202, self._accepted(turn_id, "ready")
        if role == FUNCTION_RESULT:
            self.record.add(FUNCTION_RESULT, "", at, data)
            if current is not None:
                current.tool_results.append(data)
            self.turns[turn_id] = ChatTurn(turn_id, "ready", None, ready_at=now)
            return 202, self._accepted(turn_id, "ready")
        if not isinstance(content, str):
            if isinstance(metadata, dict):
                self.turns[turn_id] = ChatTurn(turn_id, "ready", None, ready_at=now)
                return 202, self._accepted(turn_id, "ready")
            return 400, {"content": ["This field is required."]}
        self.content_submits += 1
        self.record.add(AGENT, content, at)
        if current is not None and current.reply is None:
            current.reply, current.reply_at_s = content, at
        elif current is None and self.record.greeting is None:
            self.record.greeting, self.record.greeting_at_s = content, at
        turn = ChatTurn(turn_id, "generating", None, ready_at=now + self.reply_delay_s)
        self.turns[turn_id] = turn
        if self.error_turns > 0:
            self.error_turns -= 1
            turn.status = "error"
            return 202, self._accepted(turn_id, "generating")
        if self.next_line < len(self.script):
            turn.says = self._say(turn.ready_at - self.started_at)
        if turn.ready_at <= now and turn.says is not None:
            # A line is ready at once; the hang-up after the last one waits for a poll,
            # as the service's generating reply does, so an end-chat sent right after
            # the agent's closing words is the agent ending the call.
            self._make_ready(turn)
        return 202, self._accepted(turn_id, "generating")

    def end(self, reason: str | None, now: float) -> None:
        if self.ended:
            return
        self._finish(reason or "ended", now)
        if reason == AGENT_ENDED:
            self.record.ended_by = EndedBy.AGENT_END_CALL
        elif reason == CANCELLED:
            self.record.ended_by = EndedBy.CANCELLED
        else:
            self.record.ended_by = EndedBy.ERROR
            self.record.error = f"the client ended the chat: {reason or 'no reason given'}"

    def expire_if_due(self, now: float) -> None:
        """Past its ``timeout`` the chat is over and scored as it stands (not an error)."""
        if self.ended or self.timeout_s is None or now - self.started_at < self.timeout_s:
            return
        self._finish("timeout", now)
        self.record.ended_by = EndedBy.TESTER

    def stats(self) -> dict[str, Any]:
        ready = [t for t in self.turns.values() if t.id > 0 and t.noticed_at is not None]
        return {
            "submits": self.submits,
            "content_submits": self.content_submits,
            "turns": len(self.turns),
            "polls_per_turn": [t.polls for t in ready],
            "notice_latency_s": [round(t.noticed_at - t.ready_at, 4) for t in ready],  # type: ignore[operator]
            "ended": self.ended,
            "ended_reason": self.ended_reason,
        }

    # -- internals ------------------------------------------------------------------------
    def _say(self, at_s: float) -> str:
        line = self.script[self.next_line]
        self.next_line += 1
        turn = TurnRecord(index=self.next_line, say=line, sent_at_s=at_s)
        self.record.turns.append(turn)
        self.record.add(TESTER, line, at_s)
        return line

    def _drop_generating(self) -> None:
        """A content submit while a reply generates: that turn is ``dropped`` and its
        line is said by the newer turn instead (it answers everything since)."""
        for earlier in self.turns.values():
            if earlier.status != "generating":
                continue
            earlier.status = "dropped"
            if earlier.says is not None:
                self.next_line -= 1
                said = self.record.turns.pop()
                for index in range(len(self.record.entries) - 1, -1, -1):
                    entry = self.record.entries[index]
                    if entry["role"] == TESTER and entry["content"] == said.say:
                        del self.record.entries[index]
                        break
                earlier.says = None

    def _make_ready(self, turn: ChatTurn) -> None:
        turn.status = "ready"
        if turn.says is not None:
            turn.message = turn.says
            return
        turn.ended, turn.ended_reason = True, TESTER_ENDED  # the script ran out: hang up
        self._finish(TESTER_ENDED, turn.ready_at)
        self.record.ended_by = EndedBy.TESTER

    def _finish(self, reason: str, now: float) -> None:
        self.ended = True
        self.ended_reason = reason
        self.record.ended_after_turn = len(self.record.turns)
        self.record.duration_s = max(0.0, now - self.started_at)

    def _accepted(self, turn_id: int, status: str) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "result_id": self.result_id,
            "turn_id": turn_id,
            "status": status,
        }

    def _turn_json(self, turn: ChatTurn) -> dict[str, Any]:
        ended = turn.ended or (self.ended and turn.status != "generating")
        return {
            "run_id": self.run_id,
            "result_id": self.result_id,
            "turn_id": turn.id,
            "status": turn.status,
            "message": turn.message if turn.status == "ready" else None,
            "ended": ended,
            "ended_reason": turn.ended_reason or (self.ended_reason if ended else None),
        }
