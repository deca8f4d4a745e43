"""rollback_deployment_v1: put traffic back, remove what the failed deploy created, tell people."""

from __future__ import annotations

from definitions.common import follow_up_workflow

__all__ = ["rollback_deployment_v1"]

rollback_deployment_v1 = follow_up_workflow(
    "rollback_deployment_v1",
    description="Rolls back an unhealthy deployment: traffic, failed resources, notification.",
    steps=("restore_previous_traffic", "cleanup_failed_resources", "notify_failure"),
)
