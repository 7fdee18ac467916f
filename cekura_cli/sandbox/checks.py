"""The checks behind the metrics: each takes a conversation record and says
(passed, explanation), where the explanation tells a person what to fix — what was
expected, in which turn, and what the agent actually said or did. Pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from cekura_cli.sandbox.conversation import (
    ConversationRecord,
    EndedBy,
    TurnRecord,
    parse_arguments,
)
from cekura_cli.sandbox.scenario_file import ScenarioSpec, ToolCallExpectation

Check = tuple[bool, str]  # (passed, explanation)
CheckFn = Callable[[ConversationRecord], Check]


def quote(text: str | None, limit: int = 80) -> str:
    """A short, quoted excerpt of what someone said."""
    if text is None:
        return "(nothing)"
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"'{flat}'"


def list_texts(values: list[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def turns_text(count: int) -> str:
    return f"{count} turn{'' if count == 1 else 's'}"


def call_text(name: str | None, arguments: Any) -> str:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return f"{name}({args or ''})"


def missing_turn(record: ConversationRecord, index: int) -> str:
    """Why turn ``index`` has no reply to check, in words."""
    sent = len(record.turns)
    if index > sent:
        when = f"after turn {sent}" if sent else "before the first turn"
        if record.agent_ended_call:
            why = f"the agent ended the call {when}"
        elif record.ended_by is EndedBy.CANCELLED:
            why = f"the call was ended by an end_calls request {when}"
        elif record.error:
            why = f"the conversation failed {when}: {record.error}"
        else:
            why = f"the conversation stopped {when}"
        return f"turn {index} was never sent: {why}"
    turn = record.turns[index - 1]
    how = (
        "it closed the connection" if record.ended_by is EndedBy.AGENT_CLOSE else "no content frame"
    )
    if record.ended_by is EndedBy.AGENT_CLOSE and record.close_detail:
        how = f"it closed the connection ({record.close_detail})"
    if record.ended_by is EndedBy.AGENT_END_CALL:
        how = "it ended the call without saying anything"
    elif record.error:
        how = record.error
    return f"the agent sent no reply to turn {index} ({quote(turn.say)}): {how}"


def reply_check(
    index: int, test: Callable[[TurnRecord, str], Check]
) -> Callable[[ConversationRecord], Check]:
    def check(record: ConversationRecord) -> Check:
        if index > len(record.turns) or record.turns[index - 1].reply is None:
            return False, missing_turn(record, index)
        turn = record.turns[index - 1]
        return test(turn, turn.reply or "")

    return check


def contains(index: int, wanted: list[str]) -> Callable[[ConversationRecord], Check]:
    def test(turn: TurnRecord, reply: str) -> Check:
        missing = [w for w in wanted if w.lower() not in reply.lower()]
        if not missing:
            return (
                True,
                f"the reply to turn {index} ({quote(turn.say)}) contains {list_texts(wanted)}",
            )
        extra = f" (missing: {list_texts(missing)})" if len(wanted) > 1 else ""
        return False, (
            f"expected the reply to turn {index} ({quote(turn.say)}) to contain "
            f"{list_texts(wanted)}{extra}; the agent said: {quote(reply)}"
        )

    return reply_check(index, test)


def not_contains(index: int, unwanted: list[str]) -> Callable[[ConversationRecord], Check]:
    def test(turn: TurnRecord, reply: str) -> Check:
        found = [w for w in unwanted if w.lower() in reply.lower()]
        if not found:
            return True, f"the reply to turn {index} does not contain {list_texts(unwanted)}"
        return False, (
            f"expected the reply to turn {index} ({quote(turn.say)}) not to contain "
            f"{list_texts(found)}; the agent said: {quote(reply)}"
        )

    return reply_check(index, test)


def matches(index: int, pattern: str) -> Callable[[ConversationRecord], Check]:
    regex = re.compile(pattern)

    def test(turn: TurnRecord, reply: str) -> Check:
        found = regex.search(reply)
        if found:
            return True, f"the reply to turn {index} matches /{pattern}/ ({quote(found.group(0))})"
        return False, (
            f"expected the reply to turn {index} ({quote(turn.say)}) to match /{pattern}/; "
            f"the agent said: {quote(reply)}"
        )

    return reply_check(index, test)


def subset_problem(expected: Any, actual: Any, path: str = "") -> str | None:
    """None when ``expected`` is a subset of ``actual``; else what differs, in words."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path or 'arguments'} is {json.dumps(actual)}, expected an object"
        for key, value in expected.items():
            where = f"{path}.{key}" if path else key
            if key not in actual:
                return f"no '{where}' argument"
            problem = subset_problem(value, actual[key], where)
            if problem:
                return problem
        return None
    if expected != actual:
        return f"{path} is {json.dumps(actual)}, expected {json.dumps(expected)}"
    return None


