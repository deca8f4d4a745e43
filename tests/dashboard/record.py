"""Records an execution of the server of the settings (and every sub-workflow it started) into
tests/data/dashboard/NAME.json, trimmed to the fields the dashboard reads, for the unit tests:

    .venv/bin/python -m tests.dashboard.record WORKFLOW_ID NAME

INLINE scripts are left out, of the tasks' inputs and of the definition (the dashboard shows no
script); the recording is the server's answer otherwise, so the tests read what Conductor sends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from deploy_dsl.client.api import ConductorApi
from deploy_dsl.client.settings import load_settings
from deploy_dsl.client.tree import load_tree
from tests.dashboard.recorded import DATA

__all__ = ["main", "trimmed"]

_EXECUTION_FIELDS = (
    "workflowId", "workflowName", "workflowVersion", "parentWorkflowId", "status", "startTime",
    "endTime", "input", "output", "variables", "reasonForIncompletion", "workflowDefinition",
)  # fmt: skip
_TASK_FIELDS = (
    "taskId", "seq", "referenceTaskName", "taskType", "status", "iteration", "retryCount",
    "scheduledTime", "startTime", "endTime", "inputData", "outputData", "reasonForIncompletion",
    "subWorkflowId", "workflowInstanceId",
)  # fmt: skip
_LEFT_OUT = "(the script, left out of the recording)"


def trimmed(execution: Mapping[str, Any]) -> dict[str, Any]:
    found = {k: execution[k] for k in _EXECUTION_FIELDS if execution.get(k) not in (None, "")}
    found["tasks"] = [_task(t) for t in execution.get("tasks") or []]
    if isinstance(found.get("workflowDefinition"), Mapping):
        found["workflowDefinition"] = _without_scripts(found["workflowDefinition"])
    return found


def _without_scripts(value: Any) -> Any:
    """The definition with each INLINE task's script left out, at any depth."""
    if isinstance(value, list):
        return [_without_scripts(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    found = {key: _without_scripts(item) for key, item in value.items()}
    given = found.get("inputParameters")
    if found.get("type") == "INLINE" and isinstance(given, Mapping) and "expression" in given:
        found["inputParameters"] = {**given, "expression": _LEFT_OUT}
    return found


def _task(task: Mapping[str, Any]) -> dict[str, Any]:
    found = {k: task[k] for k in _TASK_FIELDS if task.get(k) not in (None, "")}
    given = task.get("workflowTask") or {}
    found["workflowTask"] = {k: given[k] for k in ("taskReferenceName", "type") if k in given}
    data = dict(found.get("inputData") or {})
    if task.get("taskType") == "INLINE" and "expression" in data:
        data["expression"] = _LEFT_OUT
    found["inputData"] = data
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.dashboard.record WORKFLOW_ID NAME", file=sys.stderr)
        return 2
    workflow_id, name = argv
    api = ConductorApi(load_settings().connection())
    tree = load_tree(api.execution, workflow_id)
    executions = [trimmed(node.execution) for _, node in tree.walk()]
    path = DATA / f"{name}.json"
    path.write_text(json.dumps(executions, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{path}: {len(executions)} execution(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
