"""Properties over arbitrary service data: the report never raises and always adds up;
selection never invents or duplicates; the waiter never polls faster than its floor."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cekura_cli.api.models import Result, Run, Scenario
from cekura_cli.orchestration.polling import PollPolicy
from cekura_cli.orchestration.selection import Selection, select
from cekura_cli.orchestration.verdict import build_report
from cekura_cli.orchestration.waiter import WaitTimeoutWithResult, wait_for_result
from cekura_cli.reporting.model import Outcome, Verdict

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # same examples every run: the suite stays deterministic
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

statuses = st.sampled_from(
    [
        "pending",
        "in_queue",
        "scaling_up",
        "running",
        "in_progress",
        "evaluating",
        "completed",
        "failed",
        "timeout",
        "cancelled",
        "COMPLETED",
        "weird",
        "",
        None,
        3,
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.sampled_from(["fail", "pass", "0", "no", "", "yes"]),
    st.text(max_size=20),
)
explanations = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)
metrics = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.integers(0, 50), st.text(max_size=3)),
        "name": st.one_of(st.none(), st.text(max_size=10)),
        "type": st.one_of(st.none(), st.sampled_from(["numeric", "binary_qualitative"])),
        "score": st.one_of(scalars, st.dictionaries(st.sampled_from(["score", "value"]), scalars)),
        "value": scalars,
        "explanation": explanations,
    },
)
entries = st.fixed_dictionaries(
    {},
    optional={
        "role": st.one_of(st.none(), st.text(max_size=8)),
        "content": st.one_of(scalars, st.lists(scalars, max_size=2)),
        "data": st.one_of(
            st.none(),
            st.text(max_size=5),
            st.dictionaries(
                st.sampled_from(["name", "arguments", "result", "id"]), explanations, max_size=3
            ),
        ),
    },
)
runs = st.fixed_dictionaries(
    {"id": st.integers(1, 40)},
    optional={
        "status": statuses,
        "success": st.one_of(st.none(), st.booleans(), st.sampled_from(["true", "no", "x", 1])),
        "scenario": st.one_of(st.none(), st.integers(1, 5), st.just("7")),
        "scenario_name": st.one_of(st.none(), st.text(max_size=10)),
        "error_message": st.one_of(st.none(), st.text(max_size=30)),
        "evaluation_status": st.one_of(st.none(), st.sampled_from(["success", "failure", ""])),
        "evaluation": st.one_of(
            st.none(),
            st.just("x"),
            st.fixed_dictionaries(
                {
                    "metrics": st.one_of(
                        st.lists(metrics, max_size=4),
                        st.dictionaries(st.text(max_size=3), metrics, max_size=2),
                    )
                }
            ),
        ),
        "expected_outcome": st.one_of(
            st.none(),
            st.text(max_size=20),
            st.fixed_dictionaries({}, optional={"explanation": explanations}),
        ),
        "transcript": st.one_of(st.none(), st.text(max_size=20)),
        "transcript_object": st.one_of(st.none(), st.lists(entries, max_size=4)),
        "duration": scalars,
    },
)


@SETTINGS
@given(
    summary=st.lists(runs, max_size=12),
    detailed=st.lists(runs, max_size=12),
    result_status=statuses,
    total_runs_count=st.one_of(st.none(), st.integers(-1, 60), st.just("12")),
    min_pass_rate=st.floats(0.0, 1.0),
    timed_out=st.booleans(),
    interrupted=st.booleans(),
)
def test_build_report_never_raises_and_counts_add_up(
    summary, detailed, result_status, total_runs_count, min_pass_rate, timed_out, interrupted
):
    result = Result.model_validate(
        {"id": 1, "status": result_status, "runs": summary, "total_runs_count": total_runs_count}
    )
    detail_runs = [Run.model_validate(r) for r in detailed]
    report = build_report(
        result,
        detail_runs,
        min_pass_rate=min_pass_rate,
        result_url="u",
        run_url=lambda rid: f"u?runId={rid}",
        scenario_names={1: "one", 2: ""},
        timed_out=timed_out,
        interrupted=interrupted,
    )
    counts = report.counts
    ids = [r.run_id for r in report.runs]
    assert counts.passed + counts.failed + counts.errored == counts.total == len(report.runs)
    assert ids == sorted(set(ids))
    assert set(ids) == {r["id"] for r in summary} | {r["id"] for r in detailed}
    assert 0.0 <= report.pass_rate <= 1.0
    assert counts.passed == sum(1 for r in report.runs if r.outcome is Outcome.PASSED)
    if report.verdict is Verdict.PASSED:
        assert counts.total > 0 and report.exit_code == 0
        assert not (timed_out or interrupted)
    else:
        assert report.exit_code in (1, 4, 130)
    for run in report.runs:
        assert (run.reason is None) is (run.outcome is Outcome.PASSED)
        assert run.reason is None or (len(run.reason) <= 500 and "\n" not in run.reason)
        assert run.case_name.startswith(run.scenario_name)


scenarios = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.integers(1, 30),
            "tags": st.lists(st.sampled_from(["a", "A", "b", "c", " b "]), max_size=3),
        }
    ),
    max_size=20,
)
tag_sets = st.lists(st.sampled_from(["a", "b", "B", "c", "d"]), max_size=3).map(tuple)


@SETTINGS
@given(
    raw=scenarios,
    tags=tag_sets,
    match=st.sampled_from(["any", "all"]),
    exclude=tag_sets,
    wanted_ids=st.lists(st.integers(1, 35), max_size=4).map(tuple),
)
def test_selection_is_a_deduplicated_ordered_subset_without_excluded_tags(
    raw, tags, match, exclude, wanted_ids
):
    items = [Scenario.model_validate(s) for s in raw]
    got = select(
        items, Selection(tags=tags, match=match, exclude_tags=exclude, scenario_ids=wanted_ids)
    )
    got_ids = [s.id for s in got.scenarios]
    assert len(got_ids) == len(set(got_ids))
    first_index = {}
    for index, item in enumerate(items):
        first_index.setdefault(item.id, index)
    assert [first_index[i] for i in got_ids] == sorted(first_index[i] for i in got_ids)
    excluded = {t.strip().lower() for t in exclude}
    assert all(not ({t.lower() for t in s.tags} & excluded) for s in got.scenarios)
    assert set(got.missing_ids) == set(wanted_ids) - {s.id for s in items}
    kept_ids = {s.id for s in items if s.id in set(wanted_ids)}
    not_excluded = {s.id for s in got.scenarios}
    for sid in kept_ids:
        first = items[first_index[sid]]
        if not ({t.lower() for t in first.tags} & excluded):
            assert sid in not_excluded


@SETTINGS
@given(
    initial=st.floats(0.001, 5.0),
    maximum=st.floats(0.001, 5.0),
    growth=st.floats(1.0, 4.0),
    latencies=st.lists(st.floats(0.0, 3.0), min_size=1, max_size=8),
    timeout_s=st.floats(0.0, 20.0),
)
def test_waiter_never_polls_faster_than_the_floor(initial, maximum, growth, latencies, timeout_s):
    policy = PollPolicy(initial_interval_s=initial, max_interval_s=maximum, growth=growth)
    clock = [0.0]
    polls: list[float] = []
    running = Result.model_validate({"id": 1, "status": "running"})

    def fetch() -> Result:
        polls.append(clock[0])
        clock[0] += latencies[len(polls) % len(latencies)]
        return running

    def sleep(seconds: float) -> None:
        assert seconds >= 0
        clock[0] += seconds

    try:
        wait_for_result(
            fetch,
            deadline=timeout_s,
            started_at=0.0,
            policy=policy,
            clock=lambda: clock[0],
            sleep=sleep,
        )
    except WaitTimeoutWithResult as exc:
        assert exc.last_result is running
    else:  # pragma: no cover - the result never finishes
        raise AssertionError("returned a result that never finished")
    gaps = [b - a for a, b in zip(polls[:-1], polls[1:], strict=True)]
    assert all(gap >= 1.0 - 1e-9 for gap in gaps)
    # the timeout fires no later than one fetch after the deadline
    assert clock[0] <= timeout_s + max(latencies) + 1e-9
