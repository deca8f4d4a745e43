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
from dataclasses import dataclass
from typing import Any

from deploy_dsl.client.tree import ExecutionNode, child_label
from deploy_dsl.docs.escape import gantt_text
from deploy_dsl.kinds import kind_at_run_time

__all__ = ["GanttBar", "GanttSection", "gantt", "sections", "takes_time"]

_FAILED = frozenset({"FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED"})
_RUNNING = frozenset({"SCHEDULED", "IN_PROGRESS"})
_ITERATION = re.compile(r"__\d+$")


@dataclass(frozen=True)
class GanttBar:
    """One task over time: `tag` is done, crit (it failed) or active (a running task, drawn to
    the given now)."""

    label: str
    tag: str
    start: int  # epoch ms, the server's clock
    end: int
    task: Mapping[str, Any]


@dataclass(frozen=True)
class GanttSection:
    """One execution's bars, titled by the path that leads to it (`wave 1 / svc-a`)."""

    title: str
    workflow_id: str
    bars: tuple[GanttBar, ...]


def sections(tree: ExecutionNode, now_ms: int) -> list[GanttSection]:
    """The chart as data: a section per execution that has timed tasks, root first."""
    found = []
    for path, node in tree.walk():
        labels = node.child_labels()
        bars = tuple(_bar(task, labels, now_ms) for task in _timed_tasks(node.execution))
        if bars:
            title = " / ".join(path) if path else tree.name
            found.append(GanttSection(title, node.workflow_id, bars))
    return found


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
    for section in sections(tree, now_ms):
        lines.append(f"  section {gantt_text(section.title)}")
        for bar in section.bars:
            number += 1
            lines.append(f"  {gantt_text(bar.label)} :{bar.tag}, t{number}, {bar.start}, {bar.end}")
    return "\n".join(lines) + "\n"


def _timed_tasks(execution: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tasks = [
        task
        for task in execution.get("tasks") or []
        if takes_time(str(task.get("taskType"))) and task.get("startTime")
    ]
    return sorted(tasks, key=lambda t: (t.get("startTime") or 0, t.get("seq") or 0))


def takes_time(task_type: str) -> bool:
    """Whether a task of the type has a bar: anything but the operators the engine decides at
    once (a type the project does not know, a custom worker's, takes time)."""
    kind = kind_at_run_time(task_type)
    return kind is None or not kind.operator


def _bar(task: Mapping[str, Any], labels: Mapping[str, str], now_ms: int) -> GanttBar:
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
    return GanttBar(label, tag, start, end, task)
