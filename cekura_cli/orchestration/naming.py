"""Default result names from the CI context, and dashboard links. Pure: the caller
passes the environment mapping and the current time.

A result name is what a human scans in the dashboard list, so it leads with where the
run came from: ``CI · main@1a2b3c4 · PR #42 · tests #17`` (GitHub Actions: branch,
short SHA, pull-request number, workflow and run number), ``CI · feature@1a2b3c4d ·
MR !7 · pipeline 991`` (GitLab CI), ``CI run 2026-11-21 20:24:53 UTC`` (another CI),
``cekura-cli local run 2026-11-21 20:24:53 UTC`` (a laptop). Parts that are not set are
left out; the name is one line of at most 255 characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone

MAX_NAME_LEN = 255
SEPARATOR = " · "
_PR_REF = re.compile(r"^refs/pull/(\d+)/(?:merge|head)$")
_TRUTHY = frozenset({"true", "1", "yes"})


def _get(environ: Mapping[str, str], key: str) -> str:
    """The variable's value on one line, or "" when unset or blank."""
    return " ".join(str(environ.get(key) or "").split())


def _is_true(environ: Mapping[str, str], key: str) -> bool:
    return _get(environ, key).lower() in _TRUTHY


def _timestamp(now: datetime) -> str:
    """UTC, to the second; a naive ``now`` is taken to be UTC already."""
    utc = now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")


def _ref(branch: str, sha: str) -> str:
    if branch and sha:
        return f"{branch}@{sha}"
    return branch or sha


def _github_parts(environ: Mapping[str, str]) -> list[str]:
    match = _PR_REF.match(_get(environ, "GITHUB_REF"))
    pr = match.group(1) if match else ""
    branch = _get(environ, "GITHUB_HEAD_REF") or _get(environ, "GITHUB_REF_NAME")
    if pr and branch in {f"{pr}/merge", f"{pr}/head"}:
        branch = ""  # GITHUB_REF_NAME of a pull request is "<n>/merge", not a branch
    sha = _get(environ, "GITHUB_SHA")[:7]
    workflow = _get(environ, "GITHUB_WORKFLOW")
    run_number = _get(environ, "GITHUB_RUN_NUMBER")
    parts = [_ref(branch, sha)]
    if pr:
        parts.append(f"PR #{pr}")
    if workflow and run_number:
        parts.append(f"{workflow} #{run_number}")
    else:
        parts.append(workflow or (f"run #{run_number}" if run_number else ""))
    return parts


def _gitlab_parts(environ: Mapping[str, str]) -> list[str]:
    branch = _get(environ, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or _get(
        environ, "CI_COMMIT_REF_NAME"
    )
    sha = _get(environ, "CI_COMMIT_SHORT_SHA") or _get(environ, "CI_COMMIT_SHA")[:8]
    mr = _get(environ, "CI_MERGE_REQUEST_IID")
    pipeline = _get(environ, "CI_PIPELINE_ID")
    return [
        _ref(branch, sha),
        f"MR !{mr}" if mr else "",
        f"pipeline {pipeline}" if pipeline else "",
    ]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def default_run_name(environ: Mapping[str, str], *, now: datetime) -> str:
    """The ``--name`` default: where this run comes from (see the module docstring)."""
    github = _is_true(environ, "GITHUB_ACTIONS")
    gitlab = _is_true(environ, "GITLAB_CI")
    parts: list[str] = []
    if github:
        parts = _github_parts(environ)
    elif gitlab:
        parts = _gitlab_parts(environ)
    parts = [part for part in parts if part]
    if parts:
        name = SEPARATOR.join(["CI", *parts])
    elif github or gitlab or _is_true(environ, "CI"):
        name = f"CI run {_timestamp(now)}"  # a CI that told us nothing more
    else:
        name = f"cekura-cli local run {_timestamp(now)}"
    return _truncate(name, MAX_NAME_LEN)


def result_url(dashboard_url: str, project_id: int | None, result_id: int) -> str:
    """The dashboard page of a result: ``{dashboard}/{project_id}/results/{result_id}``.

    Without a project id (we could not read the agent): ``{dashboard}/results/{id}``.
    """
    base = dashboard_url.rstrip("/")
    if project_id is None:
        return f"{base}/results/{result_id}"
    return f"{base}/{project_id}/results/{result_id}"


def run_url(result_url: str, run_id: int) -> str:
    """The dashboard link that opens one run of a result."""
    joiner = "&" if "?" in result_url else "?"
    return f"{result_url}{joiner}runId={run_id}"
