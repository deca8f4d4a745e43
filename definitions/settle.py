"""The end of a deploy, wherever traffic moved: the worker's health check, then finalize on a
clear success or roll back (deploy_simple_v1 after its swap, canary_v1 after its last step)."""

from __future__ import annotations

from typing import Any

from definitions.common import worker_step
from definitions.finalize_deployment import finalize_deployment_v1
from definitions.rollback_deployment import roll_back
from deploy_dsl.dsl import Http, SetVariable, SubWorkflow, Switch
from worker.contract import EffectiveStatusAnswer

__all__ = ["health_check"]


def health_check(
    follow_up: dict[str, Any], step_body: dict[str, Any]
) -> tuple[Http[EffectiveStatusAnswer], Switch]:
    """effective_status, and the SWITCH on its status: `finalize_deployment_v1`, the worker's
    settle and the recorded outcome on success; anything else rolls back, since an unknown
    status must not keep new traffic."""
    check = worker_step("effective_status", step_body)
    decide = Switch(
        "decide_outcome",
        value=check.output.response.body.status,
        cases={
            "success": [
                SubWorkflow("finalize", workflow=finalize_deployment_v1, inputs=follow_up),
                worker_step("finalize_deployment", step_body),
                SetVariable("record_finalized", inputs={"outcome": "finalized"}),
            ],
        },
        default=roll_back(follow_up, step_body),
    )
    return check, decide
