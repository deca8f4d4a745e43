"""What the docs say about one task: its branches, endpoint, summary, calls and retry policy.

Shared by the diagram and the task table, so both describe a task the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from deploy_dsl.wire import TaskDef, WorkflowTask

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

_SWITCHES = frozenset({"SWITCH", "DECISION"})
# Conductor's delay between retries when a TaskDef sets none.
_DEFAULT_RETRY_DELAY_SECONDS = 60


@dataclass(frozen=True)
class Branch:
    """One nested task list of a task: a case, the default case, a fork branch, a loop body."""

    kind: Literal["case", "default", "fork", "loop"]
    label: str
    tasks: list[WorkflowTask]


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
    """The nested task lists of a task, in definition order."""
    if task.type in _SWITCHES:
        cases = [Branch("case", key, tasks) for key, tasks in (task.decision_cases or {}).items()]
        # A SWITCH without a matching case and no default goes on to the next task.
        return [*cases, Branch("default", "default", task.default_case or [])]
    if task.fork_tasks is not None:
        return [Branch("fork", str(i), tasks) for i, tasks in enumerate(task.fork_tasks, 1)]
    if task.type == "DO_WHILE":
        return [Branch("loop", "loop", task.loop_over or [])]
    return []


def walk(
    tasks: list[WorkflowTask], parent: WorkflowTask | None = None, branch: Branch | None = None
) -> Iterator[Placed]:
    """Every task, nested ones included, depth first in definition order."""
    for task in tasks:
        yield Placed(task, parent, branch)
        for child in branches(task):
            yield from walk(child.tasks, task, child)


def http_endpoint(task: WorkflowTask) -> str | None:
    """`METHOD /path` of an HTTP task: the host is the same worker everywhere, the path is not."""
    request = (task.input_parameters or {}).get("http_request")
    if not isinstance(request, dict) or not isinstance(request.get("uri"), str):
        return None
    uri: str = request["uri"]
    parts = urlsplit(uri)
    path = uri  # no host: a relative path or an expression, shown as written
    if parts.netloc:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{request.get('method', 'GET')} {path}"


def called_workflow(task: WorkflowTask) -> Call | None:
    """The workflow a SUB_WORKFLOW, FORK_JOIN_DYNAMIC or START_WORKFLOW task runs, if named."""
    inputs = task.input_parameters or {}
    param = task.sub_workflow_param
    if task.type == "SUB_WORKFLOW" and param is not None and param.name:
        how = "inline sub-workflow" if param.workflow_definition is not None else "sub-workflow"
        return Call(param.name, _text(param.version), how)
    if task.type == "FORK_JOIN_DYNAMIC" and isinstance(inputs.get("forkTaskWorkflow"), str):
        version = _text(inputs.get("forkTaskWorkflowVersion"))
        return Call(inputs["forkTaskWorkflow"], version, "dynamic fork, one per input")
    start = inputs.get("startWorkflow")
    if (
        task.type == "START_WORKFLOW"
        and isinstance(start, dict)
        and isinstance(start.get("name"), str)
    ):
        return Call(start["name"], _text(start.get("version")), "started, not awaited")
    return None


def summary(task: WorkflowTask) -> str:
    """One line after the reference: the type and what this task does that its type does not say."""
    detail = _detail(task)
    return f"{task.type} {detail}" if detail else task.type


def _detail(task: WorkflowTask) -> str | None:
    inputs = task.input_parameters or {}
    call = called_workflow(task)
    if call is not None:
        return call.workflow + (f" v{call.version}" if call.version else "")
    if task.type in _DETAILS:
        return _DETAILS[task.type](task, inputs)
    # SIMPLE and custom types run the worker task of their name, which may differ from the ref.
    named = task.type not in _SELF_DESCRIBED and task.name != task.task_reference_name
    return task.name if named else None


def _switch_subject(task: WorkflowTask, inputs: dict[str, Any]) -> str | None:
    """What a SWITCH or DECISION branches on: the input a value-param names, or the script."""
    if task.type == "DECISION":
        param = task.case_value_param
        if param:
            return f"on {_text(inputs.get(param)) or param}"
        return f"on {task.case_expression}" if task.case_expression else None
    if task.evaluator_type in (None, "value-param") and task.expression:
        return f"on {_text(inputs.get(task.expression)) or task.expression}"
    return f"on {task.expression}" if task.expression else None


def _dynamic_tasks(task: WorkflowTask, inputs: dict[str, Any]) -> str | None:
    param = task.dynamic_fork_tasks_param
    return f"tasks from {_text(inputs.get(param)) or param}" if param else None


_DETAILS: dict[str, Callable[[WorkflowTask, dict[str, Any]], str | None]] = {
    "HTTP": lambda task, _: http_endpoint(task),
    "SWITCH": _switch_subject,
    "DECISION": _switch_subject,
    "FORK_JOIN_DYNAMIC": _dynamic_tasks,
    "TERMINATE": lambda _, inputs: _text(inputs.get("terminationStatus")),
    "WAIT": lambda _, inputs: _text(inputs.get("duration") or inputs.get("until")),
    "SET_VARIABLE": lambda _, inputs: ", ".join(inputs) or None,
    "EVENT": lambda task, _: task.sink,
}
# Types whose name is only a label: the type alone says what runs.
_SELF_DESCRIBED = frozenset(
    {"DO_WHILE", "FORK_JOIN", "JOIN", "EXCLUSIVE_JOIN", "INLINE", "LAMBDA", "JSON_JQ_TRANSFORM"}
)


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


def _text(value: Any) -> str | None:
    """A scalar as text (expressions stay `${...}`); None for absent or structured values."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).lower() if isinstance(value, bool) else str(value)
