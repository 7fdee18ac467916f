"""Request dispatch for the emulated service: a request in, a response (and effects) out.

No sockets and no threads: the HTTP server (:mod:`cekura_cli.sandbox.server`) parses
bytes into a :class:`Request`, calls :func:`dispatch` under its lock and writes the
:class:`Response`. Side effects that need the event loop (starting conversations,
ending calls) come back as ``effects`` for the server to carry out, so contract tests
run on this module alone.

Emulated like the service (``cekura-api.md``): paths with trailing slashes under
``/test_framework/v1/`` (``v2`` accepted as an alias), ``X-CEKURA-API-KEY`` checked,
DRF-style errors (400 ``{"field": ["msg"]}``, 401/404 ``{"detail": …}``, 405), DRF
pagination with absolute ``next`` URLs (``page_size`` defaults to 10 so clients really
paginate), and the quirks: ``runs`` keyed by run-id strings in the result detail, a bare
array from ``runs/bulk``, an empty 200 from ``end_calls``.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from cekura_cli.sandbox import agents
from cekura_cli.sandbox import api_chat_routes as _api_chat
from cekura_cli.sandbox.messages import (
    Effect,
    EndCalls,
    Request,
    Response,
    StartRuns,
    error,
    field_errors,
    json_response,
)
from cekura_cli.sandbox.start_request import start_run
from cekura_cli.sandbox.state import SandboxState
from cekura_cli.sandbox.suite_run import run_scenarios_json

__all__ = [
    "ROUTE_TEMPLATES",
    "UNAUTHENTICATED",
    "Effect",
    "EndCalls",
    "Request",
    "Response",
    "StartRuns",
    "dispatch",
    "error",
    "field_errors",
    "json_response",
    "resolve",
]

API_KEY_HEADER = "x-cekura-api-key"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


# --- routing -------------------------------------------------------------------------

_PREFIX = r"^/test_framework/v[12]"
_ROUTES: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = (
    ("scenarios", re.compile(_PREFIX + r"/scenarios/$"), frozenset({"GET"})),
    ("run", re.compile(_PREFIX + r"/scenarios/run_scenarios_text/$"), frozenset({"POST"})),
    ("scenario", re.compile(_PREFIX + r"/scenarios/(?P<id>\d+)/$"), frozenset({"GET"})),
    ("results", re.compile(_PREFIX + r"/results/(?P<id>\d+)/$"), frozenset({"GET"})),
    ("end_calls", re.compile(_PREFIX + r"/results/(?P<id>\d+)/end_calls/$"), frozenset({"POST"})),
    ("runs_bulk", re.compile(_PREFIX + r"/runs/bulk/$"), frozenset({"GET"})),
    ("agent", re.compile(_PREFIX + r"/aiagents/(?P<id>\d+)/$"), frozenset({"GET", "PATCH"})),
    ("run_json", re.compile(_PREFIX + r"/scenarios/run_scenarios_json/?$"), frozenset({"POST"})),
    ("stats", re.compile(r"^/_sandbox/stats/?$"), frozenset({"GET"})),
    ("dashboard", re.compile(r"^/(?P<project>\d+)/results/(?P<id>\d+)/?$"), frozenset({"GET"})),
    # API chat (sandbox/api_chat_routes.py)
    (
        "api_chat_run",
        re.compile(_PREFIX + r"/scenarios/run_scenarios_api_chat/?$"),
        frozenset({"POST"}),
    ),
    ("chat", re.compile(_PREFIX + r"/runs/(?P<id>\d+)/chat/?$"), frozenset({"POST"})),
    (
        "chat_turn",
        re.compile(_PREFIX + r"/runs/(?P<id>\d+)/chat/(?P<turn>\d+)/?$"),
        frozenset({"GET"}),
    ),
    ("end_chat", re.compile(_PREFIX + r"/runs/(?P<id>\d+)/end-chat/?$"), frozenset({"POST"})),
    ("chat_stats", re.compile(r"^/_sandbox/chats/?$"), frozenset({"GET"})),
    (
        "verify_websocket",
        re.compile(_PREFIX + r"/aiagents/verify-websocket/?$"),
        frozenset({"POST"}),
    ),
)
UNAUTHENTICATED = frozenset({"stats", "dashboard"})
"""Sandbox-only pages: counters, and the target of the CLI's dashboard links."""

