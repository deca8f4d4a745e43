"""deploy_failed_v1: the failure workflow of deploy_simple_v1. Conductor starts it when a deploy
fails or times out (`WorkflowExecutorOps.terminateWorkflow`, with the deploy's input, its id and
the reason); if the worker says traffic had moved and nothing settled the deployment, it rolls
the deploy back as a rollback would: traffic, failed resources, notification, the outcome."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from definitions.common import OWNER_EMAIL, DeploymentInput, identity, worker_step
from definitions.rollback_deployment import roll_back
from deploy_dsl.dsl import (
    Switch,
    Workflow,
    workflow_input,
    workflow_variables,
)

__all__ = ["DeployFailure", "deploy_failed_v1"]


class DeployFailure(DeploymentInput):
    """The failed deploy's own input, and what the server adds to it."""

    model_config = ConfigDict(extra="allow")

    workflowId: str = Field(description="the failed deploy: the deployment's id at the worker")
    reason: str | None = Field(default=None, description="why it failed")
    failureStatus: str = Field(description="FAILED or TIMED_OUT")
    failureTaskId: str | None = None


class CompensationVariables(BaseModel):
    outcome: Literal["rolled_back"] | None = None


inputs = workflow_input(DeployFailure)
variables = workflow_variables(CompensationVariables)
# Asked of the worker, which knows whether traffic moved: a swap whose answer was lost may have
# moved it all the same. (Reading the server's failedWorkflow input instead is unreliable: at
# the failure workflow's first decide the server still holds it as an object, and paths into
# it resolve to null.)
check = worker_step("deployment_status", identity(inputs, inputs.workflowId))
body = {
    **identity(inputs, inputs.workflowId),
    "infrastructureId": check.output.response.body.infrastructureId,
}

roll_back_if_traffic_moved = Switch(
    "roll_back_if_traffic_moved",
    value=check.output.response.body.needsRollback,
    cases={"true": roll_back(body, body)},
)

deploy_failed_v1 = Workflow(
    "deploy_failed_v1",
    version=1,
    description="Failure workflow of deploy_simple_v1: rolls back a deploy that failed or timed "
    "out after its traffic moved; does nothing if it failed before.",
    owner_email=OWNER_EMAIL,
    input=DeployFailure,
    variables=CompensationVariables,
    tasks=[check, roll_back_if_traffic_moved],
    output={
        "outcome": variables.outcome,
        "deploymentId": inputs.workflowId,
        "scope": inputs.scope,
        "failureStatus": inputs.failureStatus,
        "reason": inputs.reason,
    },
    timeout_seconds=1800,
    timeout_policy="TIME_OUT_WF",
)
