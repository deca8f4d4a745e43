"""Project -> validated Conductor JSON files (pure: returns text, writes nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from deploy_dsl.canonical import canonical_model_json
from deploy_dsl.findings import Code, Finding
from deploy_dsl.location import Where
from deploy_dsl.project import Project
from deploy_dsl.task import CompileOptions
from deploy_dsl.trigger_checks import trigger_findings
from deploy_dsl.trigger_wire import EventHandlerDef, WorkflowSchedule
from deploy_dsl.validation import Subject, errors_in, validate
from deploy_dsl.wire import TaskDef, WorkflowDef
from deploy_dsl.workflow import InputField, input_fields, walk_tasks

__all__ = ["Compiled", "DocsRenderer", "Trigger", "compile_project", "render_files"]


@dataclass(frozen=True)
class Trigger:
    """A schedule or event handler and what it does to one workflow: what that workflow's
    docs page lists (an event handler's wire form does not always name the workflow)."""

    kind: Literal["schedule", "event_handler"]
    name: str
    workflow: str
    version: int
    how: str


@dataclass(frozen=True)
class Compiled:
    workflows: list[WorkflowDef]
    taskdefs: list[TaskDef]
    findings: list[Finding]
    # What only the Python definitions say of each workflow's inputs (types, descriptions),
    # by workflow name; JSON states no types.
    inputs: Mapping[str, tuple[InputField, ...]] = field(default_factory=dict)
    schedules: list[WorkflowSchedule] = field(default_factory=list)
    event_handlers: list[EventHandlerDef] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return errors_in(self.findings)


def compile_project(
    project: Project, options: CompileOptions | None = None, *, strict: bool = True
) -> Compiled:
    """Compiles and validates every definition; errors are returned, never raised.

    `strict=False` validates as for plain JSON files: for code imported from JSON, where
    undeclared inputs or workflows registered elsewhere are warnings, not errors.
    """
    options = options or CompileOptions()
    locations: dict[tuple[str, str | None], tuple[Where, ...]] = {}
    workflows: list[WorkflowDef] = []
    for workflow in project.workflows:
        compiled = workflow.compile(options)
        workflows.append(compiled.definition)
        for key, places in compiled.locations.items():
            locations[key] = (*locations.get(key, ()), *places)
    taskdefs = [taskdef.to_wire() for taskdef in project.taskdefs]
    for taskdef in project.taskdefs:
        if taskdef.location:
            key = (f"taskdef:{taskdef.name}", None)
            locations[key] = (*locations.get(key, ()), taskdef.location)
    subject = Subject(
        workflows=workflows,
        taskdefs=taskdefs,
        external_workflows=frozenset(e.name for e in project.externals),
        locations=locations,
        strict=strict,
    )
    findings = [*_typed_findings(project), *validate(subject)]
    findings += trigger_findings(
        project.schedules, project.event_handlers, project.workflows, workflows
    )
    return Compiled(
        workflows,
        taskdefs,
        findings,
        inputs={
            workflow.name: input_fields(workflow.input_model) for workflow in project.workflows
        },
        schedules=[schedule.to_wire() for schedule in project.schedules],
        event_handlers=[handler.to_wire() for handler in project.event_handlers],
        triggers=list(_triggers(project)),
    )


def _triggers(project: Project) -> Iterator[Trigger]:
    for schedule in project.schedules:
        target = schedule.workflow
        yield Trigger("schedule", schedule.name, target.name, target.version, schedule.describe())
    for handler in project.event_handlers:
        for action in handler.actions:
            if action.workflow is not None:
                how = f"on `{handler.event}`: {action.describe()}"
                workflow = action.workflow
                yield Trigger("event_handler", handler.name, workflow.name, workflow.version, how)


def _typed_findings(project: Project) -> Iterator[Finding]:
    """What only the Python definitions show: bodies against their models, and tasks made at a
    module's top level that no workflow holds (they never run)."""
    placed: set[int] = set()
    for workflow in project.workflows:
        placed.update(id(task) for task in walk_tasks(workflow.tasks))
        for task, code, message in workflow.problems():
            yield Finding(code, "error", workflow.name, task.ref, message, _shown(task.location))
    for task in project.module_tasks:
        if id(task) not in placed:
            yield Finding(
                Code.UNPLACED_TASK,
                "warning",
                "-",
                task.ref,
                f"task {task.ref!r} is made here but placed in no workflow: it never runs",
                _shown(task.location),
            )


def _shown(where: Where | None) -> str | None:
    return None if where is None else str(where)


DocsRenderer = Callable[[Compiled], Mapping[str, str]]


def render_files(compiled: Compiled, docs: DocsRenderer | None = None) -> dict[str, str]:
    """The contents of build/, by path relative to it."""
    files = {
        f"workflows/{workflow.name}.json": canonical_model_json(workflow)
        for workflow in compiled.workflows
    }
    files["taskdefs.json"] = canonical_model_json(compiled.taskdefs)
    # Only projects that have them: the files a project without any would hold say nothing.
    if compiled.schedules:
        files["schedules.json"] = canonical_model_json(compiled.schedules)
    if compiled.event_handlers:
        files["event_handlers.json"] = canonical_model_json(compiled.event_handlers)
    if docs is not None:
        files.update(docs(compiled))
    return dict(sorted(files.items()))
