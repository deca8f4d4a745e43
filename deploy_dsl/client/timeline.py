"""How an execution reads in a terminal: one line per finished task, then the outcome (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from deploy_dsl.client.approvals import WaitingGate

__all__ = [
    "TERMINAL_STATUSES",
    "approval_lines",
    "finished_tasks",
    "outcome_lines",
    "progress_line",
    "task_line",
]

TERMINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "TERMINATED", "TIMED_OUT", "PAUSED"})
_TASK_DONE = frozenset(
    {"COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "FAILED_WITH_TERMINAL_ERROR", "CANCELED",
     "TIMED_OUT", "SKIPPED"}
)  # fmt: skip


def _seconds(task: Mapping[str, Any]) -> float | None:
    start, end = task.get("startTime") or 0, task.get("endTime") or 0
    return (end - start) / 1000 if start and end and end >= start else None


def finished_tasks(execution: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Tasks that reached a final state, in the order the server scheduled them."""
    tasks: Sequence[Mapping[str, Any]] = execution.get("tasks") or []
    done = [t for t in tasks if t.get("status") in _TASK_DONE]
    return sorted(done, key=lambda t: (t.get("seq") or 0, t.get("scheduledTime") or 0))


def task_key(task: Mapping[str, Any]) -> str:
    return str(task.get("taskId") or f"{task.get('referenceTaskName')}#{task.get('seq')}")


def task_line(task: Mapping[str, Any]) -> str:
    duration = _seconds(task)
    took = f"{duration:6.2f}s" if duration is not None else "      -"
    ref = str(task.get("referenceTaskName", "?"))
    extra = []
    if task.get("retryCount"):
        extra.append(f"retry {task['retryCount']}")
    if task.get("subWorkflowId"):
        extra.append(f"sub-workflow {task['subWorkflowId']}")
    reason = task.get("reasonForIncompletion")
    if reason and task.get("status") != "COMPLETED":
        extra.append(str(reason).splitlines()[0][:120])
    note = f"  ({'; '.join(extra)})" if extra else ""
    return f"  {ref:32s} {task.get('taskType', '?'):18s} {task.get('status', '?'):10s} {took}{note}"


def progress_line(execution: Mapping[str, Any], elapsed: float) -> str:
    tasks: Sequence[Mapping[str, Any]] = execution.get("tasks") or []
    running = [str(t.get("referenceTaskName")) for t in tasks if t.get("status") not in _TASK_DONE]
    doing = f", waiting on {', '.join(running[:3])}" if running else ""
    return f"  ... {execution.get('status', '?')} after {elapsed:.1f}s{doing}"


def outcome_lines(execution: Mapping[str, Any]) -> list[str]:
    status = execution.get("status", "?")
    start, end = execution.get("startTime") or 0, execution.get("endTime") or 0
    took = f" in {(end - start) / 1000:.2f}s" if start and end else ""
    lines = [
        f"{execution.get('workflowName', '?')} {execution.get('workflowId', '')}: {status}{took}"
    ]
    if execution.get("reasonForIncompletion"):
        lines.append(f"reason: {execution['reasonForIncompletion']}")
    lines.append("output: " + json.dumps(execution.get("output") or {}, indent=2, sort_keys=True))
    return lines


def approval_lines(gates: Sequence[WaitingGate], workflow_id: str, now_ms: int) -> list[str]:
    """What waits for a person, and the commands that decide it (`workflow_id` is the
    execution the person asked about, which `approve` searches down from)."""
    lines = []
    several = len(gates) > 1
    for gate in gates:
        waited = max(0, now_ms - gate.since_ms) // 1000 if gate.since_ms else 0
        limit = f", times out after {gate.timeout}" if gate.timeout else ", no timeout"
        pick = f" --gate {gate.gate}" if several else ""
        lines += [
            f"waiting for approval: {gate.title} (for {waited}s{limit}; gate {gate.gate} in "
            f"{gate.workflow_name} {gate.workflow_id})",
            f"  approve: deploy-dsl approve {workflow_id}{pick}",
            f"  reject:  deploy-dsl reject {workflow_id}{pick} --reason TEXT",
        ]
    return lines
