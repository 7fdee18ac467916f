"""The asyncio glue of one API-chat conversation: the driver's actions, carried out.

The driver (:mod:`.driver`) decides; this module does the I/O it asks for — an HTTP
request (:class:`~cekura_cli.api.chat.ChatClient`), an agent turn (the shim's
:func:`~cekura_cli.shim.conversation.agent_turn`), a sleep — one at a time, so a
conversation never has more than one request in flight. A stop (SIGINT, SIGTERM,
``--timeout``) cancels what is in flight and ends the chat. Whatever happened, the
transcript is written (masked) and the agent session closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cekura_cli.api.chat import ChatClient, SubmitStatus, TurnMissing
from cekura_cli.apichat.driver import (
    AskAgent,
    ChatDriver,
    ChatPolicy,
    Done,
    EndChat,
    Ending,
    PollTurn,
    Sleep,
    Submit,
)
from cekura_cli.errors import ServiceError
from cekura_cli.shim.adapters.base import Agent, AgentSession
from cekura_cli.shim.conversation import agent_turn, failure_cause
from cekura_cli.shim.session import Conversation, EndedBy
from cekura_cli.shim.store import TranscriptStore

log = logging.getLogger("cekura_cli.apichat")

T = TypeVar("T")
AGENT_CLOSE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ChatRun:
    run_id: int
    result_id: int | None = None
    scenario_id: int | None = None


@dataclass(frozen=True)
class DriveSettings:
    turn_timeout_s: float = 30.0
    end_chat_timeout_s: float = 3.0
    policy: ChatPolicy = field(default_factory=ChatPolicy)


class Stopper:
    """Shared by every conversation of a pool: set once, with the reason."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.reason = "interrupted"

    def stop(self, reason: str) -> None:
        self.reason = reason
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()


class _Stopped(Exception):
    pass


async def _until_stopped(awaitable: Awaitable[T], stopper: Stopper) -> T:
    """``await awaitable`` unless the stop comes first (then it is cancelled)."""
    if stopper.stopped:
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise _Stopped
    task = asyncio.ensure_future(awaitable)
    waiter = asyncio.ensure_future(stopper.event.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    raise _Stopped


async def drive_conversation(
    run: ChatRun,
    *,
    agent: Agent,
    chat: ChatClient,
    store: TranscriptStore,
    settings: DriveSettings,
    stopper: Stopper,
) -> Ending:
    """Play the agent in one API-chat run until it ends; returns how it ended."""
    loop = asyncio.get_running_loop()
    conv = Conversation(
        clock=loop.time,
        started_wall=time.time(),
        run_id=str(run.run_id),
        scenario_id=None if run.scenario_id is None else str(run.scenario_id),
        result_id=None if run.result_id is None else str(run.result_id),
    )
    driver = ChatDriver(conv, settings.policy)
    session: AgentSession | None = None
    try:
        try:
            session = agent.open(conv.context)
        except Exception as exc:
            driver._fail(failure_cause(exc))
        else:
            driver.start()
        await _run(driver, run, session, chat, settings, stopper)
    finally:
        if not conv.ended:  # cancelled from outside: still a finished conversation
            conv.end(EndedBy.SERVER_SHUTDOWN, stopper.reason)
        if session is not None:
            try:
                await asyncio.wait_for(session.close(), AGENT_CLOSE_TIMEOUT_S)
            except Exception as exc:
                log.warning("run %s: agent close failed: %s", run.run_id, type(exc).__name__)
        await _save(store, conv)
    assert driver.ending is not None
    return driver.ending


async def _run(
    driver: ChatDriver,
    run: ChatRun,
    session: AgentSession | None,
    chat: ChatClient,
    settings: DriveSettings,
    stopper: Stopper,
) -> None:
    conv = driver.conv
    while True:
        action = driver.next_action()
        if isinstance(action, Done):
            return
        if isinstance(action, EndChat):
            await chat.end_chat(run.run_id, action.reason, timeout_s=settings.end_chat_timeout_s)
            driver.on_end_chat_done()
            continue
        try:
            await _perform(action, driver, run, session, chat, settings, stopper)
        except _Stopped:
            driver.stop(stopper.reason)
        except ServiceError as exc:  # pragma: no cover - each path maps its own errors
            driver.on_poll_failed(str(exc))
        if stopper.stopped and not conv.ended:
            driver.stop(stopper.reason)


async def _perform(
    action: Any,
    driver: ChatDriver,
    run: ChatRun,
    session: AgentSession | None,
    chat: ChatClient,
    settings: DriveSettings,
    stopper: Stopper,
) -> None:
    if isinstance(action, PollTurn):
        try:
            state = await _until_stopped(chat.poll(run.run_id, action.turn_id), stopper)
        except TurnMissing as exc:
            driver.on_poll_missing(action.turn_id, exc.status_code or 404)
        except ServiceError as exc:
            driver.on_poll_failed(str(exc))
        else:
            driver.on_polled(
                state.turn_id,
                status=state.status,
                message=state.message,
                ended=state.ended,
                ended_reason=state.ended_reason,
            )
    elif isinstance(action, Submit):
        outcome = await _until_stopped(chat.submit(run.run_id, action.body), stopper)
        if outcome.status is SubmitStatus.ACCEPTED:
            assert outcome.turn_id is not None
            driver.on_submitted(outcome.turn_id)
        elif outcome.status is SubmitStatus.REJECTED:
            driver.on_submit_rejected()
        elif outcome.status is SubmitStatus.AMBIGUOUS:
            driver.on_submit_ambiguous()
        else:
            driver.on_submit_failed(outcome.problem or "refused")
    elif isinstance(action, AskAgent):
        assert session is not None
        started = driver.conv.now()
        ask = agent_turn(
            session, driver.conv.context, action.text, timeout_s=settings.turn_timeout_s
        )
        answer = await _until_stopped(ask, stopper)
        if answer.plan is not None:
            for problem in answer.plan.problems:
                log.warning("run %s: %s", run.run_id, problem)
        driver.on_agent_answered(answer.plan, answer.failure, at_s=started)
    elif isinstance(action, Sleep):
        await _until_stopped(asyncio.sleep(action.seconds), stopper)
        driver.after_sleep()
    else:  # pragma: no cover - the driver has no other actions
        raise TypeError(f"unknown action {action!r}")


async def _save(store: TranscriptStore, conv: Conversation) -> None:
    if store.directory is not None:
        try:
            await asyncio.shield(asyncio.to_thread(store.write, conv))
        except Exception as exc:  # disk full: the run goes on, say so
            log.error("run %s: transcript not written: %s", conv.context.run_id, exc)
