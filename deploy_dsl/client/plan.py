"""What registering would do, given what the server holds: the plan (pure).

For every task definition, workflow version, schedule and event handler in the code: create,
update (with the field changes) or unchanged; for what the server holds and the code does not:
the project's own definitions (`Ownership`) as "not in the definitions", other versions of the
code's workflows as kept. A plan also names what register must refuse: a registered workflow
version whose content would change (versions are immutable once executions may use them), a
schedule or event handler of the same name that is not the project's, and references
(sub-workflows, external workflows, SIMPLE task names, the workflows a schedule or handler
starts) that neither the server nor the code provides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from deploy_dsl.client.diff import (
    Change,
    event_handler_changes,
    schedule_changes,
    taskdef_changes,
    workflow_changes,
)
from deploy_dsl.client.ownership import Ownership, started_workflows
from deploy_dsl.kinds import workflow_calls
from deploy_dsl.trigger_wire import EventHandlerDef, WorkflowSchedule
from deploy_dsl.wire import TaskDef, WorkflowDef, dump, walk

__all__ = [
    "Action",
    "Entry",
    "Kind",
    "Plan",
    "Triggers",
    "dependency_order",
    "make_plan",
]

Kind = Literal["taskdef", "workflow", "schedule", "event_handler"]
# Deleted first to last: what starts a workflow before the workflow, a workflow before the task
# definitions it used.
_PRUNE_ORDER: dict[Kind, int] = {"schedule": 0, "event_handler": 1, "workflow": 2, "taskdef": 3}
Action = Literal["create", "update", "unchanged", "not_in_code", "other_version"]
WorkflowKey = tuple[str, int]


@dataclass(frozen=True)
class Entry:
    kind: Kind
    name: str
    version: int | None
    action: Action
    changes: tuple[Change, ...] = ()
    body: Mapping[str, Any] | None = None  # what registering sends; None when not in code
    latest: int | None = None  # workflows: the highest version the server holds of the name
    used_by: tuple[str, ...] = ()  # not_in_code: the code's definitions that still use it
    foreign: bool = False  # a schedule or handler of that name the project does not own

    @property
    def label(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.name}" + (
            f" v{self.version}" if self.version is not None else ""
        )

    @property
    def rewrites_version(self) -> bool:
        """An update of a workflow version the server already holds: its content changes
        under the executions that use it."""
        return self.kind == "workflow" and self.action == "update"

    @property
    def overwrites(self) -> bool:
        """An update register refuses unless told: a registered workflow version, or a
        schedule or event handler someone else owns."""
        return self.rewrites_version or (self.action == "update" and self.foreign)

    @property
    def prunable(self) -> bool:
        return self.action == "not_in_code" and not self.used_by

    @property
    def next_version(self) -> int:
        """The version a changed workflow should take: one above every registered one."""
        return (self.latest or self.version or 0) + 1

    def refusal(self) -> str:
        if self.foreign:
            return (
                f"{self.label} on the server is another owner's (it starts none of the "
                "project's workflows and has none of its name prefixes): rename it, or pass "
                "--allow-overwrite to take it over"
            )
        return (
            f"{self.label} is registered with other content ({len(self.changes)} field(s) "
            f"differ): bump the version to {self.next_version}, or pass --allow-overwrite"
        )


@dataclass(frozen=True)
class Triggers:
    """The code's schedules and event handlers and what the server holds of them; `held_*`
    None when the server has no such API (a server without the scheduler)."""

    schedules: Sequence[WorkflowSchedule] = ()
    event_handlers: Sequence[EventHandlerDef] = ()
    held_schedules: Sequence[Mapping[str, Any]] | None = ()
    held_event_handlers: Sequence[Mapping[str, Any]] | None = ()


@dataclass(frozen=True)
class Plan:
    server: str
    taskdefs: list[Entry]
    workflows: list[Entry]  # callees before callers
    extras: list[Entry] = field(default_factory=list)  # on the server, not in the code
    problems: list[str] = field(default_factory=list)  # references nothing provides
    schedules: list[Entry] = field(default_factory=list)
    event_handlers: list[Entry] = field(default_factory=list)

    @property
    def entries(self) -> list[Entry]:
        return [*self.code_entries, *self.extras]

    @property
    def code_entries(self) -> list[Entry]:
        """The code's definitions, in the order register sends them."""
        return [*self.taskdefs, *self.workflows, *self.schedules, *self.event_handlers]

    def to_send(self, kind: Kind) -> list[Entry]:
        return [e for e in self.code_entries if e.kind == kind and e.action in ("create", "update")]

    def to_prune(self) -> list[Entry]:
        """Schedules and event handlers first, then workflows, then task definitions: nothing
        goes before what starts or uses it."""
        return sorted(
            (e for e in self.extras if e.prunable), key=lambda e: (_PRUNE_ORDER[e.kind], e.label)
        )

    def has_changes(self, *, prune: bool = False) -> bool:
        sending = any(e.action in ("create", "update") for e in self.code_entries)
        return sending or (prune and bool(self.to_prune()))

    def refusals(self, *, allow_overwrite: bool = False) -> list[str]:
        """Why register must not write anything; empty when it may go ahead."""
        overwritten = [] if allow_overwrite else [e for e in self.code_entries if e.overwrites]
        return [*self.problems, *(e.refusal() for e in overwritten)]

    def counts(self) -> dict[Action, int]:
        counts: dict[Action, int] = {
            "create": 0,
            "update": 0,
            "unchanged": 0,
            "not_in_code": 0,
            "other_version": 0,
        }
        for entry in self.entries:
            counts[entry.action] += 1
        return counts


