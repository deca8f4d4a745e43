"""An execution with the sub-workflows it started, followed down: what `status --gantt` draws
and where `approve` looks for a waiting gate.

The executions come from a `fetch` callable (`ConductorApi.execution`), one request each, so the
walk itself holds no I/O of its own and tests can hand it recorded executions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ExecutionNode", "Fetch", "Follow", "child_label", "load_tree"]

Execution = Mapping[str, Any]
Fetch = Callable[[str], Execution]
Follow = Callable[[Execution, Mapping[str, Any]], bool]

# The server's bookkeeping on a reference: `__<n>` for a DO_WHILE iteration.
_ITERATION = re.compile(r"__\d+$")
_RUNNING_TASK = frozenset({"SCHEDULED", "IN_PROGRESS"})
# Deep enough for any real nesting; a guard against a cycle in bad data.
_MAX_DEPTH = 20


@dataclass(frozen=True)
class ExecutionNode:
    """One execution, its label, and the sub-workflows its SUB_WORKFLOW tasks started (each
    with the task that started it)."""

    execution: Execution
    label: str
    children: tuple[tuple[Mapping[str, Any], ExecutionNode], ...] = ()

    @property
    def workflow_id(self) -> str:
        return str(self.execution.get("workflowId", ""))

    @property
    def name(self) -> str:
        return str(self.execution.get("workflowName", "?"))

    def child_labels(self) -> dict[str, str]:
        """Each followed SUB_WORKFLOW task's child label, by the task's id."""
        return {str(task.get("taskId")): child.label for task, child in self.children}

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], ExecutionNode]]:
        """This node and every node below it, depth first, each with the labels leading to it
        (empty for the root)."""
        yield path, self
        for _, child in self.children:
            yield from child.walk((*path, child.label))


def child_label(task: Mapping[str, Any], parent: str = "") -> str:
    """How a sub-workflow is named to people: its input's `label`, `scope` or `name` (a
    deploy by its service), unless that is its parent's too (a deploy's finalize); then the
    reference of the task that started it."""
    data = task.get("inputData") or {}
    given = data.get("workflowInput") or {}
    for key in ("label", "scope", "name"):
        value = given.get(key) if isinstance(given, Mapping) else None
        if isinstance(value, str) and value and value != parent:
            return value
    ref = _ITERATION.sub("", str(task.get("referenceTaskName", "")))
    return ref or str(data.get("subWorkflowName") or "sub-workflow")


def load_tree(
    fetch: Fetch,
    workflow_id: str,
    *,
    running_only: bool = False,
    follow: Follow | None = None,
) -> ExecutionNode:
    """The execution `workflow_id` and its sub-workflows, followed down.

    `running_only` follows only SUB_WORKFLOW tasks still scheduled or in progress: what can
    hold a task that waits now, in a request or two instead of one per sub-workflow ever run.
    `follow(execution, task)` narrows it further (the dashboard's execution page follows only
    the sub-workflows its definition names, not the hundred a dynamic fork may start).
    """
    return _node(fetch, fetch(workflow_id), "", _Walk(running_only, follow), 0)


@dataclass(frozen=True)
class _Walk:
    running: bool
    follow: Follow | None


def _node(fetch: Fetch, execution: Execution, label: str, walk: _Walk, depth: int) -> ExecutionNode:
    name = label or str(execution.get("workflowName", "?"))
    children = []
    if depth < _MAX_DEPTH:
        for task in _sub_workflow_tasks(execution, walk):
            child = fetch(str(task["subWorkflowId"]))
            label = child_label(task, name)
            children.append((task, _node(fetch, child, label, walk, depth + 1)))
    return ExecutionNode(execution, name, tuple(children))


def _sub_workflow_tasks(execution: Execution, walk: _Walk) -> list[Mapping[str, Any]]:
    tasks = [
        task
        for task in execution.get("tasks") or []
        if task.get("taskType") == "SUB_WORKFLOW"
        and task.get("subWorkflowId")
        and (not walk.running or task.get("status") in _RUNNING_TASK)
        and (walk.follow is None or walk.follow(execution, task))
    ]
    return sorted(tasks, key=lambda t: (t.get("startTime") or 0, t.get("seq") or 0))
