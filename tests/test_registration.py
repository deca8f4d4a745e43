"""Registration planning (pure): what is sent, in what order, and what counts as unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from deploy_dsl.client.registration import (
    Item,
    Plan,
    RegistrationFailed,
    plan,
    register,
    states_match,
)
from deploy_dsl.wire import TaskDef, WorkflowDef


def _workflow(name: str, calls: str | None = None) -> WorkflowDef:
    task: dict[str, Any] = {"name": "t", "taskReferenceName": "t", "type": "SET_VARIABLE"}
    if calls:
        task = {"name": calls, "taskReferenceName": "call", "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": calls, "version": 1}}  # fmt: skip
    return WorkflowDef.model_validate({"name": name, "version": 1, "tasks": [task]})


def test_server_defaults_are_not_differences() -> None:
    desired = {"name": "w", "tasks": [{"name": "t", "inputParameters": {"a": 1}}]}
    held = {
        "name": "w",
        "createTime": 1,
        "tasks": [{"name": "t", "inputParameters": {"a": 1}, "optional": False}],
    }
    assert states_match(desired, held)
    assert not states_match(desired, {**held, "tasks": [{"name": "t", "inputParameters": {}}]})
    assert not states_match({"tasks": [1, 2]}, {"tasks": [1]})


def test_callees_are_registered_before_callers() -> None:
    workflows = [_workflow("pipeline", calls="deploy"), _workflow("deploy", calls="finish"),
                 _workflow("finish")]  # fmt: skip
    current = plan(workflows, [], [], [])
    assert [i.name for i in current.workflows] == ["finish", "deploy", "pipeline"]
    assert {i.action for i in current.workflows} == {"created"}


def test_actions_compare_with_what_the_server_holds() -> None:
    finish = _workflow("finish")
    task = {"name": "t", "taskReferenceName": "t", "type": "SET_VARIABLE", "optional": False}
    held = [{"name": "finish", "version": 1, "tasks": [task]}]
    taskdefs = [TaskDef(name="a", retryCount=1), TaskDef(name="b", retryCount=2)]
    held_taskdefs = [{"name": "a", "retryCount": 1, "createTime": 5}, {"name": "b"}]
    current = plan([finish], taskdefs, held, held_taskdefs)
    assert [(i.name, i.action) for i in current.taskdefs] == [("a", "unchanged"), ("b", "updated")]
    assert [(i.name, i.action) for i in current.workflows] == [("finish", "unchanged")]


class FakeRegistry:
    """Records requests; refuses the workflows named in `refuse` the way the server's bulk
    response reports them."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.refuse = refuse or set()
        self.sent: list[tuple[str, list[str]]] = []

    def workflow_defs(self) -> list[dict[str, Any]]:
        return []

    def task_defs(self) -> list[dict[str, Any]]:
        return []

    def put_workflows(self, definitions: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append(("workflows", [d["name"] for d in definitions]))
        return {"bulkErrorResults": {name: "refused" for name in self.refuse}}

    def post_taskdefs(self, definitions: list[dict[str, Any]]) -> None:
        self.sent.append(("taskdefs", [d["name"] for d in definitions]))


def test_one_bulk_request_per_kind_and_nothing_for_unchanged() -> None:
    registry = FakeRegistry()
    current = plan([_workflow("w")], [TaskDef(name="a")], [], [{"name": "a"}])
    outcomes: list[tuple[str, str]] = []
    register(registry, current, lambda item, outcome: outcomes.append((item.label, outcome)))
    assert registry.sent == [("workflows", ["w"])]
    assert outcomes == [("taskdef a", "unchanged"), ("workflow w v1", "created")]


def test_a_refusal_says_what_was_and_was_not_registered() -> None:
    registry = FakeRegistry(refuse={"bad"})
    current = plan([_workflow("good"), _workflow("bad")], [TaskDef(name="a")], [], [])
    with pytest.raises(RegistrationFailed) as failure:
        register(registry, current, lambda item, outcome: None)
    assert [i.label for i in failure.value.registered] == ["taskdef a", "workflow good v1"]
    assert [i.label for i in failure.value.not_registered] == ["workflow bad v1"]
    assert "bad: refused" in str(failure.value)


def test_plan_lists_only_changes_to_send() -> None:
    item = Item("taskdef", "a", None, "unchanged", {})
    assert Plan([item], []).to_send("taskdef") == []
