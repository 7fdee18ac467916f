"""Response models for the parts of the Cekura API that cekura-cli reads.

Parsing is lenient by design (see ``docs/cekura-api.md`` in the shared docs):

- unknown fields are ignored; every field we do not strictly need is optional;
- counts typed as strings in the schema are coerced to ``int``;
- statuses are normalised to :class:`Status`; an unknown status becomes
  ``Status.UNKNOWN`` (treated as "still running") instead of failing the parse;
- ``runs`` in a result detail is an object keyed by run id; in list views an array.
  Both become ``list[Run]``;
- ``expected_outcome`` is an object in practice and a string in the schema: both kept;
- ``success_rate`` is parsed but never used for a verdict (its scale varies).

These models are pure data: no I/O, safe to build in tests from plain dicts.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator


class Status(str, Enum):
    """The one status enum results and runs share."""

    PENDING = "pending"
    IN_QUEUE = "in_queue"
    SCALING_UP = "scaling_up"
    RUNNING = "running"
    IN_PROGRESS = "in_progress"
    EVALUATING = "evaluating"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL: frozenset[Status] = frozenset(
    {Status.COMPLETED, Status.FAILED, Status.TIMEOUT, Status.CANCELLED}
)
"""A result or run in one of these states will not change any more."""

FAILED_TERMINAL: frozenset[Status] = frozenset({Status.FAILED, Status.TIMEOUT, Status.CANCELLED})
"""Terminal states that fail a run whatever its ``success`` flag says."""

INFRASTRUCTURE_TERMINAL: frozenset[Status] = frozenset({Status.TIMEOUT, Status.CANCELLED})
"""Terminal states reported as infrastructure errors rather than check failures."""


def parse_status(value: Any) -> Status:
    """Map any status value the service may send to :class:`Status` (never raises)."""
    if isinstance(value, Status):
        return value
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return Status(key)
        except ValueError:
            return Status.UNKNOWN
    return Status.UNKNOWN


def _to_int(value: Any) -> int | None:
    """Coerce counts and ids that arrive as strings ("12"), floats (12.0) or null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if number.is_integer() else None
    if isinstance(value, dict):  # a nested object where an id was expected
        return _to_int(value.get("id"))
    return None


def _to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
    except (ValueError, OverflowError):  # an integer beyond float range is not a number here
        return None
    return None


def _to_seconds(value: Any) -> float | None:
    """A duration: seconds as a number, or ``MM:SS`` / ``HH:MM:SS`` (the OpenAPI form)."""
    if isinstance(value, str) and ":" in value:
        parts = value.strip().split(":")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            return None
        if len(numbers) > 3 or any(n < 0 for n in numbers):
            return None
        total = 0.0
        for number in numbers:
            total = total * 60 + number
        return total
    return _to_float(value)


def _to_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "1", "yes"}:
            return True
        if text in {"false", "0", "no"}:
            return False
    return None


def _to_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    return None