def make_plan(
    server: str,
    workflows: Sequence[WorkflowDef],
    taskdefs: Sequence[TaskDef],
    held_workflows: Sequence[Mapping[str, Any]],
    held_taskdefs: Sequence[Mapping[str, Any]],
    *,
    externals: Iterable[WorkflowKey] = (),
    ownership: Ownership | None = None,
    triggers: Triggers | None = None,
) -> Plan:
    """Compares the code's definitions with every version the server holds (one read of each
    kind, however many definitions there are)."""
    triggers = triggers or Triggers()
    held_by_key: dict[WorkflowKey, dict[str, Any]] = {}
    for held in held_workflows:
        key = _key(held)
        if key is not None:
            held_by_key[key] = dict(held)
    held_by_name = {str(t.get("name")): dict(t) for t in held_taskdefs}
    latest: dict[str, int] = {}
    for name, version in held_by_key:
        latest[name] = max(version, latest.get(name, version))
    ordered = dependency_order(workflows)
    bodies = {(w.name, w.version or 1): dump(w) for w in ordered}
    taskdef_bodies = {t.name: dump(t) for t in taskdefs}
    owner = ownership or Ownership.of_definitions([*bodies.values(), *taskdef_bodies.values()])

    taskdef_entries = [
        _entry("taskdef", name, None, body, held_by_name.get(name), None)
        for name, body in taskdef_bodies.items()
    ]
    workflow_entries = [
        _entry("workflow", name, version, body, held_by_key.get((name, version)), latest.get(name))
        for (name, version), body in bodies.items()
    ]
    uses = _uses(ordered)
    extras = [
        *_extra_workflows(held_by_key, bodies, owner, uses, latest),
        *_extra_taskdefs(held_by_name, taskdef_bodies, owner, uses),
    ]
    known = set(bodies) | set(held_by_key)
    problems = _missing(ordered, externals, known)
    # The project's workflows: the code's, and those on the server it owns.
    owned = {name for name, _ in bodies} | {
        name for (name, _), body in held_by_key.items() if owner.owns(body)
    }
    schedules, more, trouble = _trigger_entries(
        "schedule", triggers.schedules, triggers.held_schedules, owner, owned, known
    )
    handlers, rest, issues = _trigger_entries(
        "event_handler", triggers.event_handlers, triggers.held_event_handlers, owner, owned, known
    )
    return Plan(
        server,
        taskdef_entries,
        workflow_entries,
        [*extras, *more, *rest],
        [*problems, *trouble, *issues],
        schedules,
        handlers,
    )


def _trigger_entries(
    kind: Kind,
    code: Sequence[WorkflowSchedule | EventHandlerDef],
    held: Sequence[Mapping[str, Any]] | None,
    owner: Ownership,
    owned_workflows: set[str],
    known: set[WorkflowKey],
) -> tuple[list[Entry], list[Entry], list[str]]:
    """The code's schedules (or event handlers) against the server's: entries, the project's
    ones the code no longer has, and problems (what they start that nothing provides; a server
    without the API when the code has some)."""
    label = kind.replace("_", " ")
    bodies = {item.name: dump(item) for item in code}
    problems = [
        f"{label} {name} starts workflow {target} v{version}, which is neither registered on "
        "the server nor defined in the definitions"
        for name, body in bodies.items()
        for target, version in started_workflows(body)
        if version is not None and (target, version) not in known
    ]
    if held is None:
        if bodies:
            problems.append(
                f"the server has no {label} API (it answered 404): {len(bodies)} {label}(s) "
                "cannot be registered there (a Conductor OSS server needs "
                "conductor.scheduler.enabled=true for schedules)"
            )
        return [], [], problems
    held_by_name = {str(item.get("name")): dict(item) for item in held}
    changes = schedule_changes if kind == "schedule" else event_handler_changes
    entries = []
    for name, body in bodies.items():
        old = held_by_name.get(name)
        if old is None:
            entries.append(Entry(kind, name, None, "create", body=body))
            continue
        found = tuple(changes(body, old))
        # Another owner's when it starts workflows none of which are the project's; one that
        # starts nothing (a handler that completes tasks) cannot tell, and has the code's name.
        foreign = bool(started_workflows(old)) and not owner.owns_trigger(old, owned_workflows)
        action: Action = "update" if found else "unchanged"
        entries.append(Entry(kind, name, None, action, found, body, foreign=foreign))
    extras = [
        Entry(kind, name, None, "not_in_code")
        for name, body in sorted(held_by_name.items())
        if name not in bodies and owner.owns_trigger(body, owned_workflows)
    ]
    return entries, extras, problems


