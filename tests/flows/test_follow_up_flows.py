"""finalize_deployment_v1 and rollback_deployment_v1 on the real engine, on their own and as
the deploy calls them."""

from __future__ import annotations

import pytest

from definitions.common import FollowUpInput
from definitions.deploy_failed import DeployFailure, deploy_failed_v1
from definitions.deploy_simple import deploy_simple_v1
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.rollback_deployment import rollback_deployment_v1
from definitions.taskdefs import STEP_TASKDEFS
from deploy_dsl.dsl import AnyWorkflow
from deploy_dsl.testing import Flow, fails, find_task
from tests.flows.deployments import (
    COMPENSATE,
    COMPENSATE_ROLLBACK,
    DEPLOYMENT_STATUS,
    ROLLBACK,
    ROLLBACK_DEPLOYMENT,
    Deployment,
    refs,
)

SERVICE = Deployment("svc-a")
FOLLOW_UPS = [finalize_deployment_v1, rollback_deployment_v1]


def follow_up_input(deployment_id: str) -> FollowUpInput:
    return FollowUpInput(
        **SERVICE.input.model_dump(),
        deploymentId=deployment_id,
        infrastructureId=SERVICE.infrastructure_id,
    )


@pytest.mark.parametrize("workflow", FOLLOW_UPS, ids=lambda w: w.name)
def test_the_steps_run_in_order_each_told_the_deploy(flow: Flow, workflow: AnyWorkflow) -> None:
    result = flow.run(workflow, follow_up_input("deploy-1"), SERVICE.follow_up_mocks(workflow))

    assert result.status == "COMPLETED", result.reason
    assert result.refs == refs(*workflow.tasks)
    for run in result.tasks:
        assert run.body == {
            **SERVICE.input.model_dump(),
            "deploymentId": "deploy-1",
            "infrastructureId": SERVICE.infrastructure_id,
        }, run.ref
    last = workflow.tasks[-1]
    assert result.output == {
        "deploymentId": "deploy-1",
        "notification": SERVICE.follow_up(last.name).model_dump(mode="json"),
    }


def test_a_rollback_that_cannot_restore_traffic_fails_the_deploy(flow: Flow) -> None:
    restore = find_task(rollback_deployment_v1, "restore_previous_traffic")
    (restore_def,) = [t for t in STEP_TASKDEFS if t.name == restore.name]
    assert restore_def.retry is not None and restore_def.retry.count is not None
    mocks = SERVICE.deploy_mocks("failure")
    mocks[ROLLBACK] = {restore: [fails()] * (restore_def.retry.count + 1)}
    mocks[deploy_failed_v1] = SERVICE.failure_mocks(traffic_moved=True)

    result = flow.run(deploy_simple_v1, SERVICE.input, mocks)

    assert result.status == "FAILED"
    assert result.failed_refs == (ROLLBACK.ref,)
    rollback = result.child(ROLLBACK)
    assert rollback.status == "FAILED"
    assert rollback.refs == [restore.ref] * (restore_def.retry.count + 1)
    # The deploy's reason carries the sub-workflow's (SubWorkflow.updateTaskStatus).
    assert result.reason is not None and rollback.workflow_id in result.reason
    assert not result.ran(ROLLBACK_DEPLOYMENT)


@pytest.mark.parametrize("traffic_moved", [True, False], ids=["traffic moved", "it did not"])
def test_the_failure_workflow_rolls_back_only_when_traffic_moved(
    flow: Flow, traffic_moved: bool
) -> None:
    failed = DeployFailure(
        **SERVICE.input.model_dump(), workflowId="deploy-1", reason="why", failureStatus="FAILED"
    )

    result = flow.run(deploy_failed_v1, failed, SERVICE.failure_mocks(traffic_moved=traffic_moved))

    assert result.status == "COMPLETED", result.reason
    assert result.last(DEPLOYMENT_STATUS).body == {
        **SERVICE.input.model_dump(),
        "deploymentId": "deploy-1",
    }
    assert result.ran(COMPENSATE) is traffic_moved
    assert result.output == {
        "outcome": "rolled_back" if traffic_moved else None,
        "deploymentId": "deploy-1",
        "scope": SERVICE.scope,
        "failureStatus": "FAILED",
        "reason": "why",
    }
    if traffic_moved:
        rollback = result.child(COMPENSATE)
        assert all(
            run.body["infrastructureId"] == SERVICE.infrastructure_id for run in rollback.tasks
        )
        assert result.last(COMPENSATE_ROLLBACK).status == "COMPLETED"
