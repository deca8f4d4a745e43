"""finalize_deployment_v1: clean up after a healthy deploy, then tell people."""

from __future__ import annotations

from definitions.common import OWNER_EMAIL, FollowUpInput, identity, worker_step
from deploy_dsl.dsl import Workflow, workflow_input

__all__ = ["finalize_deployment_v1"]

inputs = workflow_input(FollowUpInput)
body = {**identity(inputs, inputs.deploymentId), "infrastructureId": inputs.infrastructureId}

cleanup_old_resources = worker_step("cleanup_old_resources", body)
update_monitoring = worker_step("update_monitoring", body)
notify_success = worker_step("notify_success", body)

finalize_deployment_v1 = Workflow(
    "finalize_deployment_v1",
    version=1,
    description="Finalizes a healthy deployment: old resources, monitoring, notification.",
    owner_email=OWNER_EMAIL,
    input=FollowUpInput,
    tasks=[cleanup_old_resources, update_monitoring, notify_success],
    output={
        "deploymentId": inputs.deploymentId,
        "notification": notify_success.output.response.body,
    },
    timeout_seconds=600,
    timeout_policy="TIME_OUT_WF",
)
