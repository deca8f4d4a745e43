"""Reading Conductor JSON as plain data: the importer must see exactly what the files say.

The wire models would coerce values (`"1"` to 1) and drop explicit nulls, so the importer keeps
the parsed JSON and only classifies it, the way `deploy-dsl validate` does: an object with
`tasks` is a workflow, any other object a task definition.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_dsl.errors import DeployDslError

__all__ = ["ImportFailed", "Source", "Sources", "read_sources", "walk"]


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_sources(paths: list[Path]) -> Sources:
    """Workflows and task definitions from files holding one object or a list of them."""
    sources = Sources()
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
        except OSError as error:
            raise ImportFailed(f"{path}: cannot read: {error.strerror}") from error
        except ValueError as error:
            raise ImportFailed(f"{path}: not JSON: {error}") from error
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
        cases = task.get("decisionCases")
        for branch in cases.values() if isinstance(cases, dict) else []:
            yield from walk(branch)
        yield from walk(task.get("defaultCase"))
        forks = task.get("forkTasks")
        for branch in forks if isinstance(forks, list) else []:
            yield from walk(branch)
        yield from walk(task.get("loopOver"))
