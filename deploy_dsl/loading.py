"""Reading definitions and Conductor JSON for the CLI, with errors that say where."""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deploy_dsl.errors import DeployDslError
from deploy_dsl.project import Project, load_project
from deploy_dsl.wire import TaskDef, WorkflowDef

__all__ = ["JsonDefinitions", "LoadError", "load_definitions", "load_json_files"]


class LoadError(DeployDslError):
    """Definitions could not be loaded; the message names the file (and line) at fault."""


def load_definitions(source: str) -> Project:
    """`load_project`, turning an exception raised while importing a module into a LoadError
    that names the definition line that raised it (a typo in a reference, a bad argument)."""
    try:
        return load_project(source)
    except (DeployDslError, ValidationError, ImportError, SyntaxError, TypeError) as error:
        raise LoadError(f"{_user_frame(error) or source}: {error}") from error


def _user_frame(error: BaseException) -> str | None:
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    frames = traceback.extract_tb(error.__traceback__)
    package = str(Path(__file__).resolve().parent)
    for frame in reversed(frames):
        if not frame.filename.startswith(package) and "importlib" not in frame.filename:
            return f"{_relative(frame.filename)}:{frame.lineno}"
    return None


def _relative(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename


@dataclass
class JsonDefinitions:
    workflows: list[WorkflowDef] = field(default_factory=list)
    taskdefs: list[TaskDef] = field(default_factory=list)
    # (workflow name, task reference or None) -> "file#/json/pointer"
    locations: dict[tuple[str, str | None], str] = field(default_factory=dict)


def load_json_files(paths: list[Path]) -> JsonDefinitions:
    """Workflows and task definitions from Conductor JSON files (one object or a list each).

    An object with `tasks` is a workflow, any other a task definition.
    """
    loaded = JsonDefinitions()
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise LoadError(f"{path}: cannot read: {error.strerror}") from error
        except json.JSONDecodeError as error:
            raise LoadError(f"{path}:{error.lineno}: not JSON: {error.msg}") from error
        items = data if isinstance(data, list) else [data]
        for index, item in enumerate(items):
            pointer = f"{path}#/{index}" if isinstance(data, list) else f"{path}#"
            _load_item(loaded, item, pointer)
    return loaded


def _load_item(loaded: JsonDefinitions, item: Any, pointer: str) -> None:
    if not isinstance(item, dict):
        raise LoadError(f"{pointer}: expected a JSON object, got {type(item).__name__}")
    try:
        if "tasks" in item:
            workflow = WorkflowDef.model_validate(item)
        else:
            loaded.taskdefs.append(TaskDef.model_validate(item))
            return
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise LoadError(f"{pointer}/{where}: {first['msg']}") from error
    loaded.workflows.append(workflow)
    loaded.locations[(workflow.name, None)] = pointer
    _locate_tasks(loaded.locations, workflow.name, item.get("tasks"), f"{pointer}/tasks")


def _locate_tasks(
    locations: dict[tuple[str, str | None], str], workflow: str, tasks: Any, pointer: str
) -> None:
    if not isinstance(tasks, list):
        return
    for index, task in enumerate(tasks):
        if not isinstance(task, dict):
            continue
        here = f"{pointer}/{index}"
        ref = task.get("taskReferenceName")
        if isinstance(ref, str):
            locations.setdefault((workflow, ref), here)
        for key, value in (task.get("decisionCases") or {}).items():
            _locate_tasks(locations, workflow, value, f"{here}/decisionCases/{key}")
        _locate_tasks(locations, workflow, task.get("defaultCase"), f"{here}/defaultCase")
        for branch, value in enumerate(task.get("forkTasks") or []):
            _locate_tasks(locations, workflow, value, f"{here}/forkTasks/{branch}")
        _locate_tasks(locations, workflow, task.get("loopOver"), f"{here}/loopOver")
