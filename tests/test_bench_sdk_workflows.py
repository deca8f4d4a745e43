"""The SDK script the build bench times against writes what `deploy-dsl build` writes.

A fair ratio needs the same work on both sides: every workflow and task definition of build/,
each task with the same reference, type, name and inputs. Where the SDK writes its own
defaults (an empty `variables`, `failureWorkflow: ""`), an empty value and a missing one count
as the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT

BUILD = REPO_ROOT / "build"
WORKFLOW_FIELDS = ("name", "version", "description", "ownerEmail", "inputParameters",
                   "outputParameters", "variables", "failureWorkflow", "timeoutPolicy",
                   "timeoutSeconds")  # fmt: skip
TASK_FIELDS = ("type", "name", "description", "inputParameters", "optional", "evaluatorType",
               "expression", "loopCondition")  # fmt: skip


def _tasks(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for task in tasks:
        yield task
        for branch in (task.get("decisionCases") or {}).values():
            yield from _tasks(branch)
        for key in ("defaultCase", "loopOver"):
            yield from _tasks(task.get(key) or [])


def _fields(item: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: item[name] for name in names if item.get(name) not in (None, "", {}, False)}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_sdk_script_writes_every_workflow_and_taskdef_of_build(tmp_path: Path) -> None:
    script = REPO_ROOT / "bench" / "sdk_workflows.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, cwd=REPO_ROOT)
    ours = sorted(p.name for p in (BUILD / "workflows").glob("*.json"))
    assert sorted(p.name for p in (tmp_path / "workflows").glob("*.json")) == ours
    for name in ours:
        built, sdk = _load(BUILD / "workflows" / name), _load(tmp_path / "workflows" / name)
        assert _fields(sdk, WORKFLOW_FIELDS) == _fields(built, WORKFLOW_FIELDS), name
        built_tasks = [
            _fields(t, ("taskReferenceName", *TASK_FIELDS)) for t in _tasks(built["tasks"])
        ]
        sdk_tasks = [_fields(t, ("taskReferenceName", *TASK_FIELDS)) for t in _tasks(sdk["tasks"])]
        assert sdk_tasks == built_tasks, name
    taskdef_fields = tuple(key for t in _load(BUILD / "taskdefs.json") for key in t)
    assert [_fields(t, taskdef_fields) for t in _load(tmp_path / "taskdefs.json")] == [
        _fields(t, taskdef_fields) for t in _load(BUILD / "taskdefs.json")
    ]
