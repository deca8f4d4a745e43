"""The HTTP contract between the deployment workflows and the worker, typed once.

Every step is `POST /<step>` with a `StepRequest` body; its 200 answer is the step's `answer`
model, and anything else is an `ErrorAnswer` (a 503 from the provisioning wait is a
`NotReadyAnswer`). The worker parses requests and builds answers with these models; the
definitions declare them on each worker step (`definitions/common.py`), so a body a workflow
builds is checked against `StepRequest` when it is compiled, and
`step.output.response.body.<field>` against the answer model when the module is imported.

Field names are the JSON names (camelCase), so the models read like the wire. Pure: pydantic
only, no Flask, so the definitions can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints

__all__ = [
    "STEPS",
    "CreateInfrastructureAnswer",
    "DeploymentStatusAnswer",
    "EffectiveStatusAnswer",
    "ErrorAnswer",
    "FaultRequest",
    "InfrastructureReadyAnswer",
    "NotReadyAnswer",
    "RecordedAnswer",
    "SettledAnswer",
    "StepAnswer",
    "StepContract",
    "StepName",
    "StepRequest",
    "SwapTrafficRequest",
    "TrafficFaultAnswer",
    "TrafficFaultRequest",
    "TrafficRestoredAnswer",
    "TrafficSwappedAnswer",
]

# strict: a number where a string belongs is the caller's mistake, not something to coerce.
NonEmptyStr = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256)]


class StepRequest(BaseModel):
    """The body of every step call. Fields it does not name are ignored by the worker (newer
    workflows keep working) but refused in a definition, where they are typos."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    scope: NonEmptyStr = Field(description="the service being deployed")
    version: NonEmptyStr = Field(description="the version being rolled out")
    env: NonEmptyStr = Field(description="the target environment")
    deploymentId: NonEmptyStr | None = Field(
        default=None,
        description="the deploy workflow's id, the same on every step of one deploy; absent: "
        "'<scope>@<version>/<env>'",
    )
    infrastructureId: NonEmptyStr | None = Field(
        default=None, description="when given, must be the deployment's (else 409)"
    )

    @property
    def key(self) -> str:
        """The deployment this call belongs to: the given id, else one derived from its identity."""
        return self.deploymentId or f"{self.scope}@{self.version}/{self.env}"


class SwapTrafficRequest(StepRequest):
    """swap_traffic's body: a step's, and the share of the traffic the version gets."""

    weight: StrictInt | None = Field(
        default=None,
        ge=0,
        le=100,
        description="the percentage of the scope's traffic this version gets (a canary step); "
        "the rest stays on the previous version. Absent: 100, all of it",
    )


class FaultRequest(BaseModel):
    """`PUT /faults/<scope>/<step>`: the test control of the mock worker, not a step."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail: int = Field(ge=0, le=1000, description="calls to fail for each deployment of the scope")


class TrafficFaultRequest(BaseModel):
    """`PUT /faults/traffic`: how the simulated traffic of one version of a scope behaves (a
    test control): a share of its requests fail, and they take this long."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scope: NonEmptyStr = Field(description="the service")
    version: NonEmptyStr = Field(description="the version whose requests misbehave")
    errorRate: StrictFloat = Field(
        default=0.0, ge=0, le=1, description="the share of its requests that fail (0 to 1)"
    )
    latencySeconds: StrictFloat = Field(
        default=0.05,
        ge=0,
        le=10,
        description="their typical latency: requests take from half to one and a half times it",
    )


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepAnswer(_Answer):
    """What every answer of a step carries: which call it answers."""

    step: str
    deploymentId: str
    scope: str
    version: str
    env: str


class CreateInfrastructureAnswer(StepAnswer):
    infrastructureId: str
    status: Literal["creating", "ready"]
    created: bool = Field(description="false when the deployment already existed (idempotent)")
    readyAt: str


class InfrastructureReadyAnswer(StepAnswer):
    ready: Literal[True]
    status: Literal["ready"]
    infrastructureId: str


