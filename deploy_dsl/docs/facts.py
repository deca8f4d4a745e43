"""What the docs say about one task: its branches, endpoint, summary, calls and retry policy.

Shared by the diagram and the task table, so both describe a task the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from deploy_dsl.kinds import KINDS
from deploy_dsl.kinds.http import http_endpoint
from deploy_dsl.wire import Branch, TaskDef, WorkflowTask

__all__ = [
    "Branch",
    "Call",
    "Placed",
    "branches",
    "called_workflow",
    "http_endpoint",
    "retry_policy",
    "summary",
    "task_definition",
    "timeout",
    "walk",
]

# Conductor's delay between retries when a TaskDef sets none.
_DEFAULT_RETRY_DELAY_SECONDS = 60


@dataclass(frozen=True)
class Call:
    """A workflow that a task starts: as a sub-workflow, once per dynamic fork, or detached."""

    workflow: str
    version: str | None
    how: str


@dataclass(frozen=True)
class Placed:
    """A task with the branch it sits in (None at the top level)."""

    task: WorkflowTask
    parent: WorkflowTask | None
    branch: Branch | None


def branches(task: WorkflowTask) -> list[Branch]:
    """The nested task lists of a task, in definition order; a task with cases always shows a
    default branch: with no matching case and no default, the workflow goes on."""
    found = task.branches()
    if task.decision_cases is not None and not any(b.kind == "default" for b in found):
        found.append(Branch("default", "default", []))
    return found


def walk(
    tasks: list[WorkflowTask], parent: WorkflowTask | None = None, branch: Branch | None = None
) -> Iterator[Placed]:
    """Every task, nested ones included, depth first in definition order."""
    for task in tasks:
        yield Placed(task, parent, branch)
        for child in branches(task):
            yield from walk(child.tasks, task, child)


def called_workflow(task: WorkflowTask) -> Call | None:
    """The workflow a task starts, if it names one (`deploy_dsl.kinds.calls`)."""
    kind = KINDS.get(task.type)
    call = next(kind.calls(task), None) if kind is not None and kind.calls is not None else None
    if call is None:
        return None
    version = None if call.version is None else str(call.version)
    how = {"dynamic fork": "dynamic fork, one per input", "started": "started, not awaited"}
    return Call(call.name, version, how.get(call.how, call.how))


def summary(task: WorkflowTask) -> str:
    """One line after the reference: the type and what this task does that its type does not
    say (its kind's detail, or the worker task it runs when its name says that)."""
    kind = KINDS.get(task.type)
    detail = kind.detail(task) if kind is not None and kind.detail is not None else None
    named = kind is None or kind.named
    if detail is None and named and task.name != task.task_reference_name:
        detail = task.name
    return f"{task.type} {detail}" if detail else task.type


def task_definition(task: WorkflowTask, taskdefs: Mapping[str, TaskDef]) -> TaskDef | None:
    """The TaskDef Conductor applies: one embedded in the task, else the one of its name."""
    if task.task_definition:
        return TaskDef.model_validate({"name": task.name, **task.task_definition})
    return taskdefs.get(task.name)


def retry_policy(task: WorkflowTask, definition: TaskDef | None) -> str | None:
    """`count (logic, N s apart)`; a retryCount on the task overrides its TaskDef's."""
    count = task.retry_count
    if definition is None:
        return None if count is None else str(count)
    count = definition.retry_count if count is None else count
    if not count:
        return "none"
    delay = definition.retry_delay_seconds
    delay = _DEFAULT_RETRY_DELAY_SECONDS if delay is None else delay
    return f"{count} ({definition.retry_logic or 'FIXED'}, {delay} s apart)"


def timeout(definition: TaskDef | None) -> str | None:
    if definition is None or definition.timeout_seconds is None:
        return None
    return f"{definition.timeout_seconds} s"