ROUTE_TEMPLATES: dict[str, str] = {
    "scenarios": "/test_framework/v1/scenarios/",
    "run": "/test_framework/v1/scenarios/run_scenarios_text/",
    "scenario": "/test_framework/v1/scenarios/{id}/",
    "results": "/test_framework/v1/results/{id}/",
    "end_calls": "/test_framework/v1/results/{id}/end_calls/",
    "runs_bulk": "/test_framework/v1/runs/bulk/",
    "agent": "/test_framework/v1/aiagents/{id}/",
    "run_json": "/test_framework/v1/scenarios/run_scenarios_json/",
    "stats": "/_sandbox/stats",
    "dashboard": "/{project}/results/{id}",
    "api_chat_run": "/test_framework/v1/scenarios/run_scenarios_api_chat/",
    "chat": "/test_framework/v1/runs/{id}/chat/",
    "chat_turn": "/test_framework/v1/runs/{id}/chat/{turn}/",
    "end_chat": "/test_framework/v1/runs/{id}/end-chat/",
    "chat_stats": "/_sandbox/chats",
    "verify_websocket": "/test_framework/v1/aiagents/verify-websocket/",
}


def resolve(path: str) -> tuple[str | None, dict[str, str], frozenset[str]]:
    """(endpoint name, path parameters, allowed methods); name None when nothing matches.

    The trailing slash is optional on every route: the service's own paths end with one,
    the official SDK leaves it out. So a path without one is also tried with one (the
    ``_ROUTES`` patterns are written with it; a row added there gets this for free).
    """
    candidates = (path,) if path.endswith("/") else (path, path + "/")
    for candidate in candidates:
        for name, pattern, methods in _ROUTES:
            found = pattern.match(candidate)
            if found:
                return name, found.groupdict(), methods
    return None, {}, frozenset()


def dispatch(
    state: SandboxState,
    request: Request,
    *,
    api_key: str | None,
    stats: Mapping[str, Any] | None = None,
) -> Response:
    """Answer one request like the service would (``api_key`` None: any non-empty key)."""
    name, params, methods = resolve(request.path)
    if name is None:
        return error(404, "Not found.")
    if name == "stats":
        return json_response(200, dict(stats or {}))
    query = parse_qs(request.query, keep_blank_values=True)
    if name == "dashboard":
        return _dashboard(state, {k: v[-1] for k, v in query.items()}, params)
    denied = _authenticate(request.headers.get(API_KEY_HEADER), api_key)
    if denied is not None:
        return denied
    if request.method not in methods:
        refused = json_response(405, {"detail": f'Method "{request.method}" not allowed.'})
        refused.headers["Allow"] = ", ".join(sorted(methods))  # as DRF (and RFC 9110) do
        return refused
    handler = _HANDLERS[name]
    return handler(state, request, {k: v[-1] for k, v in query.items()}, params)


