"""finalize_deployment_v1: clean up after a healthy deploy, then tell people."""

from __future__ import annotations

from definitions.common import follow_up_workflow

__all__ = ["finalize_deployment_v1"]

finalize_deployment_v1 = follow_up_workflow(
    "finalize_deployment_v1",
    description="Finalizes a healthy deployment: old resources, monitoring, notification.",
    steps=("cleanup_old_resources", "update_monitoring", "notify_success"),
)
