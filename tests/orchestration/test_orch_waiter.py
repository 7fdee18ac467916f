"""wait_for_result with a fake clock (its sleep advances the clock): no real waiting."""

from __future__ import annotations

import statistics

import pytest

from cekura_cli.api.models import Result, Status
from cekura_cli.errors import ServiceError, WaitTimeout
from cekura_cli.exit_codes import ExitCode
from cekura_cli.orchestration.polling import PollPolicy
from cekura_cli.orchestration.waiter import WaitTimeoutWithResult, progress_of, wait_for_result
from cekura_cli.reporting.model import Progress

START = 100.0


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def make_result(status: str, runs: list[dict] | None = None, **fields) -> Result:
    return Result.model_validate({"id": 7, "status": status, "runs": runs or [], **fields})


class ScriptedFetch:
    """Returns ``results[i]`` on poll i (the last one forever), taking ``latency_s``."""

    def __init__(self, clock: FakeClock, results: list[Result], latency_s: float = 0.0) -> None:
        self.clock = clock
        self.results = results
        self.latency_s = latency_s
        self.poll_times: list[float] = []

    def __call__(self) -> Result:
        self.poll_times.append(self.clock())
        self.clock.now += self.latency_s
        return self.results[min(len(self.poll_times), len(self.results)) - 1]


def spacing(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times[:-1], times[1:], strict=True)]


def test_returns_the_terminal_result_polling_on_the_default_schedule():
    clock = FakeClock()
    done = make_result("completed")
    fetch = ScriptedFetch(clock, [make_result("pending"), make_result("running"), done])
    got = wait_for_result(
        fetch, deadline=START + 60, started_at=START, clock=clock, sleep=clock.sleep
    )
    assert got is done
    assert fetch.poll_times == [100.0, 101.0, 102.25]
    assert clock.sleeps == [1.0, 1.25]


def test_an_already_finished_result_is_returned_after_one_poll_without_sleeping():
    clock = FakeClock()
    fetch = ScriptedFetch(clock, [make_result("failed")])
    got = wait_for_result(
        fetch, deadline=START + 60, started_at=START, clock=clock, sleep=clock.sleep
    )
    assert got.status is Status.FAILED
    assert fetch.poll_times == [100.0]
    assert clock.sleeps == []


def test_on_progress_is_called_on_every_poll():
    clock = FakeClock()
    runs_running = [{"id": 1, "status": "running"}, {"id": 2, "status": "pending"}]
    runs_half = [{"id": 1, "status": "completed", "success": True}, {"id": 2, "status": "running"}]
    runs_done = [
        {"id": 1, "status": "completed", "success": True},
        {"id": 2, "status": "completed", "success": False},
    ]
    fetch = ScriptedFetch(
        clock,
        [
            make_result("running", runs_running),
            make_result("running", runs_half),
            make_result("completed", runs_done),
        ],
    )
    seen: list[Progress] = []
    wait_for_result(
        fetch,
        deadline=START + 60,
        started_at=START - 10,
        clock=clock,
        sleep=clock.sleep,
        on_progress=seen.append,
    )
    assert seen == [
        Progress(
            result_id=7, status="running", total=2, done=0, passed=0, failed=0, elapsed_s=10.0
        ),
        Progress(
            result_id=7, status="running", total=2, done=1, passed=1, failed=0, elapsed_s=11.0
        ),
        Progress(
            result_id=7, status="completed", total=2, done=2, passed=1, failed=1, elapsed_s=12.25
        ),
    ]


def test_times_out_at_the_deadline_with_a_final_poll_and_the_last_result():
    clock = FakeClock()
    results = [make_result("running", [{"id": i, "status": "running"}]) for i in range(1, 10)]
    fetch = ScriptedFetch(clock, results)
    with pytest.raises(WaitTimeoutWithResult) as info:
        wait_for_result(fetch, deadline=START + 5, started_at=START, clock=clock, sleep=clock.sleep)
    # 1.0, 1.25, 1.5625, then 1.953125 clipped to the deadline: a last poll exactly at it
    assert fetch.poll_times == [100.0, 101.0, 102.25, 103.8125, 105.0]
    assert clock.now == 105.0
    assert info.value.last_result is results[4]
    assert isinstance(info.value, WaitTimeout)
    assert info.value.exit_code is ExitCode.TIMEOUT
    assert str(info.value) == "result 7 did not finish within 5 s (status: running, 0/1 runs done)"
    assert info.value.hint == "raise --timeout, or attach again later with 'cekura wait 7'"


def test_no_final_poll_when_it_would_come_less_than_a_second_after_the_last():
    clock = FakeClock()
    fetch = ScriptedFetch(clock, [make_result("running")])
    with pytest.raises(WaitTimeoutWithResult):
        wait_for_result(
            fetch, deadline=START + 1.5, started_at=START, clock=clock, sleep=clock.sleep
        )
    assert fetch.poll_times == [100.0, 101.0]
    assert clock.sleeps == [1.0, 0.5]
    assert clock.now == 101.5  # the timeout fires on time, not one interval late


def test_a_deadline_already_past_still_polls_once():
    clock = FakeClock()
    last = make_result("in_queue")
    fetch = ScriptedFetch(clock, [last])
    with pytest.raises(WaitTimeoutWithResult) as info:
        wait_for_result(fetch, deadline=START - 1, started_at=START, clock=clock, sleep=clock.sleep)
    assert fetch.poll_times == [100.0]
    assert clock.sleeps == []
    assert info.value.last_result is last


