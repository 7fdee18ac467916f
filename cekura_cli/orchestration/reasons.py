"""Why a run did not pass, in one line a CI log can show, and its transcript as text.

The reason is the first of these that applies (``None`` for a passed run):

1. the run's ``error_message`` (a connection or infrastructure failure);
2. ``did not finish (status: running)`` when the run was not terminal yet;
3. the failed evaluation metrics, ``<name>: <explanation>`` joined by ``; ``;
4. the expected-outcome explanation, ``expected outcome: <explanation>``;
5. the bare facts: ``status: timeout`` (failed / timeout / cancelled),
   ``evaluation: failure`` (from ``evaluation_status``), ``success: false``, or
   ``no evaluation result (success not set)``.

Whitespace is collapsed and the text cut to 500 characters by :func:`cut_reason`, which
shortens what the agent said before it touches the explanation around it.

Metric shapes vary between views and metric types, so a metric counts as failed when
its ``score`` or ``value`` is ``False``, ``0`` (except for ``numeric`` metrics, where 0
is just a number), or a string like ``fail``, ``failed``, ``false``, ``no``, ``0``;
a nested ``{"score": …}`` / ``{"value": …}`` object is looked into.
"""

from __future__ import annotations

import json
from typing import Any

from cekura_cli.api.models import FAILED_TERMINAL, Metric, Run, TranscriptEntry
from cekura_cli.orchestration.outcome import has_error_message, run_passed
from cekura_cli.orchestration.reason_cut import cut_reason

MAX_REASON_LEN = 500
_FAIL_WORDS = frozenset({"fail", "failed", "failure", "false", "no", "0"})
_TEXT_KEYS = ("explanation", "reason", "text", "message", "content", "description")


def _one_line(text: str, limit: int = MAX_REASON_LEN) -> str:
    return cut_reason(" ".join(text.split()), limit)


def _text(value: Any) -> str:
    """Readable text from an explanation that may be a string, a list or an object."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(t for t in (_text(item) for item in value) if t)
    if isinstance(value, dict):
        for key in _TEXT_KEYS:
            if key in value and _text(value[key]):
                return _text(value[key])
        return "; ".join(f"{k}: {t}" for k, v in value.items() if (t := _text(v)))
    return str(value)


def _is_fail_value(value: Any, *, numeric_metric: bool) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value is False
    if isinstance(value, (int, float)):
        return value == 0 and not numeric_metric
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "0":
            return not numeric_metric
        return word in _FAIL_WORDS
    if isinstance(value, dict):
        return any(
            _is_fail_value(value.get(key), numeric_metric=numeric_metric)
            for key in ("score", "value")
        )
    return False


def metric_failed(metric: Metric) -> bool:
    """Whether an evaluation metric says "failed" (lenient about its shape)."""
    numeric = "numeric" in (metric.type or "").lower()
    return _is_fail_value(metric.score, numeric_metric=numeric) or _is_fail_value(
        metric.value, numeric_metric=numeric
    )


def _metric_label(metric: Metric) -> str:
    if metric.name and metric.name.strip():
        return metric.name.strip()
    return f"metric {metric.id}" if metric.id is not None else "metric"


def _failed_metrics_reason(run: Run) -> str:
    if run.evaluation is None:
        return ""
    parts = []
    for metric in run.evaluation.metrics:
        if metric_failed(metric):
            parts.append(f"{_metric_label(metric)}: {_text(metric.explanation) or 'failed'}")
    return "; ".join(parts)


def _expected_outcome_reason(run: Run) -> str:
    if run.expected_outcome is None:
        return ""
    explanation = _text(run.expected_outcome.explanation)
    return f"expected outcome: {explanation}" if explanation else ""


def _status_reason(run: Run) -> str:
    if run.status in FAILED_TERMINAL:
        return f"status: {run.status.value}"
    if run.evaluation_status and run.evaluation_status.strip():
        return f"evaluation: {run.evaluation_status.strip()}"
    if run.success is False:
        return "success: false"
    return "no evaluation result (success not set)"


def failure_reason(run: Run) -> str | None:
    """One line (<= 500 chars) saying why ``run`` did not pass; ``None`` if it passed."""
    if run_passed(run):
        return None
    if has_error_message(run):
        return _one_line(run.error_message or "")
    if not run.status.is_terminal:
        return f"did not finish (status: {run.status.value})"
    text = _failed_metrics_reason(run) or _expected_outcome_reason(run) or _status_reason(run)
    return _one_line(text)


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _tool_text(data: Any) -> str:
    """``name(arguments)`` for a call, ``name -> result`` for its result."""
    if data is None or data == {} or data == "":
        return ""
    if not isinstance(data, dict):
        return _json_text(data)
    name = _text(data.get("name")) or "tool"
    if data.get("result") not in (None, ""):
        return f"{name} -> {_json_text(data['result'])}"
    if data.get("arguments") not in (None, ""):
        return f"{name}({_json_text(data['arguments'])})"
    if data.get("name"):
        return f"{name}()"
    return _json_text(data)


def _entry_line(entry: TranscriptEntry) -> str:
    role = (entry.role or "").strip() or "Unknown"
    content = entry.content if isinstance(entry.content, str) else _json_text(entry.content)
    content = content.strip() if entry.content is not None else ""
    body = " ".join(part for part in (content, _tool_text(entry.data)) if part)
    return f"{role}: {body}" if body else ""


def render_transcript(run: Run) -> str | None:
    """The conversation as text: ``run.transcript`` when the service rendered one, else
    ``Role: content`` lines built from ``transcript_object`` (tool calls with their
    name and arguments, tool results with their result). ``None`` when there is none.
    """
    if run.transcript and run.transcript.strip():
        return run.transcript.strip("\n")
    lines = [line for entry in run.transcript_object or () if (line := _entry_line(entry))]
    return "\n".join(lines) or None
