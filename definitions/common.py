"""What every deployment workflow shares: the owner, the deployment identity, worker calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Unpack

from pydantic import BaseModel, ConfigDict, Field

from deploy_dsl.dsl import (
    WORKFLOW,
    Http,
    Ref,
    TaskOptions,
    WorkerEndpoint,
    Workflow,
    workflow_input,
)
from worker.contract import STEPS

__all__ = [
    "OWNER_EMAIL",
    "DeployVariables",
    "DeploymentInput",
    "FollowUpInput",
    "follow_up_workflow",
    "identity",
    "worker_step",
]

OWNER_EMAIL = "platform-team@example.com"


class DeploymentInput(BaseModel):
    """What one deploy acts on; the worker keys its state by it."""

    model_config = ConfigDict(extra="forbid")

    scope: str = Field(min_length=1, description="service being deployed; `svc-*` is healthy")
    version: str = Field(min_length=1, description="version being rolled out")
    env: str = Field(min_length=1, description="target environment")


class DeployVariables(BaseModel):
    """A deploy's outcome. Set to rolled_back just before traffic moves: from then on a failure
    is rolled back by the failure workflow, so only a finalize may say otherwise."""

    outcome: Literal["finalized", "rolled_back"] | None = None


class FollowUpInput(DeploymentInput):
    """Input of the finalize and rollback workflows, called by a deploy."""

    deploymentId: str = Field(min_length=1, description="workflow id of the calling deploy")
    infrastructureId: str | None = Field(default=None, description="what the deploy created")


def identity(inputs: Ref, deployment_id: Ref | None = None) -> dict[str, Any]:
    """The body fields the worker needs on every call to find the deployment."""
    return {
        "scope": inputs.scope,
        "version": inputs.version,
        "env": inputs.env,
        "deploymentId": deployment_id if deployment_id is not None else WORKFLOW.workflowId,
    }


def worker_step(
    step: str, body: dict[str, Any], *, ref: str | None = None, **options: Unpack[TaskOptions]
) -> Http:
    """POST `body` to the worker's `/<step>`, typed by the step's contract
    (worker/contract.py): the body is checked against its request model, and
    `.output.response.body` reads its answer model. Retried per the TaskDef named `step`;
    `options` are the task options every builder takes (`start_delay=`, `optional=`, ...)."""
    contract = STEPS[step]
    options.setdefault("name", step)
    return Http(
        ref or step,
        uri=WorkerEndpoint(step),
        method="POST",
        body=body,
        content_type="application/json",
        accept="application/json",
        connection_timeout_ms=2000,
        read_timeout_ms=10000,
        request=contract.request,
        response=contract.answer,
        **options,
    )


def follow_up_workflow(name: str, *, description: str, steps: Sequence[str]) -> Workflow:
    """A workflow a deploy calls once it knows its outcome: the worker `steps` in order, each
    told which deployment it is about; its output is the last step's answer."""
    inputs = workflow_input(FollowUpInput)
    body = {**identity(inputs, inputs.deploymentId), "infrastructureId": inputs.infrastructureId}
    tasks = [worker_step(step, body) for step in steps]
    return Workflow(
        name,
        version=1,
        description=description,
        owner_email=OWNER_EMAIL,
        input=FollowUpInput,
        tasks=tasks,
        output={
            "deploymentId": inputs.deploymentId,
            "notification": tasks[-1].output.response.body,
        },
        timeout_seconds=600,
        timeout_policy="TIME_OUT_WF",
    )
