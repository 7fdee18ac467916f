"""The scenario file (``cekura-scenarios.yaml``): models, defaults and the JSON Schema.

A scenario file describes what the sandbox's scripted tester says and what it expects
back. The models are strict (``extra="forbid"``) so that a typo such as
``reply_contain`` is an error with a line number rather than a check that silently
never runs. :mod:`cekura_cli.sandbox.loader` reads YAML/JSON into these models and maps
validation errors back to file lines; ``docs/scenario-file.md`` documents the format.

The shipped ``scenario-file.schema.json`` is generated from these models
(``python -m cekura_cli.sandbox.scenario_file > cekura_cli/sandbox/scenario-file.schema.json``)
and a test keeps the two equal.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_ID = "https://github.com/cekura-cli/cekura-cli/schemas/scenario-file-v1.json"

FirstSpeaker = Literal["agent", "tester"]

_RESERVED_HEADER_PREFIX = "x-vocera-"
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

NonEmptyStr = Annotated[str, Field(min_length=1)]
Texts = NonEmptyStr | list[NonEmptyStr]
"""One string or a list of strings (every one must match)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def texts(value: str | list[str] | None) -> list[str]:
    """Normalise a ``Texts`` field to a list (``None`` -> ``[]``)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {value!r}: {exc}") from exc
    return value


class ToolCallExpectation(_Strict):
    """The agent calls tool ``name`` with arguments that include ``arguments``."""

    name: NonEmptyStr = Field(description="The tool (function) name, compared exactly.")
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "A subset of the call's arguments (the Function Call's `arguments` JSON "
            "string, parsed): every key given here must be present with an equal value; "
            "nested objects are compared as subsets too. Other arguments are ignored."
        ),
    )


class TurnExpectation(_Strict):
    """Checks on the agent's answer to one tester turn (each becomes one metric)."""

    reply_contains: Texts | None = Field(
        default=None,
        description="Text(s) the reply must contain (case-insensitive; all of them).",
    )
    reply_not_contains: Texts | None = Field(
        default=None,
        description="Text(s) the reply must not contain (case-insensitive; none of them).",
    )
    reply_matches: str | None = Field(
        default=None,
        description="A Python regular expression the reply must match (re.search; "
        "add (?i) for case-insensitive).",
    )
    tool_called: ToolCallExpectation | list[ToolCallExpectation] | None = Field(
        default=None,
        description="Tool call(s) the agent must make while answering this turn.",
    )
    no_tool_calls: bool | None = Field(
        default=None, description="true: the agent must not call any tool in this turn."
    )

    @field_validator("reply_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)


class Turn(_Strict):
    """One scripted tester message and what the agent's reply to it must satisfy."""

    say: NonEmptyStr = Field(description="What the tester sends (one content frame).")
    expect: TurnExpectation | None = None


class ConversationExpectation(_Strict):
    """Checks on the whole conversation (each becomes one metric)."""

    agent_ends_call: bool | None = Field(
        default=None,
        description="true: the agent must end the call itself (an end_call frame or "
        "closing the socket); false: it must not.",
    )
    max_turns: int | None = Field(
        default=None,
        ge=1,
        description="The conversation must be over within this many tester turns "
        "(useful with agent_ends_call).",
    )
    max_turn_latency_s: float | None = Field(
        default=None,
        gt=0,
        description="Every reply must arrive within this many seconds of the tester's message.",
    )
    greeting_contains: Texts | None = Field(
        default=None,
        description="Text(s) the agent's greeting must contain (case-insensitive; "
        "needs first_speaker: agent).",
    )


class TestProfile(_Strict):
    """A test profile: fields whose names start with ``X-`` are sent as handshake headers."""

    __test__ = False  # not a pytest test class, despite the name

    id: int = Field(ge=1)
    name: NonEmptyStr
    information: dict[str, Any] = Field(
        default_factory=dict,
        description="Profile fields; those named X-… become WebSocket handshake headers.",
    )


class ScenarioSpec(_Strict):
    """One scenario: a scripted conversation plus expectations."""

    id: int | None = Field(
        default=None, ge=1, description="Scenario id; default: the position in the file (1..N)."
    )
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(
        default=None, description="Free text shown as the scenario's instructions."
    )
    tags: list[NonEmptyStr] = Field(default_factory=list)
    first_speaker: FirstSpeaker | None = Field(
        default=None,
        description="Who speaks first: the agent greets (the tester waits for it) or the "
        "tester sends its first turn at once. Default: defaults.first_speaker.",
    )
    frequency: int = Field(
        default=1, ge=1, description="Runs per start request (multiplied by --frequency)."
    )
    test_profile: int | None = Field(
        default=None, ge=1, description="Id of a test profile from `test_profiles`."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra handshake headers (names start with X-; X-VOCERA-* are reserved).",
    )
    expected_outcome: str | None = Field(
        default=None, description="Plain-language expected outcome (informational)."
    )
    turns: list[Turn] = Field(min_length=1)
    expect: ConversationExpectation | None = None
    end_call_content: str | None = Field(
        default=None,
        min_length=1,
        description="After its last turn the tester ends the call with this text "
        '(`{"content": "Thank you, goodbye!", "type": "end_call"}`) instead of a bare '
        "end_call. The agent must not answer it.",
    )

    @field_validator("headers")
    @classmethod
    def _x_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _HEADER_NAME.match(name) or not name.lower().startswith("x-"):
                raise ValueError(f"header {name!r} must be a valid header name starting with X-")
            if name.lower().startswith(_RESERVED_HEADER_PREFIX):
                raise ValueError(f"header {name!r} is reserved: X-VOCERA-* are set by the tester")
        return value


class AgentSpec(_Strict):
    """The one agent the sandbox knows."""

    id: int = Field(default=1, ge=1)
    project: int = Field(default=1, ge=1)
    name: NonEmptyStr = "Sandbox agent"
    assistant_id: str | None = Field(
        default=None, description="Accepted as `assistant_id` in place of the agent id."
    )
    websocket_url: str | None = Field(
        default=None,
        description="The agent's WebSocket URL (overridden by the sandbox's "
        "--agent-websocket-url and by a start request's websocket_url).",
    )
    websocket_headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("websocket_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL")
        return value


class Defaults(_Strict):
    """Values every scenario gets unless it sets its own."""

    first_speaker: FirstSpeaker = "agent"
    greeting_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="How long the tester waits for the agent's greeting (first_speaker: agent).",
    )


class Suite(_Strict):
    """A scenario file."""

    schema_: str | None = Field(default=None, alias="$schema")
    version: Literal[1] = 1
    agent: AgentSpec = Field(default_factory=AgentSpec)
    defaults: Defaults = Field(default_factory=Defaults)
    test_profiles: list[TestProfile] = Field(default_factory=list)
    scenarios: list[ScenarioSpec] = Field(min_length=1)

    def first_speaker(self, scenario: ScenarioSpec) -> FirstSpeaker:
        return scenario.first_speaker or self.defaults.first_speaker

    def scenario_by_id(self) -> dict[int, ScenarioSpec]:
        """Scenarios by id (ids are filled in by the loader)."""
        return {s.id: s for s in self.scenarios if s.id is not None}

    def test_profile_by_id(self) -> dict[int, TestProfile]:
        return {p.id: p for p in self.test_profiles}


def json_schema() -> dict[str, Any]:
    """The scenario file's JSON Schema, as shipped in ``scenario-file.schema.json``."""
    schema = Suite.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cekura-scenarios.yaml",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # regenerate the shipped schema
    import sys

    sys.stdout.write(json_schema_text())
