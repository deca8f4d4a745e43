"""An execution as a Mermaid gantt chart: every step of it and of the sub-workflows it started,
on one time axis, so overlap and waiting show at a glance (pure: the tree is given).

One section per execution (the root, then each sub-workflow, labelled by the path that leads to
it: `wave 1 / svc-a`), one bar per task that does something over time: worker and HTTP steps,
WAITs (an approval gate), and SUB_WORKFLOW tasks (which have a section of their own below).
Operators that take no time of their own (INLINE, SWITCH, FORK, JOIN, DO_WHILE, ...) are left
out. Times are the server's (`startTime`, `endTime`, epoch ms: `dateFormat x`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from deploy_dsl.client.tree import ExecutionNode, child_label
from deploy_dsl.docs.escape import gantt_text

__all__ = ["OPERATORS", "gantt"]

OPERATORS = frozenset(
    {
        "DECISION", "DO_WHILE", "DYNAMIC", "EXCLUSIVE_JOIN", "FORK", "FORK_JOIN",
        "FORK_JOIN_DYNAMIC", "INLINE", "JOIN", "JSON_JQ_TRANSFORM", "LAMBDA", "SET_VARIABLE",
        "SWITCH", "TERMINATE",
    }
)  # fmt: skip
_FAILED = frozenset({"FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED"})
_RUNNING = frozenset({"SCHEDULED", "IN_PROGRESS"})
_ITERATION = re.compile(r"__\d+$")


def gantt(tree: ExecutionNode, now_ms: int) -> str:
    """The chart's Mermaid text. A task still running ends at `now_ms` (marked active)."""
    root = tree.execution
    status = root.get("status", "?")
    lines = [
        "gantt",
        f"  title {gantt_text(f'{tree.name} {tree.workflow_id} ({status})')}",
        "  dateFormat x",
        "  axisFormat %H:%M:%S",
        "  todayMarker off",
    ]
    number = 0
    for path, node in tree.walk():
        bars = []
        labels = node.child_labels()
        for task in _timed_tasks(node.execution):
            number += 1
            bars.append(_bar(task, labels, f"t{number}", now_ms))
        if bars:
            section = " / ".join(path) if path else tree.name
            lines.append(f"  section {gantt_text(section)}")
            lines.extend(bars)
    return "\n".join(lines) + "\n"


def _timed_tasks(execution: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tasks = [
        task
        for task in execution.get("tasks") or []
        if task.get("taskType") not in OPERATORS and task.get("startTime")
    ]
    return sorted(tasks, key=lambda t: (t.get("startTime") or 0, t.get("seq") or 0))


def _bar(task: Mapping[str, Any], labels: Mapping[str, str], bar_id: str, now_ms: int) -> str:
    start = int(task["startTime"])
    status = task.get("status")
    end = int(task.get("endTime") or 0)
    if status in _RUNNING or end < start:
        end, tag = max(now_ms, start), "active"
    else:
        tag = "crit" if status in _FAILED else "done"
    if task.get("taskType") == "SUB_WORKFLOW":
        label = labels.get(str(task.get("taskId"))) or child_label(task)
    else:
        label = _ITERATION.sub("", str(task.get("referenceTaskName", "?")))
        if task.get("taskType") == "WAIT":
            label = f"{label} (wait)"
    if task.get("retryCount"):
        label = f"{label} (retry {task['retryCount']})"
    return f"  {gantt_text(label)} :{tag}, {bar_id}, {start}, {end}"
