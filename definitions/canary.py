"""canary_v1: a progressive delivery judged by Prometheus. Create the infrastructure, then move
10 %, 25 %, 50 % and 100 % of the scope's traffic to the new version, with an analysis of its
error rate and latency at each step (and, by default, a manual pause before the full step);
then the worker's health check and finalize. A failed analysis (or a person's abort) puts the
traffic back on the previous version, runs rollback_deployment_v1 and ends the canary FAILED
with an output that names the step, the metric, its value and the condition it failed.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from definitions.common import (
    OWNER_EMAIL,
    DeploymentInput,
    DeployVariables,
    identity,
    worker_step,
)
from definitions.deploy_failed import deploy_failed_v1
from definitions.rollback_deployment import roll_back
from definitions.settle import health_check
from deploy_dsl.canary import NO_PAUSE
from deploy_dsl.dsl import (
    MANUAL,
    WORKFLOW,
    Abort,
    Analysis,
    CanaryStep,
    CanarySteps,
    Metric,
    SetVariable,
    Task,
    Workflow,
    workflow_input,
    workflow_variables,
)
from deploy_dsl.durations import parse_duration

__all__ = ["WEIGHTS", "CanaryInput", "analysis", "canary", "canary_v1"]

WEIGHTS = (10, 25, 50, 100)
# A PromQL duration: `30s`, `1m`, `1m30s`.
_PROMQL_RANGE = re.compile(r"(\d+(ms|s|m|h|d|w|y))+")


class CanaryInput(DeploymentInput):
    """What one canary acts on, and how its analyses judge it (flat, so that the workflow's
    inputTemplate gives every default to a start that leaves one out)."""

    interval: str = Field(
        default="10s", description="each measurement waits this long (Conductor's grammar)"
    )
    count: int = Field(default=3, ge=1, le=100, description="measurements per step")
    window: str = Field(
        default="30s", description="the range of the rates, a PromQL duration ('30s', '1m')"
    )
    max_error_rate: float = Field(
        default=0.05, ge=0, le=1, description="the highest share of failed requests that passes"
    )
    max_latency_p99: float = Field(
        default=0.5, gt=0, description="the highest 99th percentile latency that passes, in s"
    )
    on_inconclusive: Literal["pause", "abort"] = Field(
        default="pause",
        description="without data, or without Prometheus: wait for promote/abort, or abort",
    )
    pause_before_full: str = Field(
        default=MANUAL,
        description="after the 50 % step: 'manual' waits for deploy-dsl promote / abort, a "
        "duration ('30s') waits that long, 'none' goes on",
    )

    @field_validator("interval")
    @classmethod
    def _a_duration_conductor_waits_for(cls, value: str) -> str:
        if not parse_duration(value):
            raise ValueError(f"{value!r} is not a duration Conductor parses ('10s', '1m 30s')")
        return value

    @field_validator("window")
    @classmethod
    def _a_promql_range(cls, value: str) -> str:
        if not _PROMQL_RANGE.fullmatch(value):
            raise ValueError(f"{value!r} is not a PromQL duration ('30s', '1m', '1m30s')")
        return value

    @field_validator("pause_before_full")
    @classmethod
    def _manual_none_or_a_duration(cls, value: str) -> str:
        if value not in (MANUAL, NO_PAUSE) and not parse_duration(value):
            raise ValueError(f"{value!r} is neither 'manual', 'none' nor a duration ('30s')")
        return value


inputs = workflow_input(CanaryInput)
variables = workflow_variables(DeployVariables)

create_infrastructure = worker_step("create_infrastructure", identity(inputs))
infrastructure_id = create_infrastructure.output.response.body.infrastructureId
step_body = {**identity(inputs), "infrastructureId": infrastructure_id}
follow_up = {**identity(inputs), "infrastructureId": infrastructure_id}

wait_infrastructure_created = worker_step("wait_infrastructure_created", step_body)
# From the first step on, traffic has moved: rolled back until a finalize says otherwise, as
# in deploy_simple_v1 (and its failure workflow, deploy_failed_v1, rolls back a failure).
traffic_at_risk = SetVariable("traffic_at_risk", inputs={"outcome": "rolled_back"})

# The new version's own series, as the worker's simulated traffic labels them.
_series = f'scope="{inputs.scope}",env="{inputs.env}",version="{inputs.version}"'
_range = f"[{inputs.window}]"
analysis = Analysis(
    metrics=[
        Metric(
            "error_rate",
            query=f"sum(rate(service_request_errors_total{{{_series}}}{_range}))"
            f" / sum(rate(service_requests_total{{{_series}}}{_range}))",
            success=f"result <= {inputs.max_error_rate}",
        ),
        Metric(
            "latency_p99",
            query="histogram_quantile(0.99, sum by (le) "
            f"(rate(service_request_duration_seconds_bucket{{{_series}}}{_range})))",
            success=f"result <= {inputs.max_latency_p99}",
        ),
    ],
    interval=inputs.interval,
    count=inputs.count,
    on_inconclusive=inputs.on_inconclusive,
)


def _set_weight(ref: str, weight: int) -> Task:
    return worker_step("swap_traffic", {**step_body, "weight": weight}, ref=ref)


canary = CanarySteps(
    "canary",
    steps=[
        CanaryStep(weight, analysis, inputs.pause_before_full if weight == 50 else None)
        for weight in WEIGHTS
    ],
    set_weight=_set_weight,
    subject=f"{inputs.scope} {inputs.version} in {inputs.env}",
)


def _abort(at: Abort) -> list[Task]:
    """Traffic back on the previous version (rollback_deployment_v1 restores it first), the
    failed resources and the notification, the deployment settled as rolled back."""
    return roll_back(follow_up, step_body, prefix=at.ref)


effective_status, decide_outcome = health_check(follow_up, step_body)

# Every default, for a start through the API that leaves some out (the CLI sends them all).
_DEFAULTS = {
    name: field.default
    for name, field in CanaryInput.model_fields.items()
    if name not in DeploymentInput.model_fields
}
_release: dict[str, Any] = {
    "scope": inputs.scope,
    "version": inputs.version,
    "env": inputs.env,
    "deploymentId": WORKFLOW.workflowId,
    "infrastructureId": infrastructure_id,
}

canary_v1 = Workflow(
    "canary_v1",
    version=1,
    description="Canary release of one service: traffic to the new version in steps of 10, "
    "25, 50 and 100 %, each judged by Prometheus (error rate, p99 latency); a failed "
    "analysis or an abort puts the traffic back and runs rollback_deployment_v1.",
    owner_email=OWNER_EMAIL,
    input=CanaryInput,
    variables=DeployVariables,
    tasks=[
        create_infrastructure,
        wait_infrastructure_created,
        traffic_at_risk,
        *canary.tasks(on_abort=_abort, abort_output={**_release, "outcome": "rolled_back"}),
        effective_status,
        decide_outcome,
    ],
    output={
        **_release,
        "outcome": variables.outcome,
        "status": effective_status.output.response.body.status,
        "analyses": canary.results(),
    },
    # A manual pause may wait for days; a week bounds a forgotten one.
    timeout_seconds=7 * 24 * 3600,
    timeout_policy="TIME_OUT_WF",
    failure_workflow=deploy_failed_v1,
    extra={"inputTemplate": _DEFAULTS},
)
