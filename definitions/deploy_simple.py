"""deploy_simple_v1: create, wait, swap traffic, check, then finalize or roll back; a failure
after traffic moved is rolled back by its failure workflow, deploy_failed_v1."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from definitions.common import (
    OWNER_EMAIL,
    DeploymentInput,
    DeployVariables,
    identity,
    worker_step,
)
from definitions.deploy_failed import deploy_failed_v1
from definitions.settle import health_check
from deploy_dsl.dsl import (
    WORKFLOW,
    SetVariable,
    Workflow,
    workflow_input,
    workflow_variables,
)

__all__ = ["DeployOutput", "deploy_simple_v1"]


class DeployOutput(BaseModel):
    """What a deploy answers the workflows that run it (a pipeline's wave, a rollout's batch)."""

    outcome: Literal["finalized", "rolled_back"] | None = Field(
        description="null: it failed before traffic moved"
    )
    scope: str
    version: str
    env: str
    deploymentId: str
    infrastructureId: str
    status: Literal["success", "failure"] = Field(description="what effective_status said")


inputs = workflow_input(DeploymentInput)
variables = workflow_variables(DeployVariables)

create_infrastructure = worker_step("create_infrastructure", identity(inputs))
infrastructure_id = create_infrastructure.output.response.body.infrastructureId
step_body = {**identity(inputs), "infrastructureId": infrastructure_id}

wait_infrastructure_created = worker_step("wait_infrastructure_created", step_body)
# From here on traffic may move: until a finalize says otherwise the outcome is rolled_back,
# which is what deploy_failed_v1 makes true if anything below fails or times out.
traffic_at_risk = SetVariable("traffic_at_risk", inputs={"outcome": "rolled_back"})
swap_traffic = worker_step("swap_traffic", step_body)
follow_up = {**identity(inputs), "infrastructureId": infrastructure_id}
effective_status, decide_outcome = health_check(follow_up, step_body)

deploy_simple_v1 = Workflow(
    "deploy_simple_v1",
    version=8,
    description="Deploys one service: infrastructure, traffic swap, health check, then "
    "finalize_deployment_v1 on success or rollback_deployment_v1 otherwise; if it fails or "
    "times out after traffic moved, deploy_failed_v1 rolls it back.",
    owner_email=OWNER_EMAIL,
    input=DeploymentInput,
    variables=DeployVariables,
    tasks=[
        create_infrastructure,
        wait_infrastructure_created,
        traffic_at_risk,
        swap_traffic,
        effective_status,
        decide_outcome,
    ],
    output={
        "outcome": variables.outcome,
        "scope": inputs.scope,
        "version": inputs.version,
        "env": inputs.env,
        "deploymentId": WORKFLOW.workflowId,
        "infrastructureId": infrastructure_id,
        "status": effective_status.output.response.body.status,
    },
    output_model=DeployOutput,
    timeout_seconds=900,
    timeout_policy="TIME_OUT_WF",
    failure_workflow=deploy_failed_v1,
)