def _to_tags(value: Any) -> list[str]:
    """Tags are ``str[]``; tolerate a comma-separated string and ``[{"name": …}]``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    tags: list[str] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.strip():
                tags.append(item.strip())
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                tags.append(item["name"].strip())
    return tags


LenientInt = Annotated[int | None, BeforeValidator(_to_int)]
LenientFloat = Annotated[float | None, BeforeValidator(_to_float)]
Seconds = Annotated[float | None, BeforeValidator(_to_seconds)]
LenientBool = Annotated[bool | None, BeforeValidator(_to_bool)]
LenientStr = Annotated[str | None, BeforeValidator(_to_str)]
LenientStatus = Annotated[Status, BeforeValidator(parse_status)]
Tags = Annotated[list[str], BeforeValidator(_to_tags)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class Metric(_Lenient):
    """One evaluation metric of a run."""

    id: LenientInt = None
    name: LenientStr = None
    type: LenientStr = None
    score: Any = None
    value: Any = None
    explanation: Any = None


class Evaluation(_Lenient):
    metrics: list[Metric] = Field(default_factory=list)

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics_list(cls, value: Any) -> list[Any]:
        if isinstance(value, dict):
            value = list(value.values())
        if not isinstance(value, list):
            return []
        return [m for m in value if isinstance(m, dict)]


class ExpectedOutcome(_Lenient):
    """``expected_outcome``: an object in practice, a bare string in the schema."""

    score: Any = None
    explanation: Any = None
    outcome_alignments: Any = None


class TranscriptEntry(_Lenient):
    role: LenientStr = None
    content: Any = None
    start_time: LenientFloat = None
    end_time: LenientFloat = None
    data: Any = None


class Run(_Lenient):
    """One conversation of a result (from result detail, start response or runs/bulk)."""

    id: int
    scenario: LenientInt = None
    scenario_name: LenientStr = None
    status: LenientStatus = Status.UNKNOWN
    success: LenientBool = None
    evaluation_status: LenientStr = None
    error_message: LenientStr = None
    evaluation: Evaluation | None = None
    expected_outcome: ExpectedOutcome | None = None
    expected_outcome_prompt: LenientStr = None
    transcript: LenientStr = None
    transcript_object: list[TranscriptEntry] | None = None
    duration: Seconds = None
    timestamp: LenientStr = None
    executed_at: LenientStr = None
    personality_name: LenientStr = None
    test_profile_data: Any = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> int:
        number = _to_int(value)
        if number is None:
            raise ValueError("run id must be an integer")
        return number

    @field_validator("evaluation", mode="before")
    @classmethod
    def _evaluation(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None

    @field_validator("expected_outcome", mode="before")
    @classmethod
    def _expected_outcome(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"explanation": value} if value.strip() else None
        return value if isinstance(value, dict) else None

    @field_validator("transcript_object", mode="before")
    @classmethod
    def _transcript_object(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return None
        return [entry for entry in value if isinstance(entry, dict)]

    @field_validator("transcript", mode="before")
    @classmethod
    def _transcript(cls, value: Any) -> Any:
        if isinstance(value, (list, dict)):
            return None  # some views put the object here; transcript_object carries it
        return value


def _runs_list(value: Any) -> list[Any]:
    """``runs`` is an object keyed by run id (detail view) or an array (list views)."""
    if value is None:
        return []
    items: list[Any]
    if isinstance(value, dict):
        items = []
        for key, run in value.items():
            if isinstance(run, dict):
                items.append(run if "id" in run else {**run, "id": key})
    elif isinstance(value, list):
        items = [run for run in value if isinstance(run, dict)]
    else:
        return []
    # Skip entries whose id cannot be read rather than failing the whole result.
    return [run for run in items if _to_int(run.get("id")) is not None]


class Result(_Lenient):
    """A result (the batch of runs one start request created)."""

    id: int
    name: LenientStr = None
    agent: LenientInt = None
    project: LenientInt = None
    status: LenientStatus = Status.UNKNOWN
    run_as_text: LenientBool = None
    created_at: LenientStr = None
    updated_at: LenientStr = None
    total_runs_count: LenientInt = None
    completed_runs_count: LenientInt = None
    success_runs_count: LenientInt = None
    failed_runs_count: LenientInt = None
    success_rate: LenientFloat = None  # never used for the verdict: its scale varies
    runs: Annotated[list[Run], BeforeValidator(_runs_list)] = Field(default_factory=list)
    failed_reasons: Any = None
    failed_infrastructure_runs: Any = None
    failed_workflow_runs: Any = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> int:
        number = _to_int(value)
        if number is None:
            raise ValueError("result id must be an integer")
        return number

    @property
    def run_ids(self) -> list[int]:
        return [run.id for run in self.runs]


class Scenario(_Lenient):
    id: int
    name: LenientStr = None
    tags: Tags = Field(default_factory=list)
    agent: LenientInt = None
    folder_path: LenientStr = None
    scenario_type: LenientStr = None
    expected_outcome_prompt: LenientStr = None
    instructions: LenientStr = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> int:
        number = _to_int(value)
        if number is None:
            raise ValueError("scenario id must be an integer")
        return number

    @property
    def display_name(self) -> str:
        return self.name or f"scenario {self.id}"


class Agent(_Lenient):
    id: int
    agent_name: LenientStr = None
    project: LenientInt = None
    websocket_url: LenientStr = None


class Page(_Lenient):
    """One page of a DRF-style paginated list; ``results`` are parsed by the caller."""

    count: LenientInt = None
    next: LenientStr = None
    previous: LenientStr = None
    results: list[Any] = Field(default_factory=list)
