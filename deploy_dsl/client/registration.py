"""Reading what the server holds, and applying a plan to it (through the API).

Reading takes four requests whatever the number of definitions: every version of every workflow
(GET /metadata/workflow), every task definition (GET /metadata/taskdefs), every schedule (GET
/scheduler/schedules) and every event handler (GET /event). Applying sends only what the plan
says differs: task definitions first, then workflows callees first, each kind in one bulk
request, then schedules and event handlers (the server takes them one at a time); with
`prune`, then deletes the project's definitions the code no longer has (schedules and handlers,
then workflows, then the task definitions they used). Nothing is written when the plan has a
refusal: a registered workflow version whose content would change, a schedule or handler of
another owner, or a missing reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from deploy_dsl.client.inventory import Held, read_held
from deploy_dsl.client.ownership import Ownership
from deploy_dsl.client.plan import Entry, Plan, Triggers, WorkflowKey, make_plan
from deploy_dsl.compiler import Compiled
from deploy_dsl.errors import DeployDslError

__all__ = [
    "RegistrationFailed",
    "RegistrationRefused",
    "RegistryApi",
    "Report",
    "apply",
    "plan_against",
    "read_plan",
]


class RegistryApi(Protocol):
    url: str

    def workflow_defs(self) -> list[dict[str, Any]]: ...

    def task_defs(self) -> list[dict[str, Any]]: ...

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]: ...

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None: ...

    def delete_workflow_def(self, name: str, version: int) -> None: ...

    def delete_taskdef(self, name: str) -> None: ...

    def schedules(self) -> list[dict[str, Any]] | None: ...

    def event_handlers(self) -> list[dict[str, Any]]: ...

    def save_schedule(self, definition: dict[str, Any]) -> None: ...

    def save_event_handler(self, definition: dict[str, Any], *, exists: bool) -> None: ...

    def delete_schedule(self, name: str) -> None: ...

    def delete_event_handler(self, name: str) -> None: ...


def read_plan(
    api: RegistryApi,
    compiled: Compiled,
    *,
    externals: Sequence[WorkflowKey] = (),
    ownership: Ownership | None = None,
) -> Plan:
    """The plan of `compiled` against the server, from its four reads."""
    return plan_against(read_held(api), compiled, externals=externals, ownership=ownership)


def plan_against(
    held: Held,
    compiled: Compiled,
    *,
    externals: Sequence[WorkflowKey] = (),
    ownership: Ownership | None = None,
) -> Plan:
    """The plan of `compiled` against what a server was read to hold."""
    triggers = Triggers(
        compiled.schedules, compiled.event_handlers, held.schedules, held.event_handlers
    )
    return make_plan(
        held.server,
        compiled.workflows,
        compiled.taskdefs,
        held.workflows,
        held.taskdefs,
        externals=externals,
        ownership=ownership,
        triggers=triggers,
    )


@dataclass
class RegistrationRefused(DeployDslError):
    """The plan has refusals; nothing was written."""

    reasons: list[str]

    def __str__(self) -> str:
        return "; ".join(self.reasons)


@dataclass
class RegistrationFailed(DeployDslError):
    """The server refused part of the registration; says what was and was not registered."""

    message: str
    registered: list[Entry] = field(default_factory=list)
    not_registered: list[Entry] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


Report = Callable[[Entry, str], None]


def apply(
    api: RegistryApi,
    plan: Plan,
    report: Report,
    *,
    allow_overwrite: bool = False,
    prune: bool = False,
) -> None:
    """Writes what the plan says, or nothing if it has refusals (RegistrationRefused).

    `report(entry, outcome)` is called for every definition of the code with "created",
    "updated" or "unchanged" once that is so, and with "deleted" for each pruned one.
    """
    refusals = plan.refusals(allow_overwrite=allow_overwrite)
    if refusals:
        raise RegistrationRefused(refusals)
    for entry in plan.code_entries:
        if entry.action == "unchanged":
            report(entry, "unchanged")
    done: list[Entry] = []
    taskdefs, workflows = plan.to_send("taskdef"), plan.to_send("workflow")
    triggers = plan.to_send("schedule") + plan.to_send("event_handler")
    pruned = plan.to_prune() if prune else []
    if taskdefs:
        try:
            api.post_taskdefs([dict(_body(e)) for e in taskdefs])
        except DeployDslError as error:
            rest = taskdefs + workflows + triggers + pruned
            raise RegistrationFailed(str(error), done, rest) from error
        for entry in taskdefs:
            report(entry, _past(entry))
            done.append(entry)
    if workflows:
        _put_workflows(api, workflows, done, triggers + pruned, report)
    for index, entry in enumerate(triggers):
        try:
            if entry.kind == "schedule":
                api.save_schedule(dict(_body(entry)))
            else:
                api.save_event_handler(dict(_body(entry)), exists=entry.action == "update")
        except DeployDslError as error:
            rest = triggers[index:] + pruned
            raise RegistrationFailed(f"{entry.label}: {error}", done, rest) from error
        report(entry, _past(entry))
        done.append(entry)
    for index, entry in enumerate(pruned):
        try:
            _delete(api, entry)
        except DeployDslError as error:
            rest = pruned[index:]
            raise RegistrationFailed(f"deleting {entry.label}: {error}", done, rest) from error
        report(entry, "deleted")
        done.append(entry)


def _delete(api: RegistryApi, entry: Entry) -> None:
    if entry.kind == "workflow" and entry.version is not None:
        api.delete_workflow_def(entry.name, entry.version)
    elif entry.kind == "schedule":
        api.delete_schedule(entry.name)
    elif entry.kind == "event_handler":
        api.delete_event_handler(entry.name)
    else:
        api.delete_taskdef(entry.name)


def _put_workflows(
    api: RegistryApi, workflows: list[Entry], done: list[Entry], later: list[Entry], report: Report
) -> None:
    try:
        result = api.put_workflows([dict(_body(e)) for e in workflows])
    except DeployDslError as error:
        raise RegistrationFailed(str(error), done, workflows + later) from error
    failed = _bulk_errors(result, {e.name for e in workflows})
    for entry in workflows:
        if entry.name not in failed:
            report(entry, _past(entry))
            done.append(entry)
    if failed:
        refused = [e for e in workflows if e.name in failed]
        reasons = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
        raise RegistrationFailed(f"the server refused {reasons}", done, refused + later)


def _body(entry: Entry) -> Mapping[str, Any]:
    assert entry.body is not None, f"{entry.label} has nothing to send"
    return entry.body


def _past(entry: Entry) -> str:
    return "created" if entry.action == "create" else "updated"


def _bulk_errors(result: Mapping[str, Any], names: set[str]) -> dict[str, str]:
    """Names the bulk response reports as failed: `bulkErrorResults` maps a workflow's name
    (or "name.version") to the server's message."""
    failed: dict[str, str] = {}
    for key, message in (result.get("bulkErrorResults") or {}).items():
        name = str(key) if str(key) in names else str(key).rsplit(".", 1)[0]
        failed[name] = str(message)
    return failed
