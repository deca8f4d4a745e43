"""What every deployment workflow shares: the owner, the deployment identity, worker calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Unpack, overload

from pydantic import BaseModel, ConfigDict, Field

from deploy_dsl.dsl import (
    WORKFLOW,
    Http,
    TaskOptions,
    WorkerEndpoint,
    Workflow,
    workflow_input,
)
from worker.contract import (
    STEPS,
    CreateInfrastructureAnswer,
    DeploymentStatusAnswer,
    EffectiveStatusAnswer,
    InfrastructureReadyAnswer,
    RecordedAnswer,
    SettledAnswer,
    StepAnswer,
    StepName,
    TrafficRestoredAnswer,
    TrafficSwappedAnswer,
)

__all__ = [
    "OWNER_EMAIL",
    "DeployVariables",
    "DeploymentInput",
    "FollowUpInput",
    "any_step",
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


def identity(inputs: DeploymentInput, deployment_id: str | None = None) -> dict[str, Any]:
    """The body fields the worker needs on every call to find the deployment."""
    return {
        "scope": inputs.scope,
        "version": inputs.version,
        "env": inputs.env,
        "deploymentId": deployment_id if deployment_id is not None else WORKFLOW.workflowId,
    }


# One overload per answer model of worker/contract.py's STEPS, so that the type checker reads
# `worker_step("create_infrastructure", ...).output.response.body` as that step's answer
# (tests/worker/test_contract.py checks them against STEPS).
@overload
def worker_step(
    step: Literal["create_infrastructure"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[CreateInfrastructureAnswer]: ...
@overload
def worker_step(
    step: Literal["wait_infrastructure_created"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[InfrastructureReadyAnswer]: ...
@overload
def worker_step(
    step: Literal["swap_traffic"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[TrafficSwappedAnswer]: ...
@overload
def worker_step(
    step: Literal["effective_status"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[EffectiveStatusAnswer]: ...
@overload
def worker_step(
    step: Literal["finalize_deployment", "rollback_deployment"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[SettledAnswer]: ...
@overload
def worker_step(
    step: Literal["restore_previous_traffic"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[TrafficRestoredAnswer]: ...
@overload
def worker_step(
    step: Literal[
        "cleanup_old_resources",
        "update_monitoring",
        "notify_success",
        "cleanup_failed_resources",
        "notify_failure",
    ],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[RecordedAnswer]: ...
@overload
def worker_step(
    step: Literal["deployment_status"],
    body: dict[str, Any],
    *,
    ref: str | None = None,
    **options: Unpack[TaskOptions],
) -> Http[DeploymentStatusAnswer]: ...
def worker_step(
    step: StepName, body: dict[str, Any], *, ref: str | None = None, **options: Unpack[TaskOptions]
) -> Http[Any]:
    """POST `body` to the worker's `/<step>`, typed by the step's contract
    (worker/contract.py): the body is checked against its request model, and
    `.output.response.body` reads its answer model (in the editor too). Retried per the
    TaskDef named `step`; `options` are the task options every builder takes
    (`start_delay=`, `optional=`, ...)."""
    return any_step(step, body, ref=ref, **options)


def any_step(
    step: StepName, body: dict[str, Any], *, ref: str | None = None, **options: Unpack[TaskOptions]
) -> Http[StepAnswer]:
    """worker_step for a step named at run time: its answer is what every step answers."""
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


def follow_up_workflow(name: str, *, description: str, steps: Sequence[StepName]) -> Workflow:
    """A workflow a deploy calls once it knows its outcome: the worker `steps` in order, each
    told which deployment it is about; its output is the last step's answer."""
    inputs = workflow_input(FollowUpInput)
    body = {**identity(inputs, inputs.deploymentId), "infrastructureId": inputs.infrastructureId}
    tasks = [any_step(step, body) for step in steps]
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
