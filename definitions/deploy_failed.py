"""deploy_failed_v1: the failure workflow of deploy_simple_v1. Conductor starts it when a deploy
fails or times out (`WorkflowExecutorOps.terminateWorkflow`); if traffic had moved, it rolls the
deploy back as a rollback would: traffic, failed resources, notification, the outcome."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from definitions.common import OWNER_EMAIL, DeploymentInput, DeployVariables, identity, worker_step
from definitions.rollback_deployment import rollback_deployment_v1
from deploy_dsl.dsl import (
    SetVariable,
    SubWorkflow,
    Switch,
    Workflow,
    workflow_input,
    workflow_variables,
)

__all__ = ["DeployFailure", "deploy_failed_v1"]


class FailedDeployOutput(BaseModel):
    """The parts of the failed deploy's output read here (the server computes it on failure)."""

    model_config = ConfigDict(extra="allow")

    infrastructureId: str | None = None


class FailedDeploy(BaseModel):
    """The failed execution, as the server passes it (`failedWorkflow`)."""

    model_config = ConfigDict(extra="allow")

    variables: DeployVariables = Field(default_factory=DeployVariables)
    output: FailedDeployOutput = Field(default_factory=FailedDeployOutput)


class DeployFailure(DeploymentInput):
    """The failed deploy's own input, and what the server adds to it."""

    model_config = ConfigDict(extra="allow")

    workflowId: str = Field(description="the failed deploy: the deployment's id at the worker")
    reason: str | None = Field(default=None, description="why it failed")
    failureStatus: str = Field(description="FAILED or TIMED_OUT")
    failureTaskId: str | None = None
    failedWorkflow: FailedDeploy


class CompensationVariables(BaseModel):
    outcome: Literal["rolled_back"] | None = None


inputs = workflow_input(DeployFailure)
variables = workflow_variables(CompensationVariables)
body = {
    **identity(inputs, inputs.workflowId),
    "infrastructureId": inputs.failedWorkflow.output.infrastructureId,
}

roll_back_if_traffic_moved = Switch(
    "roll_back_if_traffic_moved",
    # deploy_simple_v1 sets rolled_back just before it swaps traffic, finalized when it is done.
    value=inputs.failedWorkflow.variables.outcome,
    cases={
        "rolled_back": [
            SubWorkflow("rollback", workflow=rollback_deployment_v1, inputs=body),
            worker_step("rollback_deployment", body),
            SetVariable("record_rolled_back", inputs={"outcome": "rolled_back"}),
        ]
    },
)

deploy_failed_v1 = Workflow(
    "deploy_failed_v1",
    version=1,
    description="Failure workflow of deploy_simple_v1: rolls back a deploy that failed or timed "
    "out after its traffic moved; does nothing if it failed before.",
    owner_email=OWNER_EMAIL,
    input=DeployFailure,
    variables=CompensationVariables,
    tasks=[roll_back_if_traffic_moved],
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