@pytest.mark.parametrize("latency_s", [0.0, 0.3, 0.999, 1.7, 3.0])
def test_never_polls_more_than_once_per_second_whatever_the_fetch_latency(latency_s):
    clock = FakeClock()
    fetch = ScriptedFetch(clock, [make_result("running")], latency_s=latency_s)
    with pytest.raises(WaitTimeoutWithResult):
        wait_for_result(
            fetch, deadline=START + 30, started_at=START, clock=clock, sleep=clock.sleep
        )
    gaps = spacing(fetch.poll_times)
    assert len(gaps) >= 8
    assert min(gaps) >= 1.0
    # the period is the schedule's interval, not interval + latency, while the fetch is quick
    if latency_s < 1.0:
        assert gaps[:5] == pytest.approx([1.0, 1.25, 1.5625, 1.953125, 2.0])


def test_an_aggressive_policy_is_still_floored_at_one_poll_per_second():
    clock = FakeClock()
    fetch = ScriptedFetch(clock, [make_result("running")])
    policy = PollPolicy(initial_interval_s=0.01, max_interval_s=0.05)
    with pytest.raises(WaitTimeoutWithResult):
        wait_for_result(
            fetch,
            deadline=START + 10,
            started_at=START,
            policy=policy,
            clock=clock,
            sleep=clock.sleep,
        )
    assert spacing(fetch.poll_times) == [1.0] * 10


def test_a_failing_fetch_propagates_unchanged():
    clock = FakeClock()
    error = ServiceError("boom", status_code=502)
    calls = []

    def fetch() -> Result:
        calls.append(clock())
        if len(calls) == 2:
            raise error
        return make_result("running")

    with pytest.raises(ServiceError) as info:
        wait_for_result(
            fetch, deadline=START + 60, started_at=START, clock=clock, sleep=clock.sleep
        )
    assert info.value is error
    assert calls == [100.0, 101.0]


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("pending", False),
        ("in_queue", False),
        ("scaling_up", False),
        ("running", False),
        ("in_progress", False),
        ("evaluating", False),
        ("completed", True),
        ("failed", True),
        ("timeout", True),
        ("cancelled", True),
        ("something_new", False),  # unknown: treated as still running
        (None, False),
    ],
)
def test_each_status_value(status, terminal):
    clock = FakeClock()
    fetch = ScriptedFetch(clock, [make_result(status)])
    if terminal:
        wait_for_result(fetch, deadline=START + 3, started_at=START, clock=clock, sleep=clock.sleep)
        assert fetch.poll_times == [100.0]
    else:
        with pytest.raises(WaitTimeoutWithResult):
            wait_for_result(
                fetch, deadline=START + 3, started_at=START, clock=clock, sleep=clock.sleep
            )
        # 102.25 -> 103.0 is under a second: no extra poll at the deadline
        assert fetch.poll_times == [100.0, 101.0, 102.25]


def test_default_policy_notices_a_finish_within_one_second_median_two_at_most():
    """PRODUCT §7 with zero fetch latency: finish times spread over 0..60 s."""
    running, done = make_result("running"), make_result("completed")
    delays = []
    for step in range(1200):
        finish_at = START + step * 0.05
        clock = FakeClock()

        def fetch(clock=clock, finish_at=finish_at) -> Result:
            return done if clock() >= finish_at else running

        wait_for_result(
            fetch, deadline=START + 120, started_at=START, clock=clock, sleep=clock.sleep
        )
        delays.append(clock.now - finish_at)
    assert statistics.median(delays) <= 1.0
    assert max(delays) <= 2.0


# progress_of ---------------------------------------------------------------------------


def test_progress_from_run_statuses():
    result = make_result(
        "running",
        [
            {"id": 1, "status": "completed", "success": True},
            {"id": 2, "status": "completed", "success": False},
            {"id": 3, "status": "completed"},
            {"id": 4, "status": "failed", "success": True},
            {"id": 5, "status": "timeout"},
            {"id": 6, "status": "running"},
            {"id": 7, "status": "brand_new"},
        ],
        success_runs_count=99,  # the runs win over the counts
    )
    assert progress_of(result, elapsed_s=3.5) == Progress(
        result_id=7, status="running", total=7, done=5, passed=1, failed=4, elapsed_s=3.5
    )


def test_progress_total_prefers_the_service_count_when_runs_are_not_all_listed():
    result = make_result("running", [{"id": 1, "status": "running"}], total_runs_count="10")
    assert progress_of(result, elapsed_s=0.0).total == 10


def test_progress_from_counts_when_runs_are_absent():
    result = make_result(
        "running",
        total_runs_count="10",
        completed_runs_count=4,
        success_runs_count="3",
        failed_runs_count=1,
    )
    assert progress_of(result, elapsed_s=1.0) == Progress(
        result_id=7, status="running", total=10, done=4, passed=3, failed=1, elapsed_s=1.0
    )


def test_progress_from_counts_derives_failed_and_stays_consistent():
    derived = make_result(
        "running", total_runs_count=5, completed_runs_count=4, success_runs_count=1
    )
    assert progress_of(derived, elapsed_s=0.0) == Progress(
        result_id=7, status="running", total=5, done=4, passed=1, failed=3, elapsed_s=0.0
    )
    odd = make_result("completed", total_runs_count=1, completed_runs_count=2, success_runs_count=5)
    assert progress_of(odd, elapsed_s=0.0) == Progress(
        result_id=7, status="completed", total=5, done=5, passed=5, failed=0, elapsed_s=0.0
    )


def test_progress_of_an_empty_result():
    assert progress_of(make_result("pending"), elapsed_s=0.0) == Progress(
        result_id=7, status="pending", total=0, done=0, passed=0, failed=0, elapsed_s=0.0
    )
