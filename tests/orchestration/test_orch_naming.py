"""Default run names from CI environments, and dashboard URLs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cekura_cli.orchestration.naming import default_run_name, result_url, run_url

NOW = datetime(2026, 11, 21, 20, 24, 53, tzinfo=timezone.utc)

GITHUB_PR = {
    "GITHUB_ACTIONS": "true",
    "CI": "true",
    "GITHUB_REF": "refs/pull/42/merge",
    "GITHUB_REF_NAME": "42/merge",
    "GITHUB_HEAD_REF": "feature/login",
    "GITHUB_SHA": "1a2b3c4d5e6f7a8b9c0d",
    "GITHUB_WORKFLOW": "tests",
    "GITHUB_RUN_NUMBER": "17",
}

GITHUB_PUSH = {
    "GITHUB_ACTIONS": "true",
    "CI": "true",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_HEAD_REF": "",
    "GITHUB_SHA": "1a2b3c4d5e6f7a8b9c0d",
    "GITHUB_WORKFLOW": "tests",
}


def test_github_pull_request():
    assert default_run_name(GITHUB_PR, now=NOW) == "CI · feature/login@1a2b3c4 · PR #42 · tests #17"


def test_github_push():
    assert default_run_name(GITHUB_PUSH, now=NOW) == "CI · main@1a2b3c4 · tests"


def test_github_pull_request_without_head_ref_does_not_show_the_merge_ref_as_branch():
    env = {**GITHUB_PR, "GITHUB_HEAD_REF": "", "GITHUB_REF": "refs/pull/42/head"}
    env["GITHUB_REF_NAME"] = "42/head"
    assert default_run_name(env, now=NOW) == "CI · 1a2b3c4 · PR #42 · tests #17"


def test_github_run_number_without_workflow():
    env = {"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "v1.2", "GITHUB_RUN_NUMBER": "3"}
    assert default_run_name(env, now=NOW) == "CI · v1.2 · run #3"


def test_github_with_nothing_useful_falls_back_to_a_timestamp():
    assert default_run_name({"GITHUB_ACTIONS": "true"}, now=NOW) == "CI run 2026-11-21 20:24:53 UTC"


def test_gitlab_merge_request():
    env = {
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_COMMIT_REF_NAME": "feature/x",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/x",
        "CI_COMMIT_SHORT_SHA": "9f8e7d6c",
        "CI_COMMIT_SHA": "9f8e7d6c5b4a",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_PIPELINE_ID": "991",
    }
    assert default_run_name(env, now=NOW) == "CI · feature/x@9f8e7d6c · MR !7 · pipeline 991"


def test_gitlab_branch_pipeline_without_short_sha():
    env = {"GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_SHA": "abcdef0123456"}
    assert default_run_name(env, now=NOW) == "CI · main@abcdef01"


@pytest.mark.parametrize("value", ["true", "1", "TRUE", "yes"])
def test_generic_ci(value):
    assert default_run_name({"CI": value}, now=NOW) == "CI run 2026-11-21 20:24:53 UTC"


@pytest.mark.parametrize("env", [{}, {"CI": "false"}, {"CI": ""}, {"GITHUB_ACTIONS": "false"}])
def test_outside_ci(env):
    assert default_run_name(env, now=NOW) == "cekura-cli local run 2026-11-21 20:24:53 UTC"


def test_timestamps_are_utc():
    cest = timezone(timedelta(hours=2))
    local = datetime(2026, 11, 21, 22, 24, 53, tzinfo=cest)
    assert default_run_name({}, now=local) == "cekura-cli local run 2026-11-21 20:24:53 UTC"
    naive = datetime(2026, 11, 21, 20, 24, 53)
    assert default_run_name({}, now=naive) == "cekura-cli local run 2026-11-21 20:24:53 UTC"


def test_names_are_one_line_and_at_most_255_characters():
    env = {**GITHUB_PR, "GITHUB_HEAD_REF": "b" * 400, "GITHUB_WORKFLOW": "my\n  workflow"}
    name = default_run_name(env, now=NOW)
    assert len(name) == 255
    assert name == ("CI · " + "b" * 400)[:254] + "…"
    short = default_run_name({**GITHUB_PR, "GITHUB_WORKFLOW": "my\n  workflow"}, now=NOW)
    assert short == "CI · feature/login@1a2b3c4 · PR #42 · my workflow #17"


@pytest.mark.parametrize(
    ("dashboard", "project", "expected"),
    [
        ("https://dashboard.cekura.ai", 3, "https://dashboard.cekura.ai/3/results/7"),
        ("https://dashboard.cekura.ai///", 3, "https://dashboard.cekura.ai/3/results/7"),
        ("https://dashboard.cekura.ai/", None, "https://dashboard.cekura.ai/results/7"),
        ("http://127.0.0.1:8080", 0, "http://127.0.0.1:8080/0/results/7"),
    ],
)
def test_result_url(dashboard, project, expected):
    assert result_url(dashboard, project, 7) == expected


def test_run_url():
    assert run_url("https://d/3/results/7", 11) == "https://d/3/results/7?runId=11"
    assert run_url("https://d/results/7?tab=runs", 11) == "https://d/results/7?tab=runs&runId=11"
