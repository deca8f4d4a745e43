"""What runs the rollouts without someone at a terminal: a nightly rollout on a schedule, and
approvals of a rollout's gate that arrive as events.

Both are registered, planned and pruned like the workflows (their `platform_` names make them
the project's: pyproject.toml [tool.deploy-dsl]).
"""

from __future__ import annotations

from definitions.common import DeploymentInput
from definitions.rollout import RolloutInput, rollout_v1
from definitions.rollout_wave import Approval, RolloutWave, gate, rollout_wave_v1
from deploy_dsl.dsl import CompleteTask, EventHandler, Schedule, payload

__all__ = ["nightly_rollout", "rollout_approvals"]

_SERVICES = ("svc-api", "svc-web", "svc-search")


def _wave(env: str, **controls: object) -> RolloutWave:
    services = [DeploymentInput(scope=scope, version="nightly", env=env) for scope in _SERVICES]
    return RolloutWave.model_validate({"name": env, "services": services, **controls})


# Weekdays at 02:00 UTC: staging with a canary, then production behind an approval gate that
# waits until 08:00. Registered paused: it starts nothing until `paused=False` here is reviewed
# and registered.
nightly_rollout = Schedule(
    "platform_nightly_rollout",
    cron="0 0 2 * * MON-FRI",
    zone="UTC",
    workflow=rollout_v1,
    input=RolloutInput(
        waves=[
            _wave("staging", max_parallel=2),
            _wave("production", max_parallel=2, max_failures=1, approval=Approval(timeout="6h")),
        ],
        canary=True,
        rollback_completed=True,
    ),
    paused=True,
    paused_reason="off until the nightly build is ready for it (definitions/triggers.py)",
    description="The nightly build to staging, then production after approval",
)

# An approval sent as a message: an EVENT task with `sink: "conductor:rollout_approvals"` in a
# workflow named `approval_bot` (a chat bot's, say) publishes {"workflowId": <the wave's
# execution>, "by": ..., "reason": ...}, and the wave's gate is approved as by
# `deploy-dsl approve`. On a server with a broker, the event names its queue instead
# (`sqs:rollout-approvals`).
rollout_approvals = EventHandler(
    "platform_rollout_approvals",
    event="conductor:approval_bot:rollout_approvals",
    condition="$.workflowId != null",
    actions=[
        CompleteTask(
            workflow=rollout_wave_v1,
            task=gate,
            workflow_id=payload("workflowId"),
            output={"approved": True, "by": payload("by"), "reason": payload("reason")},
        )
    ],
)
