"""Sample user agents for the adapter and server tests (loaded as TARGETs)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time


def polite(history, context):
    """Sync: greets, then answers with the turn number and what it heard."""
    if not history:
        return "Hi from polite"
    return {"content": f"{len(history)}: {history[-1]['content']}", "metadata": {"seen": 1}}


async def async_echo(history, context):
    if not history:
        return None
    await asyncio.sleep(0)
    return [history[-1]["content"]]


async def tagged(history, context):
    """Async: answers ``<run id>|<history length>|<text>`` (cross-talk detector)."""
    if not history:
        return None
    await asyncio.sleep(0.001)
    return f"{context.run_id}|{len(history)}|{history[-1]['content']}"


def context_reporter(history, context):
    """Answers with what it knows about the session (ids, headers, env)."""
    if not history:
        return None
    return json.dumps(
        {
            "run_id": context.run_id,
            "scenario_id": context.scenario_id,
            "result_id": context.result_id,
            "headers": context.headers,
            "secret_env": os.environ.get("CEKURA_WEBSOCKET_SECRET"),
        }
    )


def tools(history, context):
    """Returns a turn in the wrong order on purpose; the shim must reorder it."""
    if not history:
        return None
    return [
        "Looked it up.",
        {"role": "Function Call Result", "data": {"id": "c1", "name": "lookup", "result": "7"}},
        {"role": "Function Call", "data": {"id": "c1", "name": "lookup", "arguments": "{}"}},
        {"metadata": {"customer_id": "cust_1"}},
    ]


def hang_up(history, context):
    if not history:
        return None
    return {"type": "end_call", "content": "Goodbye!"}


def slow(history, context):
    """Blocks its thread (not the loop) for the number of seconds the tester says."""
    if not history:
        return None
    time.sleep(float(history[-1]["content"]))
    return "done"


def crash(history, context):
    if not history:
        return None
    raise RuntimeError("boom")


not_callable = 42

EXEC_AGENT = r"""
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    if request["event"] == "start":
        print(json.dumps({"messages": [{"content": "exec hello " + str(request["run_id"])}]}))
    elif request["event"] == "message":
        if request["content"] == "slow":
            import time; time.sleep(0.3)
        print(json.dumps([{"content": "exec: " + request["content"]}]))
    else:
        break
    sys.stdout.flush()
"""

if __name__ == "__main__":
    exec(EXEC_AGENT)  # `python shim_sample_agents.py` is the exec sample
    sys.exit(0)