class NotReadyAnswer(StepAnswer):
    """The 503 of wait_infrastructure_created, sent with Retry-After until provisioned."""

    ready: Literal[False]
    status: Literal["creating"]
    infrastructureId: str
    retryAfterSeconds: float
    error: str
    detail: dict[str, Any]


class TrafficSwappedAnswer(StepAnswer):
    status: Literal["traffic_swapped"]
    infrastructureId: str
    trafficVersion: str | None
    previousVersion: str | None
    trafficWeight: int = Field(description="the percentage of the traffic this version has now")


class EffectiveStatusAnswer(StepAnswer):
    healthy: bool
    status: Literal["success", "failure"] = Field(description="what the deploy's SWITCH reads")
    reason: str
    infrastructureId: str
    trafficWeight: int = Field(description="the percentage of the traffic the version has")


class SettledAnswer(StepAnswer):
    status: Literal["finalized", "rolled_back"]
    outcome: Literal["finalized", "rolled_back"]
    infrastructureId: str


class TrafficRestoredAnswer(StepAnswer):
    status: Literal["traffic_restored"]
    infrastructureId: str
    restored: bool
    trafficVersion: str | None
    previousVersion: str | None


class RecordedAnswer(StepAnswer):
    status: Literal["done"]
    infrastructureId: str


class DeploymentStatusAnswer(StepAnswer):
    """What the worker knows of a deployment (`deployment_status` only reads)."""

    known: bool = Field(description="create_infrastructure ran for it")
    infrastructureId: str | None
    trafficMoved: bool = Field(description="swap_traffic moved traffic to it")
    outcome: Literal["finalized", "rolled_back"] | None
    needsRollback: bool = Field(description="traffic moved and nothing settled it yet")
    trafficWeight: int = Field(description="the percentage of the traffic the version has")


class TrafficFaultAnswer(_Answer):
    """What `PUT /faults/traffic` set."""

    scope: str
    version: str
    errorRate: float
    latencySeconds: float


class ErrorAnswer(_Answer):
    """Every answer that is not a 200. A step's refusal (409) or injected fault (503) also says
    which call it answers; errors found before a step runs (400, 404, 405, 413, 422) do not."""

    error: str
    detail: Any = None
    step: str | None = None
    deploymentId: str | None = None
    scope: str | None = None
    version: str | None = None
    env: str | None = None


@dataclass(frozen=True)
class StepContract:
    request: type[StepRequest]
    answer: type[StepAnswer]


# The steps by name, for signatures that take one (a definition's `worker_step`): the type
# checker then flags a step the worker does not have.
StepName = Literal[
    "create_infrastructure",
    "wait_infrastructure_created",
    "swap_traffic",
    "effective_status",
    "finalize_deployment",
    "rollback_deployment",
    "cleanup_old_resources",
    "update_monitoring",
    "notify_success",
    "restore_previous_traffic",
    "cleanup_failed_resources",
    "notify_failure",
    "deployment_status",
]

STEPS: dict[str, StepContract] = {
    "create_infrastructure": StepContract(StepRequest, CreateInfrastructureAnswer),
    "wait_infrastructure_created": StepContract(StepRequest, InfrastructureReadyAnswer),
    "swap_traffic": StepContract(SwapTrafficRequest, TrafficSwappedAnswer),
    "effective_status": StepContract(StepRequest, EffectiveStatusAnswer),
    "finalize_deployment": StepContract(StepRequest, SettledAnswer),
    "rollback_deployment": StepContract(StepRequest, SettledAnswer),
    "cleanup_old_resources": StepContract(StepRequest, RecordedAnswer),
    "update_monitoring": StepContract(StepRequest, RecordedAnswer),
    "notify_success": StepContract(StepRequest, RecordedAnswer),
    "restore_previous_traffic": StepContract(StepRequest, TrafficRestoredAnswer),
    "cleanup_failed_resources": StepContract(StepRequest, RecordedAnswer),
    "notify_failure": StepContract(StepRequest, RecordedAnswer),
    "deployment_status": StepContract(StepRequest, DeploymentStatusAnswer),
}
assert set(STEPS) == set(get_args(StepName)), "StepName names every step, and only steps"
