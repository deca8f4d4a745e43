"""rollback_deployment_v1: put traffic back, remove what the failed deploy created, tell people."""

from __future__ import annotations

from typing import Any

from definitions.common import follow_up_workflow, worker_step
from deploy_dsl.dsl import SetVariable, SubWorkflow, Task

__all__ = ["roll_back", "rollback_deployment_v1"]

rollback_deployment_v1 = follow_up_workflow(
    "rollback_deployment_v1",
    description="Rolls back an unhealthy deployment: traffic, failed resources, notification.",
    steps=("restore_previous_traffic", "cleanup_failed_resources", "notify_failure"),
)


def roll_back(
    follow_up: dict[str, Any], step_body: dict[str, Any], *, prefix: str | None = None
) -> list[Task]:
    """The tasks that roll a deploy back, wherever it is decided (the deploy's SWITCH, its
    failure workflow, each place a canary aborts): the follow-up sub-workflow, the worker's
    settle, the recorded outcome. `prefix` keeps their references apart where a workflow rolls
    back in several places."""

    def named(ref: str) -> str:
        return f"{prefix}_{ref}" if prefix else ref

    return [
        SubWorkflow(named("rollback"), workflow=rollback_deployment_v1, inputs=follow_up),
        worker_step("rollback_deployment", step_body, ref=named("rollback_deployment")),
        SetVariable(named("record_rolled_back"), inputs={"outcome": "rolled_back"}),
    ]
