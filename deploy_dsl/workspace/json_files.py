"""Reading Conductor JSON files (workflows and task definitions), with errors that say where."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deploy_dsl.limits import MAX_DEFINITION_FILE_BYTES, MAX_JSON_DEPTH, json_pointer, too_deep
from deploy_dsl.wire import TaskDef, WorkflowDef
from deploy_dsl.workspace.files import FileProblem, decode_utf8, read_bytes
from deploy_dsl.workspace.loader import LoadError

__all__ = ["JsonDefinitions", "load_json_files", "read_json_file"]


@dataclass
class JsonDefinitions:
    workflows: list[WorkflowDef] = field(default_factory=list)
    taskdefs: list[TaskDef] = field(default_factory=list)
    # (workflow name, task reference or None) -> every "file#/json/pointer" holding one
    locations: dict[tuple[str, str | None], tuple[str, ...]] = field(default_factory=dict)


def load_json_files(paths: list[Path]) -> JsonDefinitions:
    """Workflows and task definitions from Conductor JSON files (one object or a list each).

    An object with `tasks` is a workflow, any other a task definition.
    """
    loaded = JsonDefinitions()
    for path in paths:
        data = read_json_file(path)
        items = data if isinstance(data, list) else [data]
        for index, item in enumerate(items):
            pointer = f"{path}#/{index}" if isinstance(data, list) else f"{path}#"
            _load_item(loaded, item, pointer)
    return loaded


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json_file(path: Path) -> Any:
    """The parsed content of a JSON file, or a LoadError whose one-line message says what is
    wrong and where: unreadable, larger than MAX_DEFINITION_FILE_BYTES (refused before more
    is read), not UTF-8, not JSON (`NaN` and `Infinity` included: Python
    reads them, JSON and the server do not), nested deeper than MAX_JSON_DEPTH, which
    everything downstream (models, validation, the importer) could not walk, or holding a
    lone surrogate (`"\\ud800"`), which could not be printed or written."""
    try:
        text = decode_utf8(
            read_bytes(path, limit=MAX_DEFINITION_FILE_BYTES, what="JSON file"),
            str(path),
            "JSON file",
        )
    except FileProblem as error:
        raise LoadError(str(error)) from error
    data = _parse(path, text)
    _check_usable(path, data)
    return data


def _parse(path: Path, text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise LoadError(f"{path}:{error.lineno}: not JSON: {error.msg}") from error
    except ValueError as error:  # from _reject_constant
        raise LoadError(f"{path}: not JSON: {error}") from error
    except RecursionError:  # Python's parser gives up near 1000 levels
        raise LoadError(f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


def _check_usable(path: Path, data: Any) -> None:
    where = too_deep(data)
    if where is not None:
        raise LoadError(
            f"{path}: JSON nested deeper than {MAX_JSON_DEPTH} levels at {json_pointer(where)}"
        )
    try:  # the C encoder finds a lone surrogate in any key or value, fast
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(error.object[error.start])
        raise LoadError(
            f"{path}: a string holds \\u{code:04x}, half of a surrogate pair, which no UTF-8 "
            "text (a terminal, a file, the server) can carry"
        ) from None


def _load_item(loaded: JsonDefinitions, item: Any, pointer: str) -> None:
    if not isinstance(item, dict):
        raise LoadError(f"{pointer}: expected a JSON object, got {type(item).__name__}")
    try:
        if "tasks" in item:
            workflow = WorkflowDef.model_validate(item)
        else:
            taskdef = TaskDef.model_validate(item)
            loaded.taskdefs.append(taskdef)
            _add_location(loaded.locations, (f"taskdef:{taskdef.name}", None), pointer)
            return
    except ValidationError as error:
        first = error.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise LoadError(f"{pointer}/{where}: {first['msg']}") from error
    loaded.workflows.append(workflow)
    _add_location(loaded.locations, (workflow.name, None), pointer)
    _locate_tasks(loaded.locations, workflow.name, item.get("tasks"), f"{pointer}/tasks")


def _locate_tasks(
    locations: dict[tuple[str, str | None], tuple[str, ...]],
    workflow: str,
    tasks: Any,
    pointer: str,
) -> None:
    if not isinstance(tasks, list):
        return
    for index, task in enumerate(tasks):
        if not isinstance(task, dict):
            continue
        here = f"{pointer}/{index}"
        ref = task.get("taskReferenceName")
        if isinstance(ref, str):
            _add_location(locations, (workflow, ref), here)
        for key, value in (task.get("decisionCases") or {}).items():
            _locate_tasks(locations, workflow, value, f"{here}/decisionCases/{key}")
        _locate_tasks(locations, workflow, task.get("defaultCase"), f"{here}/defaultCase")
        for branch, value in enumerate(task.get("forkTasks") or []):
            _locate_tasks(locations, workflow, value, f"{here}/forkTasks/{branch}")
        _locate_tasks(locations, workflow, task.get("loopOver"), f"{here}/loopOver")


def _add_location(
    locations: dict[tuple[str, str | None], tuple[str, ...]],
    key: tuple[str, str | None],
    pointer: str,
) -> None:
    locations[key] = (*locations.get(key, ()), pointer)
