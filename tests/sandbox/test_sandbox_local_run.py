"""End to end: the bundled suite through the real shim, and `cekura run --local`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import API_KEY, START, UNIT_S, bulk, wait_completed, watchdog

from cekura_cli.sandbox import SandboxConfig, load_suite, start_sandbox_in_thread

shim = pytest.importorskip("cekura_cli.shim")

SECRET = "local-run-secret-42"


def run_bundled_suite(agent: str) -> list[dict]:
    """Every scenario of the bundled suite against ``agent`` served by the real shim."""
    with (
        shim.start_shim_in_thread(shim.ShimConfig(target=agent, port=0, secret=SECRET)) as served,
        start_sandbox_in_thread(
            SandboxConfig(
                suite=load_suite(None),
                api_key=API_KEY,
                agent_websocket_url=served.url,
                websocket_secret=SECRET,
            )
        ) as sandbox,
        httpx.Client(
            base_url=sandbox.url, headers={"X-CEKURA-API-KEY": API_KEY}, timeout=UNIT_S
        ) as client,
    ):
        started = client.post(START, json={"agent_id": 1, "tags": ["smoke-test", "critical"]})
        assert started.status_code == 201
        result = wait_completed(client, started.json()["id"])
        return sorted(bulk(client, list(result["runs"])).values(), key=lambda run: run["id"])


def test_the_bundled_suite_passes_against_the_booking_demo_agent() -> None:
    runs = run_bundled_suite("booking")
    assert len(runs) == len(load_suite(None).scenarios)
    failures = {
        run["scenario_name"]: [
            m["explanation"] for m in run["evaluation"]["metrics"] if not m["value"]
        ]
        for run in runs
        if not run["success"]
    }
    assert failures == {}
    assert all(run["status"] == "completed" and run["error_message"] == "" for run in runs)
    booking = next(
        run for run in runs if run["scenario_name"] == "Books an appointment for tomorrow"
    )
    calls = [e for e in booking["transcript_object"] if e["role"] == "Function Call"]
    assert [c["data"]["name"] for c in calls] == ["book_appointment"]
    assert "Function Call Result" in booking["transcript"]


def test_the_bundled_suite_fails_informatively_against_echo() -> None:
    runs = run_bundled_suite("echo")
    assert runs and all(run["status"] == "completed" and run["success"] is False for run in runs)
    explanations = [
        m["explanation"] for run in runs for m in run["evaluation"]["metrics"] if not m["value"]
    ]
    assert any("make it greet on connect" in text for text in explanations)
    assert any(
        'expected the agent to call book_appointment with arguments including {"date": "tomorrow"}'
        in text
        and "it called no tool" in text
        for text in explanations
    )
    assert any(
        "to contain 'booked'; the agent said: 'I'd like to book" in text for text in explanations
    )
    assert any("expected the agent to end the call" in text for text in explanations)


def test_cekura_run_local_passes_with_the_bundled_demo(cekura, tmp_path: Path) -> None:
    done = cekura(["run", "--local", "--tag", "smoke-test,critical", "--json", "-"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "passed"
    assert (
        report["counts"]["total"] == report["counts"]["passed"] == len(load_suite(None).scenarios)
    )


def test_cekura_run_local_fails_against_echo_with_reasons(cekura, tmp_path: Path) -> None:
    done = cekura(
        ["run", "--local", "--serve", "echo", "--tag", "critical", "--json", "-"], cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "failed" and report["counts"]["passed"] == 0
    reasons = " ".join(run["reason"] or "" for run in report["runs"])
    assert "greet" in reasons and "book_appointment" in reasons


def test_cekura_run_local_reads_the_scenario_file_in_the_working_directory(
    cekura, tmp_path: Path
) -> None:
    (tmp_path / "cekura-scenarios.yaml").write_text(
        "scenarios:\n"
        "  - name: Asks the weather\n"
        "    tags: [mine]\n"
        "    turns:\n"
        "      - say: What's the weather?\n"
        "        expect: {reply_contains: only help with booking}\n",
        encoding="utf-8",
    )
    done = cekura(["run", "--local", "--tag", "mine", "--json", "-"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [run["scenario_name"] for run in json.loads(done.stdout)["runs"]] == ["Asks the weather"]


def test_an_invalid_scenario_file_exits_2_naming_the_place(cekura, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenarios:\n"
        "  - name: Broken\n"
        "    turns:\n"
        "      - say: hello\n"
        "        expect:\n"
        "          reply_matches: '([a-z]'\n",
        encoding="utf-8",
    )
    done = cekura(["run", "--local", "--scenarios", str(bad), "--tag", "x"], cwd=tmp_path)
    assert done.returncode == 2
    assert f"{bad}:6: scenarios[0].turns[0].expect.reply_matches: invalid regex" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_dropped_start_post_is_not_repeated(cekura, tmp_path: Path) -> None:
    """The duplicate-run trap against the standalone sandbox: exactly one result exists."""
    import subprocess
    import sys

    serve = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cekura_cli.commands.sandbox import app; app()",
            "serve",
            "--port",
            "0",
            "--agent-websocket-url",
            "ws://127.0.0.1:9/",
            "--fault",
            "POST run:drop_after_read",
        ],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stderr is not None
        with watchdog(serve):
            url = serve.stderr.readline().split("serving on ")[1].split(" ")[0]
        done = cekura(
            ["run", "--api-url", url, "--agent-id", "1", "--tag", "smoke-test"],
            env={"CEKURA_API_KEY": "any-key-will-do"},
            cwd=tmp_path,
        )
        assert done.returncode == 3, done.stderr
        assert "not repeated" in done.stderr
        stats = httpx.get(f"{url}/_sandbox/stats", timeout=UNIT_S).json()
        assert stats["results_created"] == 1
        assert stats["requests"]["POST /test_framework/v1/scenarios/run_scenarios_text/"] == 1
    finally:
        serve.terminate()
        serve.wait(timeout=2 * UNIT_S)


def test_runs_that_never_finish_time_out_with_exit_4(cekura, tmp_path: Path) -> None:
    done = cekura(
        ["run", "--local", "--tag", "critical", "--timeout", "1", "--json", "-"],
        env={"CEKURA_SANDBOX_FAULTS": "runs:never_finish"},
        cwd=tmp_path,
    )
    assert done.returncode == 4, done.stderr
    report = json.loads(done.stdout)
    assert {run["status"] for run in report["runs"]} == {"cancelled"}
