"""Where a replayed path first leaves the recorded one (deploy_dsl.testing.divergence), on
executions written by hand: no server."""

from __future__ import annotations

from typing import Any

from deploy_dsl.client.recording import RecordedExecution, RecordedTask
from deploy_dsl.dsl import Noop, Workflow
from deploy_dsl.kinds.fork_join import Fork
from deploy_dsl.testing.divergence import Outcome, first_divergence, lanes

FORK = Fork("both", branches=[[Noop("left"), Noop("left_2")], [Noop("right"), Noop("right_2")]])
FORKING = Workflow(
    "forking", version=1, owner_email=None, tasks=[Noop("first"), FORK, FORK.join("joined")]
)


def task(ref: str, status: str = "COMPLETED", **fields: Any) -> RecordedTask:
    return RecordedTask(ref=ref, type=fields.pop("type", "HTTP"), status=status, **fields)


def execution(*tasks: RecordedTask, **fields: Any) -> RecordedExecution:
    defaults: dict[str, Any] = {
        "workflow": "forking",
        "version": 1,
        "workflow_id": "w",
        "status": "COMPLETED",
    }
    return RecordedExecution(tasks=tasks, **{**defaults, **fields})


def test_the_same_path_has_no_divergence() -> None:
    path = execution(task("first"), task("decide", type="SWITCH", branch="success"))
    assert first_divergence(path, path, {}) is None


def test_parallel_branches_may_finish_in_any_order() -> None:
    recorded = execution(*map(task, ["first", "both", "left", "right", "right_2", "left_2"]))
    replayed = execution(*map(task, ["first", "both", "left", "right", "left_2", "right_2"]))

    assert first_divergence(recorded, replayed, lanes(FORKING)) is None
    # Without the definition's branches the order is the path.
    assert first_divergence(recorded, replayed, {}) is not None


def test_the_first_divergence_is_the_earliest_in_the_recording() -> None:
    recorded = execution(*map(task, ["first", "both", "left", "right", "right_2", "left_2"]))
    replayed = execution(
        task("first"), task("both"), task("left"), task("right"), task("right_2", "FAILED")
    )

    found = first_divergence(recorded, replayed, lanes(FORKING))

    assert found is not None
    assert found.where == "forking > right_2"
    assert (found.recorded, found.replayed) == ("right_2 ended COMPLETED", "right_2 ends FAILED")


def test_a_switch_that_takes_another_case_is_where_the_path_diverges() -> None:
    recorded = execution(task("decide", type="SWITCH", branch="success"), task("finalize"))
    replayed = execution(task("decide", type="SWITCH", branch="default"), task("rollback"))

    found = first_divergence(recorded, replayed, {})

    assert found is not None
    assert found.where == "forking > decide"
    assert found.recorded == "decide took case 'success', then finalize"
    assert found.replayed == "decide takes the default case, then rollback"
    assert found.unrecorded is None


def test_a_task_the_recording_never_ran_is_named_as_such() -> None:
    recorded = execution(task("check"), task("decide", type="SWITCH", branch="x"))
    replayed = execution(task("check"), task("notify", "CANCELED"))

    found = first_divergence(recorded, replayed, {})

    assert found is not None
    assert (found.recorded, found.replayed) == (
        "ran decide (SWITCH, COMPLETED) next",
        "runs notify (HTTP) next",
    )
    assert found.unrecorded == "notify"


def test_a_task_the_recording_ran_elsewhere_is_not_called_new() -> None:
    recorded = execution(task("a"), task("b"))
    replayed = execution(task("b"), task("a"))

    found = first_divergence(recorded, replayed, {})

    assert found is not None and found.unrecorded is None


def test_retries_are_part_of_the_path() -> None:
    recorded = execution(task("check", "FAILED"), task("check", retry_count=1))
    replayed = execution(task("check", "FAILED"))

    found = first_divergence(recorded, replayed, {})

    assert found is not None
    assert found.recorded == "went on to check (retry 1) (HTTP, COMPLETED)"
    assert found.replayed == "runs nothing more on this path"


