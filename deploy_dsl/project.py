"""A project: every definition found in a set of modules (pure: the modules are given)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from deploy_dsl.errors import DefinitionError
from deploy_dsl.event_handler import EventHandler
from deploy_dsl.schedule import Schedule
from deploy_dsl.task import Task
from deploy_dsl.taskdef import TaskDef
from deploy_dsl.workflow import AnyWorkflow, ExternalWorkflow, Workflow

__all__ = ["Project", "collect"]


@dataclass
class Project:
    """Every definition found, in a stable order (by name, then version)."""

    workflows: list[AnyWorkflow] = field(default_factory=list)
    taskdefs: list[TaskDef] = field(default_factory=list)
    externals: list[ExternalWorkflow] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    event_handlers: list[EventHandler] = field(default_factory=list)
    # Tasks the modules hold at their top level: each should be placed in some workflow.
    module_tasks: list[Task] = field(default_factory=list)

    def workflow(self, name: str) -> AnyWorkflow:
        matches = [w for w in self.workflows if w.name == name]
        if not matches:
            known = ", ".join(w.name for w in self.workflows) or "none"
            raise DefinitionError(f"no workflow named {name!r} in the project (known: {known})")
        return max(matches, key=lambda w: w.version)


def collect(modules: Iterable[ModuleType]) -> Project:
    """The definitions held by module globals (a list of them counts too), each once:
    workflows, task definitions, external workflows, schedules and event handlers."""
    seen: set[int] = set()
    project = Project()
    for module in modules:
        for value in vars(module).values():
            for item in value if isinstance(value, list | tuple) else (value,):
                _add(project, item, seen)
    project.workflows.sort(key=lambda w: (w.name, w.version))
    project.taskdefs.sort(key=lambda t: t.name)
    project.externals.sort(key=lambda e: (e.name, e.version))
    project.schedules.sort(key=lambda s: s.name)
    project.event_handlers.sort(key=lambda h: h.name)
    return project


def _add(project: Project, item: Any, seen: set[int]) -> None:
    if id(item) in seen:
        return
    if isinstance(item, Workflow):
        project.workflows.append(item)
    elif isinstance(item, TaskDef):
        project.taskdefs.append(item)
    elif isinstance(item, ExternalWorkflow):
        project.externals.append(item)
    elif isinstance(item, Schedule):
        project.schedules.append(item)
    elif isinstance(item, EventHandler):
        project.event_handlers.append(item)
    elif isinstance(item, Task):
        project.module_tasks.append(item)
    else:
        return
    seen.add(id(item))
