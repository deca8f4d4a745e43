"""rollback_deployment_v1: put traffic back, remove what the failed deploy created, tell people."""

from __future__ import annotations

from definitions.common import OWNER_EMAIL, FollowUpInput, identity, worker_step
from deploy_dsl.dsl import Workflow, workflow_input

__all__ = ["rollback_deployment_v1"]

inputs = workflow_input(FollowUpInput)
body = {**identity(inputs, inputs.deploymentId), "infrastructureId": inputs.infrastructureId}

restore_previous_traffic = worker_step("restore_previous_traffic", body)
cleanup_failed_resources = worker_step("cleanup_failed_resources", body)
notify_failure = worker_step("notify_failure", body)

rollback_deployment_v1 = Workflow(
    "rollback_deployment_v1",
    version=1,
    description="Rolls back an unhealthy deployment: traffic, failed resources, notification.",
    owner_email=OWNER_EMAIL,
    input=FollowUpInput,
    tasks=[restore_previous_traffic, cleanup_failed_resources, notify_failure],
    output={
        "deploymentId": inputs.deploymentId,
        "notification": notify_failure.output.response.body,
    },
    timeout_seconds=600,
    timeout_policy="TIME_OUT_WF",
)
