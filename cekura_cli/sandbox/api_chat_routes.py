"""The sandbox's API-chat endpoints (``cekura-api-more.md`` §3), as dispatch handlers.

``POST scenarios/run_scenarios_api_chat/`` validates like ``run_scenarios_text`` (same
selection rules; no ``websocket_url``, an optional ``timeout``), creates the result and
opens one :class:`~.api_chat.ChatSession` per run, already ``in_progress`` (no agent
connection is dialled). ``POST runs/{id}/chat/``, ``GET runs/{id}/chat/{turn}/`` and
``POST runs/{id}/end-chat/`` drive it. When a chat ends its run is evaluated by the
same evaluation as a WebSocket conversation and finished. ``GET /_sandbox/chats/``
(authenticated, sandbox-only) reports per-run counters for tests and benchmarks:
submits, polls per turn, how late a ready reply was noticed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cekura_cli.sandbox.api_chat import CANCELLED, ChatSession
from cekura_cli.sandbox.evaluation import outcome_of
from cekura_cli.sandbox.messages import Request, Response, error, field_errors, json_response
from cekura_cli.sandbox.start_request import _id_list, _positive_int, _selected_scenarios
from cekura_cli.sandbox.state import SandboxState

_NOT_OPEN = "Run is still starting, or has already ended."


def start_api_chat(
    state: SandboxState, request: Request, _: Mapping[str, str], __: Mapping[str, str]
) -> Response:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error(400, f"JSON parse error - {exc}")
    if not isinstance(body, dict):
        return field_errors({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    errors: dict[str, list[str]] = {}
    agent = state.agent
    agent_id, assistant_id = body.get("agent_id"), body.get("assistant_id")
    if agent_id is None and assistant_id is None:
        errors["agent_id"] = ["Either agent_id or assistant_id is required."]
    elif agent_id is not None and agent_id != agent.id:
        errors["agent_id"] = [f'Invalid pk "{agent_id}" - object does not exist.']
    elif assistant_id is not None and assistant_id != agent.assistant_id:
        errors["assistant_id"] = ["No agent found with this assistant_id."]
    selected = _selected_scenarios(state, body, errors)
    frequency = _positive_int(body, "frequency", errors, default=1)
    timeout = _positive_int(body, "timeout", errors, default=None)
    if timeout is not None and timeout > 3600:
        errors["timeout"] = ["Ensure this value is less than or equal to 3600."]
    personalities = _id_list(body, "personality_ids", errors)
    profiles = _id_list(body, "test_profile_ids", errors)
    for profile_id in profiles:
        if profile_id not in state.test_profiles:
            errors.setdefault("test_profile_ids", []).append(
                f'Invalid pk "{profile_id}" - object does not exist.'
            )
    if errors:
        return field_errors(errors)
    assert selected is not None and frequency is not None
    result = state.create_result(
        name=body.get("name") if isinstance(body.get("name"), str) else None,
        scenarios=selected,
        frequency=frequency,
        websocket_url="",
        websocket_headers={},
        personality_ids=personalities,
        test_profile_ids=profiles,
        concurrency_limit=None,
    )
    faults = state.faults
    now = state.clock()
    for run_id in result.run_ids:
        run = state.runs[run_id]
        state.run_started(run_id)
        state.chats[run_id] = ChatSession(
            run_id=run_id,
            result_id=result.id,
            script=tuple(turn.say for turn in run.scenario.turns),
            first_speaker=state.suite.first_speaker(run.scenario),
            started_at=now,
            reply_delay_s=faults.chat_reply_delay_s if faults else 0.0,
            timeout_s=float(timeout) if timeout is not None else None,
        )
    return json_response(200, state.start_response_json(result))


def _session(state: SandboxState, params: Mapping[str, str]) -> ChatSession | Response:
    run_id = int(params["id"])
    if run_id not in state.runs:
        return error(404, "Not found.")
    chat = state.chats.get(run_id)
    if chat is None:
        return error(409, _NOT_OPEN)  # a text run: nothing to drive over REST
    run = state.runs[run_id]
    if run.terminal and not chat.ended:  # ended meanwhile by end_calls
        chat.end(CANCELLED, state.clock())
    chat.expire_if_due(state.clock())
    _finish_if_ended(state, chat)
    return chat


def chat_submit(
    state: SandboxState, request: Request, _: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    chat = _session(state, params)
    if isinstance(chat, Response):
        return chat
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return error(400, f"JSON parse error - {exc}")
    if not isinstance(body, dict):
        return field_errors({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    faults = state.faults
    if (
        not chat.ended
        and isinstance(body.get("content"), str)
        and body.get("role") is None
        and faults is not None
        and faults.for_chat_reply()
    ):
        chat.error_turns += 1
    status, payload = chat.submit(body, state.clock())
    _finish_if_ended(state, chat)
    return json_response(status, payload)


def chat_turn(
    state: SandboxState, _: Request, __: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    chat = _session(state, params)
    if isinstance(chat, Response):
        return chat
    payload = chat.poll(int(params["turn"]), state.clock())
    _finish_if_ended(state, chat)
    if payload is None:
        return error(404, "Unknown turn.")
    return json_response(200, payload)


def end_chat(
    state: SandboxState, request: Request, _: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    chat = _session(state, params)
    if isinstance(chat, Response):
        return chat
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = {}
    reason = body.get("reason") if isinstance(body, dict) else None
    chat.end(reason if isinstance(reason, str) else None, state.clock())
    _finish_if_ended(state, chat)
    return json_response(
        200, {"run_id": chat.run_id, "result_id": chat.result_id, "status": "ended"}
    )


def chat_stats(
    state: SandboxState, _: Request, __: Mapping[str, str], ___: Mapping[str, str]
) -> Response:
    runs: dict[str, Any] = {str(run_id): chat.stats() for run_id, chat in state.chats.items()}
    return json_response(200, {"runs": runs})


def _finish_if_ended(state: SandboxState, chat: ChatSession) -> None:
    """Evaluate a chat that just ended and finish its run (once)."""
    run = state.runs[chat.run_id]
    if not chat.ended or run.terminal:
        return
    state.run_evaluating(run.id)
    first_speaker = state.suite.first_speaker(run.scenario)
    state.run_finished(run.id, outcome_of(run.scenario, first_speaker, chat.record))


HANDLERS = {
    "api_chat_run": start_api_chat,
    "chat": chat_submit,
    "chat_turn": chat_turn,
    "end_chat": end_chat,
    "chat_stats": chat_stats,
}
