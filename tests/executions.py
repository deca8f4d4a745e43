"""Executions as GET /api/workflow/{id}?includeTasks=true returns them, cut to the fields the
timeline, the approval search and the gantt chart read: for tests that need no server.

The shapes follow what Conductor 3.32.3 returned in the rollout's end-to-end runs
(tests/e2e/test_rollout.py): a SUB_WORKFLOW task's `inputData.workflowInput` and
`subWorkflowId`, a gate's WAIT with its `approval` input, epoch-millisecond times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Recorded", "execution", "sub_workflow", "task"]

_seq = iter(range(1, 1_000_000))


def task(
    ref: str,
    task_type: str = "HTTP",
    status: str = "COMPLETED",
    start: int | None = 1_000,
    end: int | None = 2_000,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "referenceTaskName": ref,
        "taskType": task_type,
        "status": status,
        "startTime": start or 0,
        "endTime": end or 0,
        "seq": next(_seq),
        "taskId": f"task-{ref}",
        **extra,
    }


def sub_workflow(
    ref: str, child_id: str, workflow_input: Mapping[str, Any], **kwargs: Any
) -> dict[str, Any]:
    data = {"subWorkflowName": "child", "workflowInput": dict(workflow_input)}
    return task(ref, "SUB_WORKFLOW", subWorkflowId=child_id, inputData=data, **kwargs)


def execution(
    workflow_id: str, name: str, tasks: list[dict[str, Any]], status: str = "COMPLETED"
) -> dict[str, Any]:
    return {"workflowId": workflow_id, "workflowName": name, "status": status, "tasks": tasks}


class Recorded:
    """A fetch over recorded executions; counts the requests it answers."""

    def __init__(self, *executions: dict[str, Any]) -> None:
        self.executions = {e["workflowId"]: e for e in executions}
        self.fetched: list[str] = []

    def __call__(self, workflow_id: str) -> dict[str, Any]:
        self.fetched.append(workflow_id)
        return self.executions[workflow_id]
