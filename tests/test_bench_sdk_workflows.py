"""The SDK script the build bench times against writes what `deploy-dsl build` writes.

A fair ratio needs the same work on both sides: for the fixed set of workflows the script
covers (a workflow added to definitions/ need not be) and the task definitions they use, each task
with the same reference, type, name and inputs. Where the SDK writes its own
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

from bench.sdk_workflows import COVERED
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


def test_the_sdk_script_writes_the_workflows_it_covers_and_every_taskdef(tmp_path: Path) -> None:
    script = REPO_ROOT / "bench" / "sdk_workflows.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, cwd=REPO_ROOT)
    ours = sorted(f"{name}.json" for name in COVERED)
    assert sorted(p.name for p in (tmp_path / "workflows").glob("*.json")) == ours
    for name in ours:
        built, sdk = _load(BUILD / "workflows" / name), _load(tmp_path / "workflows" / name)
        assert _fields(sdk, WORKFLOW_FIELDS) == _fields(built, WORKFLOW_FIELDS), name
        built_tasks = [
            _fields(t, ("taskReferenceName", *TASK_FIELDS)) for t in _tasks(built["tasks"])
        ]
        sdk_tasks = [_fields(t, ("taskReferenceName", *TASK_FIELDS)) for t in _tasks(sdk["tasks"])]
        assert sdk_tasks == built_tasks, name
    # The task definitions those workflows use, each as build/ holds it.
    sdk_taskdefs = _load(tmp_path / "taskdefs.json")
    covered = {t["name"] for t in sdk_taskdefs}
    built_taskdefs = [t for t in _load(BUILD / "taskdefs.json") if t["name"] in covered]
    taskdef_fields = tuple(key for t in built_taskdefs for key in t)
    assert [_fields(t, taskdef_fields) for t in sdk_taskdefs] == [
        _fields(t, taskdef_fields) for t in built_taskdefs
    ]
    used = {t["name"] for name in ours for t in _tasks(_load(BUILD / "workflows" / name)["tasks"])}
    assert {t["name"] for t in _load(BUILD / "taskdefs.json")} & used <= covered