def _key(workflow: Mapping[str, Any]) -> WorkflowKey | None:
    name, version = workflow.get("name"), workflow.get("version")
    return (str(name), int(version)) if name is not None and isinstance(version, int) else None


def _entry(
    kind: Kind,
    name: str,
    version: int | None,
    body: dict[str, Any],
    held: Mapping[str, Any] | None,
    latest: int | None,
) -> Entry:
    if held is None:
        return Entry(kind, name, version, "create", body=body, latest=latest)
    changes = workflow_changes(body, held) if kind == "workflow" else taskdef_changes(body, held)
    action: Action = "update" if changes else "unchanged"
    return Entry(kind, name, version, action, tuple(changes), body, latest)


def _extra_workflows(
    held: Mapping[WorkflowKey, Mapping[str, Any]],
    code: Mapping[WorkflowKey, Any],
    owner: Ownership,
    uses: Mapping[str, set[str]],
    latest: Mapping[str, int],
) -> list[Entry]:
    code_names = {name for name, _ in code}
    extras = []
    for (name, version), body in sorted(held.items()):
        if (name, version) in code:
            continue
        if name in code_names:  # an older (or newer) version: executions may still use it
            extras.append(Entry("workflow", name, version, "other_version", latest=latest[name]))
        elif owner.owns(body):
            users = sorted(
                uses.get(f"workflow {name}", set()) | uses.get(f"workflow {name} v{version}", set())
            )
            extras.append(
                Entry(
                    "workflow",
                    name,
                    version,
                    "not_in_code",
                    latest=latest[name],
                    used_by=tuple(users),
                )
            )
    return extras


def _extra_taskdefs(
    held: Mapping[str, Mapping[str, Any]],
    code: Mapping[str, Any],
    owner: Ownership,
    uses: Mapping[str, set[str]],
) -> list[Entry]:
    return [
        Entry(
            "taskdef",
            name,
            None,
            "not_in_code",
            used_by=tuple(sorted(uses.get(f"taskdef {name}", set()))),
        )
        for name, body in sorted(held.items())
        if name not in code and owner.owns(body)
    ]


def _uses(workflows: Sequence[WorkflowDef]) -> dict[str, set[str]]:
    """What each code workflow relies on by name: task definitions (every task's name) and
    the workflows it calls (with and without a version), so that prune keeps them."""
    uses: dict[str, set[str]] = {}
    for workflow in workflows:
        user = f"workflow {workflow.name} v{workflow.version}"
        for task in walk(workflow.tasks):
            uses.setdefault(f"taskdef {task.name}", set()).add(user)
        for name, version in _called(workflow):
            uses.setdefault(f"workflow {name}", set()).add(user)
            if version is not None:
                uses.setdefault(f"workflow {name} v{version}", set()).add(user)
    return uses


def _missing(
    workflows: Sequence[WorkflowDef],
    externals: Iterable[WorkflowKey],
    known_workflows: set[WorkflowKey],
) -> list[str]:
    """References that neither the server nor the code provides: a run would fail on them
    (a missing sub-workflow fails when it is reached, not when the workflow starts)."""
    names = {name for name, _ in known_workflows}
    problems = [
        f"ExternalWorkflow {name} v{version} is neither registered on the server nor defined "
        "in the definitions"
        for name, version in sorted(set(externals))
        if (name, version) not in known_workflows
    ]
    for workflow in workflows:
        where = f"workflow {workflow.name} v{workflow.version}"
        for name, version in sorted(_called(workflow), key=str):
            known = name in names if version is None else (name, version) in known_workflows
            if not known:
                called = f"{name} v{version}" if version is not None else f"{name} (any version)"
                problems.append(
                    f"{where} calls workflow {called}, which is neither registered on the "
                    "server nor defined in the definitions"
                )
    return problems


def _called(workflow: WorkflowDef) -> set[tuple[str, int | None]]:
    """(name, version or None for the latest) of every workflow this one starts by a fixed
    name, its failure workflow included (`deploy_dsl.kinds.workflow_calls`)."""
    return {
        (call.name, call.version)
        for call in workflow_calls(workflow)
        if call.how != "inline sub-workflow"
    }


def dependency_order(workflows: Sequence[WorkflowDef]) -> list[WorkflowDef]:
    """Callees before callers (by name); otherwise the given order. Cycles keep given order."""
    by_name: dict[str, list[WorkflowDef]] = {}
    for workflow in workflows:
        by_name.setdefault(workflow.name, []).append(workflow)
    ordered: list[WorkflowDef] = []
    state: set[str] = set()

    def visit(name: str) -> None:
        if name in state:
            return
        state.add(name)
        for workflow in by_name[name]:
            for callee, _ in sorted(_called(workflow), key=str):
                if callee in by_name and callee != name:
                    visit(callee)
        ordered.extend(by_name[name])

    for workflow in workflows:
        visit(workflow.name)
    return ordered
