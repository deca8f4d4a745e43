"""Test aid: the Conductor API calls the dashboard makes, answered from executions recorded on
the real local server (tests/data/dashboard/) and summaries given by the test. It imitates
Conductor's answers; it is not Conductor (the browser tests run against the real server)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from deploy_dsl.client.api import ServerError
from deploy_dsl.client.tree import ExecutionNode, load_tree
from tests.conftest import REPO_ROOT

__all__ = ["DATA", "RecordedApi", "recorded", "tree_of"]

DATA = REPO_ROOT / "tests" / "data" / "dashboard"


def recorded(name: str) -> list[dict[str, Any]]:
    """A recorded execution and its sub-workflows, root first."""
    found: list[dict[str, Any]] = json.loads((DATA / f"{name}.json").read_text())
    return found


def tree_of(name: str) -> ExecutionNode:
    executions = {e["workflowId"]: e for e in recorded(name)}
    return load_tree(executions.__getitem__, recorded(name)[0]["workflowId"])


class RecordedApi:
    def __init__(
        self,
        executions: Sequence[dict[str, Any]] = (),
        summaries: Sequence[dict[str, Any]] = (),
        definitions: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.executions = {e["workflowId"]: e for e in executions}
        self.summaries = list(summaries)
        self.definitions = list(definitions)
        self.calls: Counter[str] = Counter()
        self.searches: list[tuple[str, str]] = []
        self.completed: list[tuple[str, str, dict[str, Any]]] = []
        self.terminated: list[tuple[str, str | None]] = []

    def search(
        self, query: str, *, free_text: str = "*", size: int = 50, sort: str = "startTime:DESC"
    ) -> dict[str, Any]:
        self.calls["search"] += 1
        self.searches.append((query, free_text))
        running = "status IN (RUNNING" in query
        found = [s for s in self.summaries if not running or s["status"] == "RUNNING"]
        return {"totalHits": len(found), "results": found[:size]}

    def execution(self, workflow_id: str) -> dict[str, Any]:
        self.calls["execution"] += 1
        if workflow_id not in self.executions:
            raise ServerError(f"/workflow/{workflow_id}", 404, f"No such workflow: {workflow_id}")
        return self.executions[workflow_id]

    def workflow_defs(self) -> list[dict[str, Any]]:
        self.calls["workflow_defs"] += 1
        return self.definitions

    def workflow_def(self, name: str, version: int) -> dict[str, Any] | None:
        self.calls["workflow_def"] += 1
        return next(
            (d for d in self.definitions if d["name"] == name and d["version"] == version), None
        )

    def complete_task(self, workflow_id: str, task_id: str, output: dict[str, Any]) -> None:
        self.completed.append((workflow_id, task_id, output))
        for task in self.executions[workflow_id]["tasks"]:
            if task["taskId"] == task_id:
                task["status"] = "COMPLETED"
                task["outputData"] = output

    def terminate(self, workflow_id: str, reason: str | None) -> None:
        self.terminated.append((workflow_id, reason))
