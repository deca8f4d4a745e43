"""Registering compiled definitions: what to send (pure planning) and sending it (via the API).

Nothing that is already registered as stated is sent again, so registering twice changes
nothing the second time. Task definitions go first, then workflows in dependency order
(a sub-workflow before the workflows that call it), each kind in one bulk request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from deploy_dsl.errors import DeployDslError
from deploy_dsl.wire import TaskDef, WorkflowDef, WorkflowTask, dump

__all__ = [
    "Action",
    "Item",
    "Plan",
    "RegistrationFailed",
    "RegistryApi",
    "dependency_order",
    "plan",
    "register",
    "states_match",
]

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Item:
    kind: Literal["taskdef", "workflow"]
    name: str
    version: int | None
    action: Action
    body: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" + (f" v{self.version}" if self.version else "")


@dataclass(frozen=True)
class Plan:
    taskdefs: list[Item]
    workflows: list[Item]

    def to_send(self, kind: Literal["taskdef", "workflow"]) -> list[Item]:
        items = self.taskdefs if kind == "taskdef" else self.workflows
        return [item for item in items if item.action != "unchanged"]


def states_match(desired: Any, registered: Any) -> bool:
    """True when every value the definition states is what the server holds.

    The server fills in defaults (createTime, optional: false, ...) that the definition left
    out; those are not differences. A list must match item for item.
    """
    if isinstance(desired, dict):
        return isinstance(registered, dict) and all(
            key in registered and states_match(value, registered[key])
            for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(registered, list)
            and len(desired) == len(registered)
            and all(states_match(d, r) for d, r in zip(desired, registered, strict=True))
        )
    return bool(desired == registered)


def _action(desired: dict[str, Any], registered: dict[str, Any] | None) -> Action:
    if registered is None:
        return "created"
    return "unchanged" if states_match(desired, registered) else "updated"


def dependency_order(workflows: Sequence[WorkflowDef]) -> list[WorkflowDef]:
    """Callees before callers (by name); otherwise the given order. Cycles keep given order."""
    by_name = {w.name: w for w in workflows}
    ordered: list[WorkflowDef] = []
    state: dict[str, str] = {}

    def visit(workflow: WorkflowDef) -> None:
        if state.get(workflow.name):
            return
        state[workflow.name] = "visiting"
        for callee in sorted(_callees(workflow.tasks)):
            if callee in by_name and callee != workflow.name:
                visit(by_name[callee])
        state[workflow.name] = "done"
        ordered.append(workflow)

    for workflow in workflows:
        visit(workflow)
    return ordered


def _callees(tasks: Sequence[WorkflowTask]) -> set[str]:
    names: set[str] = set()
    for task in tasks:
        if task.sub_workflow_param and task.sub_workflow_param.name:
            names.add(task.sub_workflow_param.name)
        forked = (task.input_parameters or {}).get("forkTaskWorkflow")
        if task.type == "FORK_JOIN_DYNAMIC" and isinstance(forked, str):
            names.add(forked)
        for child in task.children():
            names |= _callees(child)
    return names


def plan(
    workflows: Sequence[WorkflowDef],
    taskdefs: Sequence[TaskDef],
    registered_workflows: Sequence[Mapping[str, Any]],
    registered_taskdefs: Sequence[Mapping[str, Any]],
) -> Plan:
    """What registration would do, given what the server holds now."""
    by_key = {(w.get("name"), w.get("version")): dict(w) for w in registered_workflows}
    by_name = {t.get("name"): dict(t) for t in registered_taskdefs}
    taskdef_items = [
        Item("taskdef", t.name, None, _action(body, by_name.get(t.name)), body)
        for t in taskdefs
        for body in [dump(t)]
    ]
    workflow_items = [
        Item("workflow", w.name, w.version, _action(body, by_key.get((w.name, w.version))), body)
        for w in dependency_order(workflows)
        for body in [dump(w)]
    ]
    return Plan(taskdef_items, workflow_items)


class RegistryApi(Protocol):
    def workflow_defs(self) -> list[dict[str, Any]]: ...

    def task_defs(self) -> list[dict[str, Any]]: ...

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]: ...

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None: ...


@dataclass
class RegistrationFailed(DeployDslError):
    """The server refused part of the registration; says what was and was not registered."""

    message: str
    registered: list[Item] = field(default_factory=list)
    not_registered: list[Item] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


Report = Callable[[Item, str], None]


def register(api: RegistryApi, current: Plan, report: Report) -> None:
    """Sends what the plan says to send: task definitions, then workflows, in bulk.

    `report(item, outcome)` is called for every item, with its action once it is done (or
    "unchanged"), so the caller can print one line per definition as it happens.
    """
    for item in current.taskdefs + current.workflows:
        if item.action == "unchanged":
            report(item, "unchanged")
    done: list[Item] = []
    taskdefs = current.to_send("taskdef")
    workflows = current.to_send("workflow")
    if taskdefs:
        try:
            api.post_taskdefs([item.body for item in taskdefs])
        except DeployDslError as error:
            raise RegistrationFailed(str(error), done, taskdefs + workflows) from error
        for item in taskdefs:
            report(item, item.action)
            done.append(item)
    if workflows:
        try:
            result = api.put_workflows([item.body for item in workflows])
        except DeployDslError as error:
            raise RegistrationFailed(str(error), done, workflows) from error
        failed = _bulk_errors(result, {item.name for item in workflows})
        for item in workflows:
            if item.name not in failed:
                report(item, item.action)
                done.append(item)
        if failed:
            refused = [item for item in workflows if item.name in failed]
            reasons = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
            raise RegistrationFailed(f"the server refused {reasons}", done, refused)


def _bulk_errors(result: Mapping[str, Any], names: set[str]) -> dict[str, str]:
    """Names the bulk response reports as failed: `bulkErrorResults` maps a workflow's name
    (or "name.version") to the server's message."""
    failed: dict[str, str] = {}
    for key, message in (result.get("bulkErrorResults") or {}).items():
        name = str(key) if str(key) in names else str(key).rsplit(".", 1)[0]
        failed[name] = str(message)
    return failed
