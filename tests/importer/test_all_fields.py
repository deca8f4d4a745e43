"""A workflow holding one task of every Conductor OSS 3.32 task type, with every WorkflowDef,
WorkflowTask and TaskDef field of the 3.32.3 model set somewhere, imports to builders and
typed arguments only (no GenericTask, no extra=) and builds back to the same JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deploy_dsl.compiler import compile_project, render_files
from deploy_dsl.kinds import KINDS
from deploy_dsl.wire import AUDIT_FIELDS, TaskDef, WorkflowDef, WorkflowTask
from tests.conftest import REPO_ROOT
from tests.importer.helpers import import_package, package_dir

CASE = REPO_ROOT / "tests" / "data" / "all_fields"
SOURCES = [CASE / "workflows.json", CASE / "taskdefs.json"]


def _fields(model: type[Any]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()} - AUDIT_FIELDS


def _tasks(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for task in tasks:
        yield task
        for case in (task.get("decisionCases") or {}).values():
            yield from _tasks(case)
        yield from _tasks(task.get("defaultCase") or [])
        for branch in task.get("forkTasks") or []:
            yield from _tasks(branch)
        yield from _tasks(task.get("loopOver") or [])


def test_the_case_sets_every_field_and_holds_every_type() -> None:
    workflows = json.loads(SOURCES[0].read_text(encoding="utf-8"))
    (taskdef,) = json.loads(SOURCES[1].read_text(encoding="utf-8"))
    tasks = [task for workflow in workflows for task in _tasks(workflow["tasks"])]
    assert {task["type"] for task in tasks} == set(KINDS)
    assert set().union(*(task.keys() for task in tasks)) == _fields(WorkflowTask)
    assert set(workflows[0]) == _fields(WorkflowDef)
    assert set(taskdef) == _fields(TaskDef)
    embedded = next(task["taskDefinition"] for task in tasks if "taskDefinition" in task)
    assert set(embedded) == _fields(TaskDef)


def test_it_imports_to_named_builders_and_builds_back_to_the_same_json(tmp_path: Path) -> None:
    imported = import_package(SOURCES, package_dir(tmp_path))

    assert imported.result.warnings == []
    texts = "\n".join(path.read_text() for path in imported.directory.glob("*.py"))
    assert "GenericTask" not in texts and "extra=" not in texts
    files = render_files(compile_project(imported.project, strict=False))
    for workflow in json.loads(SOURCES[0].read_text(encoding="utf-8")):
        assert json.loads(files[f"workflows/{workflow['name']}.json"]) == workflow
    assert json.loads(files["taskdefs.json"]) == json.loads(SOURCES[1].read_text(encoding="utf-8"))