def _dashboard(
    state: SandboxState, query: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    """What a dashboard link shows in the sandbox: the result (or one run) as JSON."""
    result_id = int(params["id"])
    if result_id not in state.results or int(params["project"]) != state.agent.project:
        return error(404, "Not found.")
    run_id = query.get("runId", "")
    if run_id:
        run = state.runs.get(int(run_id)) if run_id.isdigit() else None
        if run is None or run.result_id != result_id:
            return error(404, "Not found.")
        payload = state.run_full_json(run)
    else:
        payload = state.result_json(result_id)
    body = json.dumps(payload, indent=2).encode()
    return Response(200, body, {"Content-Type": "application/json"})


def _authenticate(given: str | None, expected: str | None) -> Response | None:
    if not given:
        return error(401, "Authentication credentials were not provided.")
    if expected is not None and not hmac.compare_digest(given.encode(), expected.encode()):
        return error(401, "Invalid API key.")
    return None


# --- handlers ---------------------------------------------------------------------------


def _int_param(query: Mapping[str, str], name: str) -> int | None | Response:
    if name not in query or query[name] == "":
        return None
    try:
        return int(query[name])
    except ValueError:
        return field_errors({name: ["Enter a whole number."]})


def _list_scenarios(
    state: SandboxState, request: Request, query: Mapping[str, str], _: Mapping[str, str]
) -> Response:
    numbers: dict[str, int | None] = {}
    for name in ("agent_id", "project_id", "page", "page_size"):
        value = _int_param(query, name)
        if isinstance(value, Response):
            return value
        numbers[name] = value
    mode = query.get("tag_filter_type") or "or"
    if mode not in ("and", "or", "not"):
        return field_errors(
            {
                "tag_filter_type": [
                    f"Select a valid choice. {mode} is not one of the available choices."
                ]
            }
        )
    scenarios = state.scenarios
    agent = state.agent
    if (
        (numbers["agent_id"] is not None and numbers["agent_id"] != agent.id)
        or (numbers["project_id"] is not None and numbers["project_id"] != agent.project)
        or ("assistant_id" in query and query["assistant_id"] != (agent.assistant_id or ""))
    ):
        scenarios = []
    if "folder_path" in query and query["folder_path"] != "":
        scenarios = []  # the sandbox has no folders: every scenario is at the top level
    tags = [t.strip().lower() for t in query.get("tags", "").split(",") if t.strip()]
    if tags:
        scenarios = [s for s in scenarios if _tags_match({t.lower() for t in s.tags}, tags, mode)]
    page_size = min(numbers["page_size"] or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = numbers["page"] or 1
    pages = max(1, -(-len(scenarios) // page_size))
    if page < 1 or page > pages:
        return error(404, "Invalid page.")
    items = scenarios[(page - 1) * page_size : page * page_size]
    return json_response(
        200,
        {
            "count": len(scenarios),
            "next": _page_url(request, query, page + 1) if page < pages else None,
            "previous": _page_url(request, query, page - 1) if page > 1 else None,
            "results": [state.scenario_json(s) for s in items],
        },
    )


def _tags_match(have: set[str], wanted: list[str], mode: str) -> bool:
    if mode == "and":
        return all(t in have for t in wanted)
    if mode == "not":
        return not any(t in have for t in wanted)
    return any(t in have for t in wanted)


def _page_url(request: Request, query: Mapping[str, str], page: int) -> str:
    params = {k: v for k, v in query.items() if k != "page"}
    if page > 1:
        params["page"] = str(page)
    text = urlencode(params)
    return f"{request.base_url}{request.path}" + (f"?{text}" if text else "")


def _scenario_detail(
    state: SandboxState, _: Request, __: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    scenario = state.scenario_index.get(int(params["id"]))
    if scenario is None:
        return error(404, "Not found.")
    return json_response(200, state.scenario_json(scenario))


def _result_detail(
    state: SandboxState, _: Request, __: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    result_id = int(params["id"])
    if result_id not in state.results:
        return error(404, "Not found.")
    return json_response(200, state.result_json(result_id))


def _end_calls(
    state: SandboxState, _: Request, __: Mapping[str, str], params: Mapping[str, str]
) -> Response:
    result_id = int(params["id"])
    if result_id not in state.results:
        return error(404, "Not found.")
    ended = state.end_calls(result_id)
    return Response(200, b"", {}, (EndCalls(result_id, tuple(ended)),))


def _runs_bulk(
    state: SandboxState, _: Request, query: Mapping[str, str], __: Mapping[str, str]
) -> Response:
    text = query.get("run_ids")
    if text is None or not text.strip():
        return field_errors({"run_ids": ["This field is required."]})
    if text.strip().startswith("["):
        return field_errors(
            {
                "run_ids": [
                    "Must be a comma-separated list of run IDs (e.g. 1,2,3), not a JSON array."
                ]
            }
        )
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            return field_errors({"run_ids": [f'"{part}" is not a valid run ID.']})
        ids.append(int(part))
    found = sorted({i for i in ids if i in state.runs}, reverse=True)  # newest first
    return json_response(200, [state.run_full_json(state.runs[i]) for i in found])


_HANDLERS = {
    "scenarios": _list_scenarios,
    "scenario": _scenario_detail,
    "run": start_run,
    "results": _result_detail,
    "end_calls": _end_calls,
    "runs_bulk": _runs_bulk,
    **_api_chat.HANDLERS,
    "agent": agents.agent_endpoint,  # GET and PATCH, v1 and v2 shapes
    "verify_websocket": agents.verify_websocket_endpoint,
    "run_json": run_scenarios_json,
}