def tool_called(index: int, tool: ToolCallExpectation) -> Callable[[ConversationRecord], Check]:
    args = f" with arguments including {json.dumps(tool.arguments)}" if tool.arguments else ""

    def check(record: ConversationRecord) -> Check:
        if index > len(record.turns):
            return False, missing_turn(record, index)
        turn = record.turns[index - 1]
        expected = (
            f"expected the agent to call {tool.name}{args} while answering turn {index} "
            f"({quote(turn.say)})"
        )
        if not turn.tool_calls:
            said = f" The agent said: {quote(turn.reply)}" if turn.reply is not None else ""
            return False, f"{expected}; it called no tool.{said}"
        same_name = [c for c in turn.tool_calls if c.name == tool.name]
        if not same_name:
            calls = ", ".join(call_text(c.name, c.arguments) for c in turn.tool_calls)
            return False, f"{expected}; it called {calls} instead"
        problems = []
        for call in same_name:
            arguments, problem = parse_arguments(call.arguments)
            if arguments is not None:
                problem = subset_problem(tool.arguments, arguments)
            if problem is None:
                return (
                    True,
                    f"turn {index}: the agent called {call_text(call.name, call.arguments)}",
                )
            problems.append(f"it called {call_text(call.name, call.arguments)}: {problem}")
        return False, f"{expected}; " + "; ".join(problems)

    return check


def no_tool_calls(index: int) -> Callable[[ConversationRecord], Check]:
    def check(record: ConversationRecord) -> Check:
        if index > len(record.turns):
            return False, missing_turn(record, index)
        turn = record.turns[index - 1]
        if not turn.tool_calls:
            return True, f"the agent called no tool in turn {index}"
        calls = ", ".join(call_text(c.name, c.arguments) for c in turn.tool_calls)
        return False, (
            f"expected no tool calls while answering turn {index} ({quote(turn.say)}); "
            f"the agent called {calls}"
        )

    return check


def greets_first(record: ConversationRecord) -> Check:
    if record.greeting is not None:
        return True, f"the agent spoke first: {quote(record.greeting)}"
    if record.error and not record.turns:
        return False, f"the agent did not greet: {record.error}"
    if record.ended_by in (EndedBy.AGENT_CLOSE, EndedBy.AGENT_END_CALL) and not record.turns:
        return False, "the agent ended the call before saying anything"
    waited = f" in the first {record.greeting_timeout_s:g} s" if record.greeting_timeout_s else ""
    return False, (
        f"the agent sent nothing{waited} (first_speaker: agent); make it greet on connect, "
        "or set first_speaker: tester"
    )


def greeting_contains(wanted: list[str]) -> Callable[[ConversationRecord], Check]:
    def check(record: ConversationRecord) -> Check:
        if record.greeting is None:
            return (
                False,
                f"expected the greeting to contain {list_texts(wanted)}; the agent did not greet",
            )
        missing = [w for w in wanted if w.lower() not in record.greeting.lower()]
        if not missing:
            return True, f"the greeting contains {list_texts(wanted)}"
        return False, (
            f"expected the greeting to contain {list_texts(wanted)}; the agent said: "
            f"{quote(record.greeting)}"
        )

    return check


def last_words(record: ConversationRecord) -> str:
    if not record.turns:
        return "before the first turn"
    last = record.turns[-1]
    return f"after turn {last.index} ({quote(last.say)})"


def ends_call(wanted: bool, scenario: ScenarioSpec) -> Callable[[ConversationRecord], Check]:
    def check(record: ConversationRecord) -> Check:
        how = "sent end_call" if record.ended_by is EndedBy.AGENT_END_CALL else "closed the socket"
        said = f": {quote(record.end_content)}" if record.end_content else ""
        if wanted:
            if record.agent_ended_call:
                return True, f"the agent ended the call ({how}) {last_words(record)}{said}"
            if record.ended_by is EndedBy.TESTER:
                last = record.turns[-1]
                return False, (
                    f'expected the agent to end the call (send {{"type": "end_call"}} or '
                    f"close the socket) by the end of the script; after the last turn "
                    f"({last.index}, {quote(last.say)}) it replied {quote(last.reply)} and kept "
                    "the call open, so the tester hung up"
                )
            how_ended = (record.ended_by or EndedBy.ERROR).value
            detail = f": {record.error}" if record.error else ""
            return False, (
                f"expected the agent to end the call; the conversation ended otherwise "
                f"({how_ended}{detail})"
            )
        if record.agent_ended_call:
            return False, (
                f"expected the agent to keep the call open until the tester hangs up; it "
                f"{how} {last_words(record)}{said}"
            )
        return True, "the agent kept the call open until the tester hung up"

    return check


def max_turns(limit: int) -> Callable[[ConversationRecord], Check]:
    def check(record: ConversationRecord) -> Check:
        used = len(record.turns)
        if used <= limit and (record.agent_ended_call or record.ended_by is EndedBy.TESTER):
            return True, f"the conversation was over after {turns_text(used)} (limit {limit})"
        if record.agent_ended_call:
            return False, (
                f"expected the conversation to be over within {turns_text(limit)}; "
                f"the agent ended the call only after turn {used}"
            )
        return False, (
            f"expected the conversation to be over within {turns_text(limit)}; it took "
            f"{turns_text(used)} and the agent never ended the call"
        )

    return check


def max_latency(limit_s: float) -> Callable[[ConversationRecord], Check]:
    def check(record: ConversationRecord) -> Check:
        timed = [t for t in record.turns if t.latency_s is not None]
        if not timed:
            return True, "no replies to time"
        slowest = max(timed, key=lambda t: t.latency_s or 0.0)
        latency = slowest.latency_s or 0.0
        if latency <= limit_s:
            return True, (
                f"every reply arrived within {limit_s:g} s (slowest: turn {slowest.index}, "
                f"{latency:.2f} s)"
            )
        return False, (
            f"expected every reply within {limit_s:g} s; the reply to turn {slowest.index} "
            f"({quote(slowest.say)}) took {latency:.2f} s"
        )

    return check
