"""Reading Conductor JSON as plain data: the importer must see exactly what the files say.

The wire models would coerce values (`"1"` to 1) and drop explicit nulls, so the importer keeps
the parsed JSON and only classifies it, the way `deploy-dsl validate` does: an object with
`tasks` is a workflow, any other object a task definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_dsl.errors import DeployDslError
from deploy_dsl.workspace.json_files import read_json_file
from deploy_dsl.workspace.loader import LoadError

__all__ = ["ImportFailed", "Source", "Sources", "nesting", "read_sources", "walk"]


class ImportFailed(DeployDslError):
    """A file or definition cannot be imported; the message says which and why."""


@dataclass(frozen=True)
class Source:
    """One definition and where it came from (`file.json` or `file.json#/2` in a list)."""

    data: dict[str, Any]
    origin: str

    @property
    def file_name(self) -> str:
        return self.origin.split("#", 1)[0]


@dataclass
class Sources:
    workflows: list[Source] = field(default_factory=list)
    taskdefs: list[Source] = field(default_factory=list)


def read_sources(paths: list[Path]) -> Sources:
    """Workflows and task definitions from files holding one object or a list of them."""
    sources = Sources()
    for path in paths:
        try:
            data = read_json_file(path)
        except LoadError as error:
            raise ImportFailed(str(error)) from error
        items = data if isinstance(data, list) else [data]
        for index, item in enumerate(items):
            origin = f"{path.name}#/{index}" if isinstance(data, list) else path.name
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ImportFailed(f"{origin}: expected an object with a string `name`")
            kind = sources.workflows if "tasks" in item else sources.taskdefs
            kind.append(Source(item, origin))
    return sources


def walk(tasks: Any) -> Iterator[dict[str, Any]]:
    """Every task object of a raw task list, nested ones included."""
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        yield task
        for branch in _branches(task):
            yield from walk(branch)


def nesting(tasks: Any) -> int:
    """How deep the task lists of a raw task list nest (see MAX_NESTING): 1 for a flat list,
    one more for each SWITCH case, fork branch or DO_WHILE body, as the validator counts.
    Walked with a stack of its own, so it measures any depth without recursing."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(tasks, 1)]
    while stack:
        branch, level = stack.pop()
        if not isinstance(branch, list):
            continue
        deepest = max(deepest, level)
        for task in branch:
            if isinstance(task, dict):
                stack.extend((child, level + 1) for child in _branches(task))
    return deepest


def _branches(task: dict[str, Any]) -> Iterator[Any]:
    """The task lists a task holds: SWITCH cases and default, fork branches, a loop body."""
    cases = task.get("decisionCases")
    yield from cases.values() if isinstance(cases, dict) else ()
    yield task.get("defaultCase")
    forks = task.get("forkTasks")
    yield from forks if isinstance(forks, list) else ()
    yield task.get("loopOver")
