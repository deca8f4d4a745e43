"""The flowchart of an execution with the path it took, from executions recorded on the real
server."""

from __future__ import annotations

from deploy_dsl.dashboard.flow import FlowStep, chart, charts, definition_chart
from deploy_dsl.wire import WorkflowDef
from tests.dashboard.recorded import recorded, tree_of


def steps_by_ref(steps: list[FlowStep]) -> dict[str, FlowStep]:
    found = {}
    for step in steps:
        found[step.ref] = step
        for branch in step.branches:
            found.update(steps_by_ref(branch.steps))
    return found


def test_a_rolled_back_deploy_took_the_default_case_into_its_rollback() -> None:
    drawn = chart(tree_of("deploy_rolled_back"))
    steps = steps_by_ref(drawn.steps)
    switch = steps["decide_outcome"]
    assert switch.status == "COMPLETED"
    assert {(b.label, b.taken) for b in switch.branches} == {("success", False), ("default", True)}
    assert [steps[r].status for r in ("finalize", "finalize_deployment")] == ["NOT_RUN"] * 2
    rollback = steps["rollback"]
    ((task, child),) = rollback.children
    assert task["subWorkflowId"] == child.workflow_id
    assert child.name == "rollback_deployment_v1"
    assert [s.ref for s in child.steps] == [
        "restore_previous_traffic", "cleanup_failed_resources", "notify_failure"
    ]  # fmt: skip
    assert all(s.status == "COMPLETED" for s in child.steps)
    assert [c.name for c in charts(drawn)] == ["deploy_simple_v1", "rollback_deployment_v1"]
    assert len(drawn.tasks) == len(recorded("deploy_rolled_back")[0]["tasks"])


def test_a_dynamic_fork_lists_what_it_started_and_loops_keep_every_run() -> None:
    wave = tree_of("rollout_waiting").children[0][1]  # wave 1: a BatchedFanOut
    steps = steps_by_ref(chart(wave).steps)
    fork = steps["deploys_fork"]
    started = {t["inputData"]["workflowInput"]["scope"] for t in fork.forked}
    assert started == {"svc-a", "bad-b"}
    assert len(steps["deploys_batch"].runs) == len(steps["deploys_tally"].runs) >= 1


def test_a_definition_alone_takes_no_path() -> None:
    body = recorded("deploy_rolled_back")[0]["workflowDefinition"]
    drawn = definition_chart(WorkflowDef.model_validate(body))
    switch = steps_by_ref(drawn.steps)["decide_outcome"]
    assert [b.taken for b in switch.branches] == [None, None]
    assert switch.status == "NOT_RUN"
