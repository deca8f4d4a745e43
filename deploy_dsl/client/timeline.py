"""How an execution reads in a terminal: one line per finished task, then the outcome (pure)."""

from __future__ import annotations

import json
import re
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


# The server's suffix on a task of a DO_WHILE's body: `<ref>__<iteration>`.
_ITERATION = re.compile(r"__\d+$")


def finished_tasks(execution: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Tasks that reached a final state, in the order the server scheduled them, except that
    a DO_WHILE comes after the tasks of its body: the server numbers it (`seq`) before them,
    but it ends after its last iteration."""
    tasks: Sequence[Mapping[str, Any]] = execution.get("tasks") or []
    done = [t for t in tasks if t.get("status") in _TASK_DONE]
    ordered = sorted(done, key=lambda t: (t.get("seq") or 0, t.get("scheduledTime") or 0))
    # Inner loops first (they come later), so an outer loop lands after an inner one.
    for loop in [t for t in reversed(ordered) if t.get("taskType") == "DO_WHILE"]:
        body = _body_refs(loop)
        last = max((i for i, t in enumerate(ordered) if _base_ref(t) in body), default=None)
        position = ordered.index(loop)
        if last is not None and last > position:
            ordered.insert(last, ordered.pop(position))
    return ordered


def _base_ref(task: Mapping[str, Any]) -> str:
    return _ITERATION.sub("", str(task.get("referenceTaskName", "")))


def _body_refs(loop: Mapping[str, Any]) -> set[str]:
    """The references of every task in a DO_WHILE's body, nested ones included, from the
    definition the server keeps with the task (`workflowTask.loopOver`)."""
    refs: set[str] = set()
    stack = list((loop.get("workflowTask") or {}).get("loopOver") or [])
    while stack:
        task = stack.pop()
        if not isinstance(task, Mapping):
            continue
        refs.add(str(task.get("taskReferenceName")))
        stack.extend(task.get("loopOver") or [])
        stack.extend(task.get("defaultCase") or [])
        for case in (task.get("decisionCases") or {}).values():
            stack.extend(case)
        for branch in task.get("forkTasks") or []:
            stack.extend(branch)
    return refs


def task_key(task: Mapping[str, Any]) -> str:
    return str(task.get("taskId") or f"{task.get('referenceTaskName')}#{task.get('seq')}")


def task_line(task: Mapping[str, Any]) -> str:
    """One line for the task, and under it, when it did not complete, its reason, whole."""
    duration = _seconds(task)
    took = f"{duration:6.2f}s" if duration is not None else "      -"
    ref = str(task.get("referenceTaskName", "?"))
    extra = []
    if task.get("retryCount"):
        extra.append(f"retry {task['retryCount']}")
    if task.get("subWorkflowId"):
        extra.append(f"sub-workflow {task['subWorkflowId']}")
    note = f"  ({'; '.join(extra)})" if extra else ""
    line = f"  {ref:32s} {task.get('taskType', '?'):18s} {task.get('status', '?'):10s} {took}{note}"
    reason = task.get("reasonForIncompletion")
    if reason and task.get("status") != "COMPLETED":
        line += "\n      reason: " + "\n        ".join(str(reason).splitlines())
    return line


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