def test_a_difference_inside_a_sub_workflow_is_named_by_the_path_down_to_it() -> None:
    child = execution(task("step"), workflow="callee")
    other = execution(task("step", "FAILED"), workflow="callee")
    recorded = execution(task("call", type="SUB_WORKFLOW", execution=child))
    replayed = execution(task("call", type="SUB_WORKFLOW", execution=other))

    found = first_divergence(recorded, replayed, {})

    assert found is not None and found.where == "forking > call > step"


def test_a_failure_workflow_only_one_side_starts_is_a_divergence() -> None:
    failure = execution(task("undo"), workflow="compensate")
    recorded = execution(task("a", "FAILED"), status="FAILED", failure_workflow=failure)
    replayed = execution(task("a", "FAILED"), status="FAILED")

    found = first_divergence(recorded, replayed, {})

    assert found is not None
    assert found.where == "forking > failure workflow compensate"
    assert (found.recorded, found.replayed) == (
        "the server started compensate",
        "no failure workflow runs",
    )


def test_outcomes_compare_status_and_the_declared_output() -> None:
    done = execution(output={"outcome": "finalized"})
    assert Outcome.of(done, "outcome").text() == "COMPLETED, outcome finalized"
    assert Outcome.of(done, "outcome").same(Outcome.of(done, "outcome"))
    assert not Outcome.of(done, "outcome").same(Outcome.of(done, "outcome", "stopped at x"))
    assert Outcome.of(done, "result").text() == "COMPLETED (no result output)"
    assert Outcome(None, stopped="stopped at x").text() == "did not finish: stopped at x"


def test_a_task_canceled_by_what_happened_inside_it_is_not_where_it_diverges() -> None:
    """A loop ends CANCELED when the runner stops the replay at a task with no recorded answer
    deep inside it; the change is where the path inside turned."""
    inside = execution(task("decide", type="SWITCH", branch="success"), workflow="deploy")
    turned = execution(task("decide", type="SWITCH", branch="default"), workflow="deploy")
    recorded = execution(
        task("waves", type="DO_WHILE"),
        task("_wave_0__1", type="SUB_WORKFLOW", iteration=1, execution=inside),
    )
    replayed = execution(
        task("waves", "CANCELED", type="DO_WHILE"),
        task("_wave_0__1", "CANCELED", type="SUB_WORKFLOW", iteration=1, execution=turned),
    )

    found = first_divergence(recorded, replayed, {})

    assert found is not None and found.where == "forking > _wave_0__1 > decide"
    # With nothing else to tell them apart, the canceled task is the difference.
    only_canceled = execution(task("waves", "CANCELED", type="DO_WHILE"), *recorded.tasks[1:])
    found = first_divergence(recorded, only_canceled, {})
    assert found is not None and found.where == "forking > waves"


def test_a_switch_and_a_decision_name_the_case_they_ran() -> None:
    """SwitchTaskMapper runs the default only when no case has the key; DecisionTaskMapper
    also when that case is empty. Both output the value, not the case."""
    from deploy_dsl.kinds import KINDS
    from deploy_dsl.wire import WorkflowTask

    noop = {"name": "n", "taskReferenceName": "n", "type": "NOOP"}
    cases = {"go": [noop], "empty": [], "true": [noop]}
    switch = WorkflowTask.model_validate(
        {"name": "s", "taskReferenceName": "s", "type": "SWITCH", "decisionCases": cases}
    )
    decision = WorkflowTask.model_validate(
        {"name": "d", "taskReferenceName": "d", "type": "DECISION", "decisionCases": cases}
    )
    by_switch, by_decision = KINDS["SWITCH"].branch, KINDS["DECISION"].branch
    assert by_switch is not None and by_decision is not None

    assert by_switch(switch, {"selectedCase": "go"}) == "go"
    assert by_switch(switch, {"selectedCase": "other"}) == "default"
    assert by_switch(switch, {"selectedCase": "empty"}) == "empty"
    assert by_decision(decision, {"caseOutput": ["go"]}) == "go"
    assert by_decision(decision, {"caseOutput": ["empty"]}) == "default"
    assert by_decision(decision, {"caseOutput": [True]}) == "true"
